import { securityHeaders } from './security-headers';

describe('securityHeaders', () => {
  it('holds the policy: CSP with frame-ancestors none, HSTS, nosniff, no referrer, frames denied', () => {
    const h = securityHeaders();
    expect(h['content-security-policy']).toContain("default-src 'self'");
    expect(h['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(h['content-security-policy']).toContain("object-src 'none'");
    expect(h['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['referrer-policy']).toBe('no-referrer');
    expect(h['x-frame-options']).toBe('DENY');
    expect(h['x-powered-by']).toBeUndefined();
  });

  it('gives the same headers every time (nothing per request)', () => {
    expect(securityHeaders()).toEqual(securityHeaders());
  });

  it('refuses a policy helmet refuses', () => {
    expect(() => securityHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ["'self'", 'invalid value;'] } } })).toThrow();
  });
});
