import { Ipv6Bytes, parseIpv6 } from './address-bytes';

describe('Ipv6Bytes (bounded memo of IPv6 parsing)', () => {
  it('answers the parsed bytes, the same array again from its memo, and null for what is not IPv6', () => {
    const memo = new Ipv6Bytes(4);
    const first = memo.of('2001:db8::1');
    expect(first).toEqual(parseIpv6('2001:db8::1'));
    expect(memo.of('2001:db8::1')).toBe(first);
    expect(memo.of('10.0.0.1')).toBeNull();
    expect(memo.of('10.0.0.1')).toBeNull();
    expect(memo.of('2001:db8::1::2')).toBeNull();
  });

  it('stays correct past its bound, parsing again what it let go', () => {
    const memo = new Ipv6Bytes(2);
    const texts = Array.from({ length: 10 }, (_, i) => `fe80::${i.toString(16)}`);
    for (let round = 0; round < 3; round++) for (const t of texts) expect(memo.of(t)).toEqual(parseIpv6(t));
    const kept = memo.of('fe80::9');
    expect(memo.of('fe80::9')).toBe(kept);
  });
});
