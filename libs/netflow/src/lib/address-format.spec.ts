import fc from 'fast-check';
import { isIPv6 } from 'node:net';
import { formatIpv4, formatIpv4Number, formatIpv6, formatMac, ipv4Text, ipv6Text, macText } from './address-format';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const v6 = (...groups: number[]): Uint8Array => {
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
};

describe('address formatting', () => {
  it('formats IPv4 octets of one, two and three digits', () => {
    expect(formatIpv4(bytes(0, 9, 10, 99), 0)).toBe('0.9.10.99');
    expect(formatIpv4(bytes(100, 199, 255, 1), 0)).toBe('100.199.255.1');
    expect(formatIpv4(bytes(255, 255, 255, 255), 0)).toBe('255.255.255.255');
    expect(formatIpv4(bytes(7, 1, 2, 3, 4), 1)).toBe('1.2.3.4');
    expect(formatIpv4Number(0xc0a80001)).toBe('192.168.0.1');
  });

  it('formats IPv4 like the platform for any address (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
        expect(formatIpv4(b, 0)).toBe(Array.from(b).join('.'));
      }),
    );
  });

  it('formats MACs as lower-case colon-separated pairs', () => {
    expect(formatMac(bytes(0, 0x1b, 0x21, 0xab, 0xcd, 0xef), 0)).toBe('00:1b:21:ab:cd:ef');
  });

  it('shortens the longest run of zero groups, the first on a tie, and never a single group (RFC 5952)', () => {
    expect(formatIpv6(v6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), 0)).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(v6(0x2001, 0xdb8, 0, 0, 0, 1, 0, 0), 0)).toBe('2001:db8::1:0:0');
    expect(formatIpv6(v6(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), 0)).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIpv6(v6(0, 0, 0, 0, 0, 0, 0, 1), 0)).toBe('::1');
    expect(formatIpv6(v6(0, 0, 0, 0, 0, 0, 0, 0), 0)).toBe('::');
    expect(formatIpv6(v6(0xfe80, 0, 0, 0, 0xfa53, 0x29ff, 0xfe3a, 0x3152), 0)).toBe('fe80::fa53:29ff:fe3a:3152');
    expect(formatIpv6(v6(1, 0, 0, 0, 0, 0, 0, 0), 0)).toBe('1::');
  });

  it('writes IPv4-mapped IPv6 addresses with a dotted quad', () => {
    expect(formatIpv6(v6(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201), 0)).toBe('::ffff:192.0.2.1');
  });

  it('writes valid, canonical IPv6 text for any address (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }), (groups) => {
        const text = formatIpv6(v6(...groups), 0);
        expect(isIPv6(text)).toBe(true);
        expect(text).toBe(text.toLowerCase());
        expect(text).not.toMatch(/(^|:)0[0-9a-f]/);
        expect(text.split('::').length).toBeLessThanOrEqual(2);
      }),
    );
  });

  it('memoised formatters return what the plain ones do, also when addresses collide in the cache (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), { minLength: 1, maxLength: 300 }), (addresses) => {
        // Every address twice, so each enters the cache, interleaved so slots get overwritten.
        for (const b of [...addresses, ...addresses, ...addresses.reverse()]) {
          expect(ipv4Text(b, 0)).toBe(formatIpv4(b, 0));
          expect(macText(b, 1)).toBe(formatMac(b, 1));
          expect(ipv6Text(b, 0)).toBe(formatIpv6(b, 0));
        }
      }),
    );
  });
});
