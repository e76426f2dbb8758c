import { parseIpv6, writeIpv4 } from '../ingest/address-bytes';

/**
 * What is the tenant's own network and what is not: longest-prefix matching of addresses against the tenant's
 * address spaces and subnets, over the private defaults. Pure (no I/O, no clock), IPv4 and IPv6, so the services that
 * classify (clustering for endpoints, ingest on the hot path) and the API that shows a classification agree.
 */

export type AddressFamily = 'ipv4' | 'ipv6';
/** Internal: the tenant's own hosts (endpoints, members of groups). External: destinations (the Internet, partners, SaaS). */
export type AddressScope = 'internal' | 'external';
export const ADDRESS_SCOPES = ['internal', 'external'] as const;

/**
 * Internal when a tenant has defined nothing: the private IPv4 blocks (RFC 1918), the shared address space of carrier-
 * grade NAT (RFC 6598), which campus and SD-WAN networks use as their own, and IPv6 unique local addresses (RFC 4193).
 * They stay beneath what a tenant defines: a longer prefix (or the same one, defined) decides instead.
 */
export const DEFAULT_INTERNAL_NETWORKS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'] as const;

/** A network as bytes with its host bits zero. */
export interface ParsedNetwork {
  family: AddressFamily;
  /** 4 or 16 bytes. */
  bytes: Uint8Array;
  prefix: number;
}

export type CidrVerdict = { network: ParsedNetwork } | { error: string };

/** The bytes of an IPv4 or IPv6 address (an IPv4-mapped IPv6 address `::ffff:a.b.c.d` is the IPv4 address). */
export function parseAddress(text: string): { family: AddressFamily; bytes: Uint8Array } | undefined {
  if (text.indexOf(':') < 0) {
    const bytes = new Uint8Array(4);
    return writeIpv4(bytes, 0, text) ? { family: 'ipv4', bytes } : undefined;
  }
  const bytes = parseIpv6(text);
  if (bytes === undefined) return undefined;
  if (isIpv4Mapped(bytes)) return { family: 'ipv4', bytes: bytes.slice(12) };
  return { family: 'ipv6', bytes };
}

function parseNetworkAddress(text: string): { family: AddressFamily; bytes: Uint8Array } | undefined {
  if (text.indexOf(':') >= 0) {
    const bytes = parseIpv6(text);
    return bytes === undefined ? undefined : { family: 'ipv6', bytes };
  }
  const bytes = new Uint8Array(4);
  return writeIpv4(bytes, 0, text) ? { family: 'ipv4', bytes } : undefined;
}

function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a host route: /32, /128). Host bits must be zero, as PostgreSQL's
 * `cidr` requires; the error says which network was probably meant.
 */
export function parseCidr(text: string): CidrVerdict {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash < 0 ? trimmed : trimmed.slice(0, slash);
  // A network keeps the family it is written in (an IPv4-mapped IPv6 network stays IPv6, as in PostgreSQL).
  const parsed = parseNetworkAddress(addressText);
  if (parsed === undefined) return { error: `'${addressText}' is not an IPv4 or IPv6 address` };
  const max = parsed.bytes.length * 8;
  const prefixText = slash < 0 ? String(max) : trimmed.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return { error: `'${trimmed}' has a prefix length outside 0-${max}` };
  const prefix = Number(prefixText);
  const masked = maskBytes(parsed.bytes, prefix);
  if (!sameBytes(masked, parsed.bytes)) {
    return { error: `'${trimmed}' has host bits set (the network is ${formatNetwork({ family: parsed.family, bytes: masked, prefix })})` };
  }
  return { network: { family: parsed.family, bytes: masked, prefix } };
}

/** Whether `text` is a network `parseCidr` accepts. */
export const isCidr = (text: string): boolean => 'network' in parseCidr(text);

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, the longest run of zero groups as `::`), with the prefix. */
export function formatNetwork(network: ParsedNetwork): string {
  return `${formatAddress(network.family, network.bytes)}/${network.prefix}`;
}

