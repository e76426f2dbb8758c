import { isIPv4, isIPv6 } from 'node:net';

/** Where a sign-in attempt comes from, as the throttle counts it. */
export interface ClientAddress {
  /** One client: an IPv4 address, or an IPv6 /64. */
  source: string;
  /** The network around it: an IPv4 /24, or an IPv6 /48. */
  network: string;
}

/**
 * Groups an address the way an attacker's reach groups it. An IPv6 host picks any address of its /64 at will
 * (temporary addresses, RFC 8981), so the /64 is the IPv6 counterpart of one IPv4 address; a site usually holds a
 * /48 (RFC 6177), as an IPv4 /24 is the usual smallest allocation. IPv4-mapped IPv6 addresses count as IPv4. Anything
 * that is not an IP address (the field is free text up to 64 characters) is its own source and network.
 */
export function clientAddressOf(address: string): ClientAddress {
  const text = address.trim().toLowerCase();
  if (isIPv4(text)) return ipv4(text);
  if (isIPv6(text)) {
    const groups = ipv6Groups(text);
    const [, , , , , marker = 0, high = 0, low = 0] = groups;
    if (groups.slice(0, 5).every((g) => g === 0) && marker === 0xffff) return ipv4([high >> 8, high & 0xff, low >> 8, low & 0xff].join('.'));
    const prefix = (n: number) => `${groups.slice(0, n).map((g) => g.toString(16)).join(':')}::/${n * 16}`;
    return { source: prefix(4), network: prefix(3) };
  }
  return { source: text, network: text };
}

function ipv4(address: string): ClientAddress {
  return { source: address, network: `${address.split('.').slice(0, 3).join('.')}.0/24` };
}

/** The eight 16-bit groups of a valid IPv6 address (zone id dropped, an embedded dotted quad as two groups). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0] ?? address;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(rest);
  return rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
