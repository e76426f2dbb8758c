import { ExporterTenantMap, ExporterTenantMapError, normaliseExporterAddress, parseExporterTenantMap } from './exporter-tenant-map';

describe('exporter to tenant map', () => {
  it('parses address and prefix rules, IPv4 and IPv6, a bare address being a host route', () => {
    expect(parseExporterTenantMap(' 10.1.0.0/16=acme, 192.0.2.7=beta,2001:db8::/32=acme ,')).toEqual([
      { family: 'ipv4', network: '10.1.0.0', prefix: 16, tenantSlug: 'acme' },
      { family: 'ipv4', network: '192.0.2.7', prefix: 32, tenantSlug: 'beta' },
      { family: 'ipv6', network: '2001:db8::', prefix: 32, tenantSlug: 'acme' },
    ]);
    expect(parseExporterTenantMap('')).toEqual([]);
  });

  it.each([
    ['10.0.0.0/8', 'no tenant'],
    ['10.0.0.0/33=acme', 'prefix too long'],
    ['2001:db8::/129=acme', 'prefix too long'],
    ['10.0.0/8=acme', 'not an address'],
    ['10.0.0.0/8=Acme!', 'not a slug'],
  ])('refuses %s (%s)', (text) => {
    expect(() => parseExporterTenantMap(text)).toThrow(ExporterTenantMapError);
  });

  it('picks the longest matching prefix, else the default tenant, else refuses', () => {
    const map = new ExporterTenantMap(parseExporterTenantMap('10.0.0.0/8=wide,10.1.0.0/16=narrow,10.1.2.3=host,2001:db8::/32=six'), 'fallback');
    expect(map.slugOf('10.1.2.3')).toBe('host');
    expect(map.slugOf('10.1.9.9')).toBe('narrow');
    expect(map.slugOf('10.200.0.1')).toBe('wide');
    expect(map.slugOf('2001:db8:1::5')).toBe('six');
    expect(map.slugOf('192.0.2.1')).toBe('fallback');
    expect(map.slugs().sort()).toEqual(['fallback', 'host', 'narrow', 'six', 'wide']);
    const strict = new ExporterTenantMap(parseExporterTenantMap('10.0.0.0/8=wide'), undefined);
    expect(strict.slugOf('192.0.2.1')).toBeUndefined();
    expect(strict.slugOf('10.0.0.1')).toBe('wide');
  });

  it('normalises IPv4-mapped IPv6 sources and drops IPv6 zone ids', () => {
    expect(normaliseExporterAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(normaliseExporterAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(normaliseExporterAddress('2001:db8::1')).toBe('2001:db8::1');
    expect(normaliseExporterAddress('192.0.2.1')).toBe('192.0.2.1');
  });
});
