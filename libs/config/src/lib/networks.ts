import { ValidateBy, type ValidationOptions } from 'class-validator';
import { isIP } from 'node:net';

/** An IPv4/IPv6 address, optionally with a prefix length that fits it (`10.0.0.0/8`, `fd00::/8`). */
export function isAddressOrNetwork(text: string): boolean {
  const [address, prefix, ...rest] = text.split('/');
  if (rest.length > 0 || address === undefined) return false;
  const version = isIP(address);
  if (version === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (version === 4 ? 32 : 128);
}

/** A list (from `ToList`) whose every entry is an address or a CIDR network; the empty list passes. */
export const IsNetworkList = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isNetworkList',
      validator: {
        validate: (value) => Array.isArray(value) && value.every((entry) => typeof entry === 'string' && isAddressOrNetwork(entry)),
        defaultMessage: () => 'must be comma-separated IPv4/IPv6 addresses or networks (CIDR: 10.0.0.0/8, fd00::/8)',
      },
    },
    options,
  );
