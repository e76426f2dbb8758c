import fc from 'fast-check';
import { isIP } from 'node:net';
import {
  AddressClassifier,
  DEFAULT_INTERNAL_NETWORKS,
  PrefixTable,
  classifyAddress,
  formatAddress,
  formatNetwork,
  parseAddress,
  parseCidr,
  type AddressFamily,
  type ParsedNetwork,
} from './address-classification';

/** The reference: an address and a network as bigints, membership by shifting, no tables. */
const bigOf = (bytes: Uint8Array): bigint => bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
function contains(network: ParsedNetwork, family: AddressFamily, bytes: Uint8Array): boolean {
  if (network.family !== family) return false;
  const bits = BigInt(bytes.length * 8);
  const shift = bits - BigInt(network.prefix);
  return bigOf(bytes) >> shift === bigOf(network.bytes) >> shift;
}

function networkOf(family: AddressFamily, bytes: Uint8Array, prefix: number): ParsedNetwork {
  const out = Uint8Array.from(bytes);
  for (let bit = prefix; bit < out.length * 8; bit++) out[bit >> 3] &= ~(0x80 >> (bit & 7));
  return { family, bytes: out, prefix };
}

const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const familyArb = fc.constantFrom<AddressFamily>('ipv4', 'ipv6');
/** A network of either family, any prefix length. */
const networkArb = familyArb.chain((family) => {
  const n = family === 'ipv4' ? 4 : 16;
  return fc.tuple(bytesOf(n), fc.integer({ min: 0, max: n * 8 })).map(([bytes, prefix]) => networkOf(family, bytes, prefix));
});
/** An address inside `network` (its host bits random). */
const inside = (network: ParsedNetwork) =>
  bytesOf(network.bytes.length).map((random) => {
    const out = Uint8Array.from(random);
    for (let bit = 0; bit < network.prefix; bit++) {
      const mask = 0x80 >> (bit & 7);
      out[bit >> 3] = (out[bit >> 3] & ~mask) | (network.bytes[bit >> 3] & mask);
    }
    return out;
  });
/** Networks, and addresses drawn mostly inside them (so that matches, nested ones included, are common). */
const tableAndAddresses = fc.array(networkArb, { minLength: 1, maxLength: 24 }).chain((networks) =>
  fc.tuple(
    fc.constant(networks),
    fc.array(
      fc.oneof(
        fc.integer({ min: 0, max: networks.length - 1 }).chain((i) => inside(networks[i]).map((bytes) => ({ family: networks[i].family, bytes }))),
        familyArb.chain((family) => bytesOf(family === 'ipv4' ? 4 : 16).map((bytes) => ({ family, bytes }))),
      ),
      { minLength: 1, maxLength: 20 },
    ),
  ),
);

/** An IPv6 address written in one of the forms people and devices write: compressed, full, padded, upper case. */
function ipv6Forms(bytes: Uint8Array): string[] {
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[i * 2] << 8) | bytes[i * 2 + 1]).toString(16));
  return [formatAddress('ipv6', bytes), groups.join(':'), groups.map((g) => g.padStart(4, '0')).join(':'), formatAddress('ipv6', bytes).toUpperCase()];
}

const textOf = (family: AddressFamily, bytes: Uint8Array) => formatAddress(family, bytes);

describe('network parsing and formatting', () => {
  it('reads networks and bare addresses (host routes) and writes them canonically', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ network: { family: 'ipv4', bytes: Uint8Array.from([10, 0, 0, 0]), prefix: 8 } });
    expect(formatNetwork((parseCidr(' 192.0.2.7 ') as { network: ParsedNetwork }).network)).toBe('192.0.2.7/32');
    expect(formatNetwork((parseCidr('2001:DB8:0:0::/32') as { network: ParsedNetwork }).network)).toBe('2001:db8::/32');
    expect(formatNetwork((parseCidr('::/0') as { network: ParsedNetwork }).network)).toBe('::/0');
    expect(formatNetwork((parseCidr('2001:db8:0:1:0:0:0:1') as { network: ParsedNetwork }).network)).toBe('2001:db8:0:1::1/128');
  });

  it.each([
    ['10.1.2.3/8', /host bits set \(the network is 10\.0\.0\.0\/8\)/],
    ['10.0.0.0/33', /prefix length outside 0-32/],
    ['2001:db8::/129', /prefix length outside 0-128/],
    ['10.0.0/8', /not an IPv4 or IPv6 address/],
    ['example.com/24', /not an IPv4 or IPv6 address/],
    ['10.0.0.0/', /prefix length/],
    ['fd00::1/8', /the network is fd00::\/8/],
  ])('refuses %s, saying why', (text, why) => {
    const verdict = parseCidr(text);
    expect('error' in verdict && verdict.error).toMatch(why);
  });

  it('formats every IPv6 address so that node:net reads it back to the same bytes (RFC 5952 form)', () => {
    fc.assert(
      fc.property(bytesOf(16), (bytes) => {
        const text = formatAddress('ipv6', bytes);
        expect(isIP(text)).toBe(6);
        expect(text).toBe(text.toLowerCase());
        expect(text.split('::').length).toBeLessThanOrEqual(2);
        expect(parseCidr(text)).toEqual({ network: { family: 'ipv6', bytes, prefix: 128 } });
      }),
    );
  });

  it('round-trips every network through its canonical text', () => {
    fc.assert(fc.property(networkArb, (network) => expect(parseCidr(formatNetwork(network))).toEqual({ network })));
  });

  it('reads an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(parseAddress('::ffff:192.0.2.1')).toEqual({ family: 'ipv4', bytes: Uint8Array.from([192, 0, 2, 1]) });
    expect(parseAddress('::ffff:c000:201')).toEqual({ family: 'ipv4', bytes: Uint8Array.from([192, 0, 2, 1]) });
    expect(parseAddress('not-an-address')).toBeUndefined();
  });
});

