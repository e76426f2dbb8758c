import fc from 'fast-check';
import { addressBytes, IdpAddressPolicy, parseNetwork } from './idp-address-policy';

/** The classes production refuses, written out here from the RFCs (not imported), each with what it is. */
const DENIED_IPV4: Array<[string, string]> = [
  ['0.0.0.0/8', 'unspecified'],
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'shared'],
  ['169.254.0.0/16', 'link-local'],
  ['224.0.0.0/4', 'multicast'],
];
const DENIED_IPV6: Array<[string, string]> = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
];
/** Public blocks no rule should touch. */
const PUBLIC = ['8.8.0.0/16', '1.1.1.0/24', '93.184.0.0/16', '2001:4860::/32', '2606:4700::/32', '2a00:1450::/32'];

const production = new IdpAddressPolicy({ denyBuiltInClasses: true, deniedNetworks: [] });

/** A random address inside `cidr`, as bytes. */
const inside = (cidr: string) => {
  const network = parseNetwork(cidr)!;
  return fc.uint8Array({ minLength: network.bytes.length, maxLength: network.bytes.length }).map((random) => {
    const bytes = Uint8Array.from(network.bytes);
    for (let bit = network.prefix; bit < bytes.length * 8; bit++) {
      const mask = 0x80 >> bit % 8;
      bytes[bit >> 3] = (bytes[bit >> 3]! & ~mask) | (random[bit >> 3]! & mask);
    }
    return bytes;
  });
};
const ipv4Text = (b: Uint8Array) => Array.from(b).join('.');
const ipv6Full = (b: Uint8Array) => Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16)).join(':');
/** The same IPv6 address written several ways: in full, compressed as a URL host writes it, and in brackets. */
const ipv6Texts = (b: Uint8Array) => {
  const full = ipv6Full(b);
  const compressed = new URL(`http://[${full}]`).hostname.slice(1, -1);
  return [full, compressed, `[${compressed}]`, full.toUpperCase()];
};

describe('IdP address policy', () => {
  it('refuses every address of the loopback, private, link-local, CGNAT, unspecified and multicast classes, however written', () => {
    const v4 = fc.constantFrom(...DENIED_IPV4).chain(([cidr, why]) => inside(cidr).map((bytes) => ({ bytes, why })));
    fc.assert(
      fc.property(v4, ({ bytes, why }) => {
        const text = ipv4Text(bytes);
        const hex = `${((bytes[0]! << 8) | bytes[1]!).toString(16)}:${((bytes[2]! << 8) | bytes[3]!).toString(16)}`;
        // The IPv6 forms that carry an IPv4 address: mapped (dotted and hex), NAT64, 6to4.
        for (const form of [text, `::ffff:${text}`, `::ffff:${hex}`, `64:ff9b::${text}`, `64:ff9b::${hex}`, `2002:${hex}::1`]) {
          expect(production.classify(form)).toBe(why);
        }
      }),
      { numRuns: 500 },
    );
    const v6 = fc.constantFrom(...DENIED_IPV6).chain(([cidr, why]) => inside(cidr).map((bytes) => ({ bytes, why })));
    fc.assert(
      fc.property(v6, ({ bytes, why }) => {
        for (const form of ipv6Texts(bytes)) expect(production.classify(form)).toBe(why);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses the cloud metadata address and the link-local addresses that carry a zone', () => {
    expect(production.classify('169.254.169.254')).toBe('link-local');
    expect(production.classify('fd00:ec2::254')).toBe('private');
    expect(production.classify('fe80::1%eth0')).toBe('link-local');
    expect(production.classify('255.255.255.255')).toBe('reserved');
  });

  it('lets public addresses through', () => {
    const address = fc.constantFrom(...PUBLIC).chain(inside);
    fc.assert(
      fc.property(address, (bytes) => {
        const forms = bytes.length === 4 ? [ipv4Text(bytes), `::ffff:${ipv4Text(bytes)}`] : ipv6Texts(bytes);
        for (const form of forms) expect(production.classify(form)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it("refuses any address inside the operator's networks, in every environment", () => {
    const network = fc.oneof(
      fc.tuple(fc.ipV4(), fc.integer({ min: 8, max: 32 })).map(([address, prefix]) => `${address}/${prefix}`),
      fc.tuple(fc.ipV6(), fc.integer({ min: 16, max: 128 })).map(([address, prefix]) => `${address}/${prefix}`),
    );
    fc.assert(
      fc.property(network.chain((cidr) => inside(cidr).map((bytes) => ({ cidr, bytes }))), ({ cidr, bytes }) => {
        const policy = new IdpAddressPolicy({ denyBuiltInClasses: false, deniedNetworks: [cidr] });
        const text = bytes.length === 4 ? ipv4Text(bytes) : ipv6Full(bytes);
        expect(policy.classify(text)).toBe('denied-network');
      }),
      { numRuns: 300 },
    );
  });

  it('refuses nothing of the built-in classes outside production, so a local IdP works in development', () => {
    const policy = new IdpAddressPolicy({ denyBuiltInClasses: false, deniedNetworks: [] });
    for (const address of ['127.0.0.1', '::1', '10.1.2.3', '169.254.169.254', '::ffff:127.0.0.1']) expect(policy.classify(address)).toBeNull();
  });

  it('refuses a name when any one of its addresses is refused', () => {
    expect(production.firstRefused(['93.184.216.34', '2606:4700::1'])).toBeNull();
    expect(production.firstRefused(['93.184.216.34', '10.0.0.5', '2606:4700::1'])).toEqual({ address: '10.0.0.5', why: 'private' });
    expect(production.classify('not-an-address')).toBe('reserved');
  });

  it('reads addresses as bytes the way the URL parser does', () => {
    fc.assert(
      fc.property(fc.ipV6(), (address) => {
        const bytes = addressBytes(address)!;
        expect(new URL(`http://[${ipv6Full(bytes)}]`).hostname).toBe(new URL(`http://[${address}]`).hostname);
      }),
    );
    expect(Array.from(addressBytes('::ffff:1.2.3.4')!.subarray(10))).toEqual([0xff, 0xff, 1, 2, 3, 4]);
    expect(addressBytes('example.com')).toBeNull();
  });
});
