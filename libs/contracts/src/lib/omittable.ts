import { ValidateIf, type ValidationOptions } from 'class-validator';

/**
 * The property may be left out; when present it is validated, `null` included (which the property's other rules then
 * refuse). `@IsOptional()` skips `null` as well, so a JSON `null` would reach the handler as if it were a value; use
 * that only where `null` means something (an explicit "unset").
 */
export function IsOmittable(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined, options);
}
