import { clientAddressOf } from './client-address';

describe('clientAddressOf', () => {
  it('counts an IPv4 address as its own source inside its /24', () => {
    expect(clientAddressOf('198.51.100.23')).toEqual({ source: '198.51.100.23', network: '198.51.100.0/24' });
  });

  it('counts every address of an IPv6 /64 as one source inside its /48', () => {
    const a = clientAddressOf('2001:db8:aa:bb:1:2:3:4');
    const b = clientAddressOf('2001:0DB8:00aa:00bb:ffff::9');
    expect(a).toEqual({ source: '2001:db8:aa:bb::/64', network: '2001:db8:aa::/48' });
    expect(b).toEqual(a);
    expect(clientAddressOf('2001:db8:aa:cc::1').network).toBe(a.network);
    expect(clientAddressOf('2001:db8:aa:cc::1').source).not.toBe(a.source);
  });

  it('expands compressed forms, zone ids and embedded dotted quads', () => {
    expect(clientAddressOf('::1').source).toBe('0:0:0:0::/64');
    expect(clientAddressOf('fe80::1%eth0')).toEqual({ source: 'fe80:0:0:0::/64', network: 'fe80:0:0::/48' });
    expect(clientAddressOf('64:ff9b::192.0.2.33').source).toBe('64:ff9b:0:0::/64');
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 address it carries', () => {
    expect(clientAddressOf('::ffff:192.0.2.7')).toEqual(clientAddressOf('192.0.2.7'));
    expect(clientAddressOf('::FFFF:c000:0207')).toEqual(clientAddressOf('192.0.2.7'));
  });

  it('keeps anything else as one opaque source and network', () => {
    expect(clientAddressOf(' Unknown ')).toEqual({ source: 'unknown', network: 'unknown' });
    expect(clientAddressOf('300.1.1.1')).toEqual({ source: '300.1.1.1', network: '300.1.1.1' });
  });
});
