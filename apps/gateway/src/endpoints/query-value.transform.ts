import { Transform } from 'class-transformer';

/**
 * Query strings carry text only, and the validation pipe converts nothing implicitly: `true`/`false` become booleans
 * here, anything else stays as sent so @IsBoolean refuses it.
 */
export const QueryBoolean = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value));

/** A decimal integer in a query string or path becomes a number; anything else stays as sent so @IsInt refuses it. */
export const QueryInt = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value));

/** A decimal number (`0.05`) in a query string becomes a number; anything else stays as sent. */
export const QueryNumber = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d{1,16}(\.\d{1,16})?$/.test(value) ? Number(value) : value));