export function formatAddress(family: AddressFamily, bytes: Uint8Array): string {
  if (family === 'ipv4') return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  return bestStart < 0 ? hex(0, 8) : `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** Whether `address` (bytes of the same family) lies in `network`. */
export function networkContains(network: ParsedNetwork, bytes: Uint8Array): boolean {
  if (bytes.length !== network.bytes.length) return false;
  return sameBytes(maskBytes(bytes, network.prefix), network.bytes);
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const whole = prefix >> 3;
  out.set(bytes.subarray(0, whole));
  const rest = prefix & 7;
  if (rest > 0 && whole < bytes.length) out[whole] = bytes[whole] & (0xff << (8 - rest));
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The key of a masked prefix of `bytes` in a table of one prefix length. */
function prefixKey(bytes: Uint8Array, prefix: number): string {
  const whole = prefix >> 3;
  let key = '';
  for (let i = 0; i < whole; i++) key += String.fromCharCode(bytes[i]);
  const rest = prefix & 7;
  if (rest > 0) key += String.fromCharCode(bytes[whole] & (0xff << (8 - rest)));
  return key;
}

export interface PrefixMatch<T> {
  value: T;
  prefix: number;
}

/**
 * Values by network, answering the most specific network that holds an address (longest-prefix match). One map per
 * prefix length in use, tried longest first: a tenant's inventory has a handful of lengths, so a lookup is a few map
 * reads. A network given twice keeps the first value.
 */
export class PrefixTable<T> {
  private readonly byFamily: Record<AddressFamily, Array<{ prefix: number; entries: Map<string, T> }>> = { ipv4: [], ipv6: [] };
  private count = 0;

  constructor(entries: Iterable<{ network: ParsedNetwork; value: T }> = []) {
    for (const { network, value } of entries) this.add(network, value);
  }

  get size(): number {
    return this.count;
  }

  add(network: ParsedNetwork, value: T): void {
    const levels = this.byFamily[network.family];
    let level = levels.find((l) => l.prefix === network.prefix);
    if (level === undefined) {
      level = { prefix: network.prefix, entries: new Map() };
      levels.push(level);
      levels.sort((a, b) => b.prefix - a.prefix);
    }
    const key = prefixKey(network.bytes, network.prefix);
    if (level.entries.has(key)) return;
    level.entries.set(key, value);
    this.count++;
  }

  /** The value of the longest network holding the address (bytes from `parseAddress`). */
  match(family: AddressFamily, bytes: Uint8Array): PrefixMatch<T> | undefined {
    for (const level of this.byFamily[family]) {
      const value = level.entries.get(prefixKey(bytes, level.prefix));
      if (value !== undefined) return { value, prefix: level.prefix };
    }
    return undefined;
  }
}

/** An address space as the classifier needs it; `T` is whatever the caller wants back (an id, a name, a row). */
export interface ClassifiedSpace {
  cidr: string;
  kind: AddressScope;
}

export interface ClassifiedSubnet {
  cidr: string;
}

/** What decided the scope: a defined address space, a subnet (always internal), a default private block, or nothing. */
export type ClassificationBasis = 'address_space' | 'subnet' | 'default' | 'none';

export interface AddressClassification<S, N> {
  scope: AddressScope;
  basis: ClassificationBasis;
  /** The most specific address space holding the address, whether or not it decided the scope. */
  addressSpace: S | null;
  /** The most specific subnet holding the address. */
  subnet: N | null;
}

const DEFAULTS: readonly ParsedNetwork[] = DEFAULT_INTERNAL_NETWORKS.map((cidr) => (parseCidr(cidr) as { network: ParsedNetwork }).network);

/**
 * Classifies addresses against one tenant's inventory. The scope comes from the most specific network holding the
 * address among the tenant's address spaces (their kind), its subnets (internal: a subnet is part of the tenant's
 * network) and the defaults (internal); at equal length an address space outranks a subnet, which outranks a default.
 * An address in none of them is external. Entries whose CIDR does not parse are ignored (the API refuses them).
 */
export class AddressClassifier<S extends ClassifiedSpace = ClassifiedSpace, N extends ClassifiedSubnet = ClassifiedSubnet> {
  private readonly spaces: PrefixTable<S>;
  private readonly subnets: PrefixTable<N>;
  private readonly defaults = new PrefixTable<true>(DEFAULTS.map((network) => ({ network, value: true as const })));

  constructor(inventory: { addressSpaces: readonly S[]; subnets: readonly N[] }) {
    this.spaces = new PrefixTable(withNetworks(inventory.addressSpaces));
    this.subnets = new PrefixTable(withNetworks(inventory.subnets));
  }

  /** The classification of `address`, or undefined when it is not an IPv4 or IPv6 address. */
  classify(address: string): AddressClassification<S, N> | undefined {
    const parsed = parseAddress(address.trim());
    if (parsed === undefined) return undefined;
    const space = this.spaces.match(parsed.family, parsed.bytes);
    const subnet = this.subnets.match(parsed.family, parsed.bytes);
    const byDefault = this.defaults.match(parsed.family, parsed.bytes);
    const result = { addressSpace: space?.value ?? null, subnet: subnet?.value ?? null };
    const longest = Math.max(space?.prefix ?? -1, subnet?.prefix ?? -1, byDefault?.prefix ?? -1);
    if (longest < 0) return { scope: 'external', basis: 'none', ...result };
    if (space !== undefined && space.prefix === longest) return { scope: space.value.kind, basis: 'address_space', ...result };
    if (subnet !== undefined && subnet.prefix === longest) return { scope: 'internal', basis: 'subnet', ...result };
    return { scope: 'internal', basis: 'default', ...result };
  }
}

function* withNetworks<T extends { cidr: string }>(items: readonly T[]): Iterable<{ network: ParsedNetwork; value: T }> {
  for (const value of items) {
    const verdict = parseCidr(value.cidr);
    if ('network' in verdict) yield { network: verdict.network, value };
  }
}

/** One address against an inventory (build an AddressClassifier to classify many). */
export function classifyAddress<S extends ClassifiedSpace, N extends ClassifiedSubnet>(
  address: string,
  inventory: { addressSpaces: readonly S[]; subnets: readonly N[] },
): AddressClassification<S, N> | undefined {
  return new AddressClassifier(inventory).classify(address);
}
