import { ValidateBy, type ValidationOptions } from 'class-validator';
import { parseCidr } from './address-classification';

/** An IANA time zone name the runtime knows (`Europe/Zurich`, `UTC`); offsets such as `+01:00` are not zones. */
export function isTimeZone(name: string): boolean {
  if (name.length === 0 || name.length > 64 || !/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** A network in CIDR notation with its host bits zero (`10.0.0.0/8`, `2001:db8::/32`); a bare address is a host route. */
export const IsCidr = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isCidr',
      validator: {
        validate: (value) => typeof value === 'string' && value.length <= 64 && 'network' in parseCidr(value),
        defaultMessage: (args) => {
          const verdict = typeof args?.value === 'string' && args.value.length <= 64 ? parseCidr(args.value) : undefined;
          return verdict && 'error' in verdict ? `${args?.property} must be a network in CIDR notation: ${verdict.error}` : `${args?.property} must be a network in CIDR notation`;
        },
      },
    },
    options,
  );

export const IsTimeZone = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isTimeZone',
      validator: {
        validate: (value) => typeof value === 'string' && isTimeZone(value),
        defaultMessage: (args) => `${args?.property} must be an IANA time zone name such as Europe/Zurich`,
      },
    },
    options,
  );
