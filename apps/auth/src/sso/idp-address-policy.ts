import { isIP } from 'node:net';

/**
 * Where an identity provider may not be reached: the issuer is typed in by a tenant admin, so without this a sign-in
 * could make the auth service fetch from its own loopback, the cluster's private network or a cloud metadata service
 * (169.254.169.254) and time the answer (server-side request forgery). Pure: addresses in, a verdict out.
 */
export type DeniedAddressClass = 'unspecified' | 'loopback' | 'private' | 'link-local' | 'shared' | 'multicast' | 'reserved' | 'denied-network';

interface Network {
  bytes: Uint8Array;
  prefix: number;
}

/** The special-purpose blocks (RFC 6890 and its IANA registries) that never hold a public IdP. */
const IPV4_CLASSES: ReadonlyArray<readonly [string, DeniedAddressClass]> = [
  ['0.0.0.0/8', 'unspecified'], // "this network" (RFC 791); 0.0.0.0 reaches the local host on Linux
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'], // RFC 1918
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'shared'], // carrier-grade NAT (RFC 6598), also used for cluster networks
  ['169.254.0.0/16', 'link-local'], // RFC 3927; the cloud metadata services live here
  ['192.0.0.0/24', 'reserved'], // IETF protocol assignments (RFC 6890)
  ['198.18.0.0/15', 'reserved'], // benchmarking (RFC 2544)
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'], // RFC 1112, with the limited broadcast 255.255.255.255
];

const IPV6_CLASSES: ReadonlyArray<readonly [string, DeniedAddressClass]> = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fc00::/7', 'private'], // unique local (RFC 4193)
  ['fec0::/10', 'private'], // site-local, deprecated (RFC 3879) but still routed by some stacks
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
  ['100::/64', 'reserved'], // discard-only (RFC 6666)
];

/**
 * IPv6 forms that carry an IPv4 address, and where: the address is judged as that IPv4 address too, so
 * `::ffff:127.0.0.1` or `64:ff9b::a9fe:a9fe` (NAT64 to 169.254.169.254) is no way round the IPv4 rules.
 */
const EMBEDDED_IPV4: ReadonlyArray<readonly [string, number]> = [
  ['::ffff:0:0/96', 12], // IPv4-mapped (RFC 4291)
  ['::/96', 12], // IPv4-compatible, deprecated (RFC 4291)
  ['64:ff9b::/96', 12], // NAT64 well-known prefix (RFC 6052)
  ['64:ff9b:1::/48', 12], // NAT64 local use (RFC 8215)
  ['2002::/16', 2], // 6to4 (RFC 3056)
];

/** The address's bytes (4 or 16), or null when it is not an IP address. A zone (`fe80::1%eth0`) is dropped. */
export function addressBytes(text: string): Uint8Array | null {
  const address = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const version = isIP(address);
  if (version === 4) return Uint8Array.from(address.split('.').map(Number));
  if (version !== 6) return null;
  let head = address;
  let tail: number[] = [];
  // A dotted IPv4 tail (`::ffff:1.2.3.4`) stands for the last two groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) {
    const [, prefix = '', quad = ''] = dotted;
    const [a = 0, b = 0, c = 0, d = 0] = quad.split('.').map(Number);
    head = prefix.endsWith('::') ? prefix : prefix.slice(0, -1);
    tail = [(a << 8) | b, (c << 8) | d];
  }
  const [left, right] = head.split('::') as [string, string | undefined];
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const known = [...groups(left), ...(right === undefined ? [] : groups(right))];
  const words =
    right === undefined ? [...known, ...tail] : [...groups(left), ...new Array<number>(8 - known.length - tail.length).fill(0), ...groups(right), ...tail];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

/** `10.0.0.0/8` or a bare address (a /32 or /128); null when it is neither. */
export function parseNetwork(text: string): Network | null {
  const [address, prefix] = text.split('/');
  const bytes = addressBytes(address ?? '');
  if (!bytes) return null;
  const length = prefix === undefined ? bytes.length * 8 : Number(prefix);
  if (!Number.isInteger(length) || length < 0 || length > bytes.length * 8) return null;
  return { bytes, prefix: length };
}

function contains(network: Network, bytes: Uint8Array): boolean {
  if (network.bytes.length !== bytes.length) return false;
  const whole = network.prefix >> 3;
  for (let i = 0; i < whole; i++) if (network.bytes[i] !== bytes[i]) return false;
  const rest = network.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((network.bytes[whole] ?? 0) & mask) === ((bytes[whole] ?? 0) & mask);
}

/** A network written in this file: a typo in it is a bug, found at load. */
function builtInNetwork(cidr: string): Network {
  const network = parseNetwork(cidr);
  if (!network) throw new Error(`not a network: ${cidr}`);
  return network;
}
const table = (entries: ReadonlyArray<readonly [string, DeniedAddressClass]>) => entries.map(([cidr, why]) => ({ network: builtInNetwork(cidr), why }));
const BUILT_IN = [...table(IPV4_CLASSES), ...table(IPV6_CLASSES)];
const EMBEDDINGS = EMBEDDED_IPV4.map(([cidr, offset]) => ({ network: builtInNetwork(cidr), offset }));

/**
 * The rules an IdP's addresses are judged by: the built-in classes (in production) and the operator's own networks
 * (OIDC_DENIED_NETWORKS: a cluster's pod and service ranges when they are public addresses, say).
 */
export class IdpAddressPolicy {
  private readonly builtIn: typeof BUILT_IN;
  private readonly denied: Network[];

  constructor(options: { denyBuiltInClasses: boolean; deniedNetworks: readonly string[] }) {
    this.builtIn = options.denyBuiltInClasses ? BUILT_IN : [];
    this.denied = options.deniedNetworks.map((text) => {
      const network = parseNetwork(text);
      if (!network) throw new Error(`not an address or network: ${text}`);
      return network;
    });
  }

  /** Why this address may not be reached, or null when it may. Anything that is not an address is refused. */
  classify(address: string): DeniedAddressClass | null {
    const bytes = addressBytes(address);
    if (!bytes) return 'reserved';
    const own = this.judge(bytes);
    if (own || bytes.length === 4) return own;
    for (const { network, offset } of EMBEDDINGS) {
      // ::/96 holds :: and ::1 themselves, judged above as IPv6.
      if (contains(network, bytes)) return this.judge(bytes.subarray(offset, offset + 4));
    }
    return null;
  }

  /** The first refused address among a name's addresses with its class: one bad address refuses the name. */
  firstRefused(addresses: readonly string[]): { address: string; why: DeniedAddressClass } | null {
    for (const address of addresses) {
      const why = this.classify(address);
      if (why) return { address, why };
    }
    return null;
  }

  private judge(bytes: Uint8Array): DeniedAddressClass | null {
    for (const { network, why } of this.builtIn) if (contains(network, bytes)) return why;
    for (const network of this.denied) if (contains(network, bytes)) return 'denied-network';
    return null;
  }
}