describe('PrefixTable (longest-prefix match)', () => {
  it('answers the longest network holding the address, as a brute-force scan over every network does (IPv4 and IPv6)', () => {
    fc.assert(
      fc.property(tableAndAddresses, ([networks, addresses]) => {
        const table = new PrefixTable(networks.map((network, i) => ({ network, value: i })));
        for (const { family, bytes } of addresses) {
          // The reference: the first-given network among the longest ones that hold the address.
          let best: { index: number; prefix: number } | undefined;
          networks.forEach((n, index) => {
            if (contains(n, family, bytes) && (best === undefined || n.prefix > best.prefix)) best = { index, prefix: n.prefix };
          });
          const match = table.match(family, bytes);
          expect(match && { index: match.value, prefix: match.prefix }).toEqual(best);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the two families apart: ::/0 holds no IPv4 address and 0.0.0.0/0 no IPv6 one', () => {
    const table = new PrefixTable([
      { network: (parseCidr('0.0.0.0/0') as { network: ParsedNetwork }).network, value: 'v4' },
      { network: (parseCidr('::/0') as { network: ParsedNetwork }).network, value: 'v6' },
    ]);
    fc.assert(
      fc.property(bytesOf(4), bytesOf(16), (v4, v6) => {
        expect(table.match('ipv4', v4)?.value).toBe('v4');
        expect(table.match('ipv6', v6)?.value).toBe('v6');
      }),
    );
  });
});

describe('address classification', () => {
  const defaults = DEFAULT_INTERNAL_NETWORKS.map((cidr) => (parseCidr(cidr) as { network: ParsedNetwork }).network);
  const inDefaults = (family: AddressFamily, bytes: Uint8Array) => defaults.some((n) => contains(n, family, bytes));
  const empty = new AddressClassifier({ addressSpaces: [], subnets: [] });

  it('with nothing defined: internal exactly in RFC 1918, 100.64.0.0/10 and fc00::/7, external elsewhere', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constantFrom(...defaults).chain((n) => inside(n).map((bytes) => ({ family: n.family, bytes }))),
          familyArb.chain((family) => bytesOf(family === 'ipv4' ? 4 : 16).map((bytes) => ({ family, bytes }))),
        ),
        ({ family, bytes }) => {
          const internal = inDefaults(family, bytes);
          expect(empty.classify(textOf(family, bytes))).toEqual({
            scope: internal ? 'internal' : 'external',
            basis: internal ? 'default' : 'none',
            addressSpace: null,
            subnet: null,
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    ['10.255.255.255', 'internal'],
    ['172.15.255.255', 'external'],
    ['172.16.0.0', 'internal'],
    ['172.31.255.255', 'internal'],
    ['172.32.0.0', 'external'],
    ['192.168.4.20', 'internal'],
    ['100.63.255.255', 'external'],
    ['100.64.0.1', 'internal'],
    ['100.127.255.255', 'internal'],
    ['100.128.0.0', 'external'],
    ['8.8.8.8', 'external'],
    ['fc00::1', 'internal'],
    ['fdff:ffff::1', 'internal'],
    ['fe00::1', 'external'],
    ['2001:db8::1', 'external'],
    ['::ffff:10.1.2.3', 'internal'],
  ])('by default %s is %s', (address, scope) => {
    expect(empty.classify(address)?.scope).toBe(scope);
  });

  it('answers undefined for what is not an address', () => {
    expect(empty.classify('10.0.0')).toBeUndefined();
    expect(empty.classify('')).toBeUndefined();
  });

  it('lets the most specific definition decide: address space over subnet over default at equal length, and longer over shorter', () => {
    const inventory = {
      addressSpaces: [
        { id: 'internet', cidr: '0.0.0.0/0', kind: 'external' as const, name: 'Internet' },
        { id: 'partner', cidr: '10.200.0.0/16', kind: 'external' as const, name: 'Partner VPN' },
        { id: 'campus', cidr: '130.59.0.0/16', kind: 'internal' as const, name: 'Campus (public addresses)' },
        { id: 'lab', cidr: '192.168.50.0/24', kind: 'external' as const, name: 'Lab' },
        { id: 'office', cidr: '2603:1000::/25', kind: 'external' as const, name: 'SaaS: Office' },
      ],
      subnets: [
        { id: 'voice', cidr: '10.200.5.0/24' },
        { id: 'lab-users', cidr: '192.168.50.0/24' },
        { id: 'servers', cidr: '10.1.0.0/16' },
      ],
    };
    const c = new AddressClassifier(inventory);
    // 0.0.0.0/0 is shorter than every default: private blocks stay internal.
    expect(c.classify('10.9.9.9')).toMatchObject({ scope: 'internal', basis: 'default', addressSpace: { id: 'internet' }, subnet: null });
    expect(c.classify('8.8.8.8')).toMatchObject({ scope: 'external', basis: 'address_space', addressSpace: { id: 'internet' } });
    expect(c.classify('10.200.1.1')).toMatchObject({ scope: 'external', basis: 'address_space', addressSpace: { id: 'partner' }, subnet: null });
    // A subnet inside an external space is the tenant's own, being longer.
    expect(c.classify('10.200.5.9')).toMatchObject({ scope: 'internal', basis: 'subnet', addressSpace: { id: 'partner' }, subnet: { id: 'voice' } });
    expect(c.classify('130.59.1.1')).toMatchObject({ scope: 'internal', basis: 'address_space', addressSpace: { id: 'campus' } });
    // The same network as a space and a subnet: the space decides.
    expect(c.classify('192.168.50.7')).toMatchObject({ scope: 'external', basis: 'address_space', subnet: { id: 'lab-users' } });
    expect(c.classify('10.1.2.3')).toMatchObject({ scope: 'internal', basis: 'subnet', subnet: { id: 'servers' } });
    expect(c.classify('2603:1000::5')).toMatchObject({ scope: 'external', addressSpace: { name: 'SaaS: Office' } });
    expect(classifyAddress('2603:1000::5', inventory)).toEqual(c.classify('2603:1000::5'));
  });

  it('a defined network decides for every address inside it, whatever else is defined around it, unless something longer is', () => {
    fc.assert(
      fc.property(
        tableAndAddresses,
        fc.array(fc.constantFrom('internal' as const, 'external' as const), { minLength: 24, maxLength: 24 }),
        ([networks, addresses], kinds) => {
          const spaces = networks.map((n, i) => ({ cidr: formatNetwork(n), kind: kinds[i], i }));
          const c = new AddressClassifier({ addressSpaces: spaces, subnets: [] });
          for (const { family, bytes } of addresses) {
            const holding = spaces.filter((s) => contains(networks[s.i], family, bytes));
            const longest = Math.max(-1, ...holding.map((s) => networks[s.i].prefix));
            const byDefault = defaults.filter((n) => contains(n, family, bytes)).map((n) => n.prefix);
            const result = c.classify(textOf(family, bytes))!;
            if (longest >= Math.max(-1, ...byDefault) && longest >= 0) {
              const first = holding.find((s) => networks[s.i].prefix === longest)!;
              expect(result).toMatchObject({ basis: 'address_space', scope: first.kind });
            } else {
              expect(result.scope).toBe(byDefault.length > 0 ? 'internal' : 'external');
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('classifies an IPv6 address the same however it is written, and an IPv4-mapped one as its IPv4 address', () => {
    const c = new AddressClassifier({
      addressSpaces: [
        { cidr: '2001:db8::/32', kind: 'internal' },
        { cidr: '203.0.113.0/24', kind: 'internal' },
      ],
      subnets: [{ cidr: 'fd12:3456::/48' }],
    });
    fc.assert(
      fc.property(bytesOf(16), (bytes) => {
        const forms = ipv6Forms(bytes).map((text) => c.classify(text));
        for (const f of forms) expect(f).toEqual(forms[0]);
      }),
    );
    fc.assert(
      fc.property(bytesOf(4), (v4) => {
        const dotted = textOf('ipv4', v4);
        expect(c.classify(`::ffff:${dotted}`)).toEqual(c.classify(dotted));
      }),
    );
  });

  it('ignores an entry whose CIDR does not parse rather than failing the whole inventory', () => {
    const c = new AddressClassifier({ addressSpaces: [{ cidr: 'bogus', kind: 'internal' }, { cidr: '8.8.8.0/24', kind: 'internal' }], subnets: [{ cidr: '10.0.0.1/8' }] });
    expect(c.classify('8.8.8.8')).toMatchObject({ scope: 'internal', basis: 'address_space' });
    expect(c.classify('10.0.0.1')).toMatchObject({ basis: 'default', subnet: null });
  });
});
