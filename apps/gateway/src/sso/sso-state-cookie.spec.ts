import { clearedStateCookie, readCookie, sameState, SSO_STATE_COOKIE, stateCookie } from './sso-state-cookie';

describe('SSO state cookie', () => {
  it('is HttpOnly, SameSite=Lax, scoped to the SSO routes and short-lived', () => {
    const cookie = stateCookie('abc', 599.7, false);
    expect(cookie).toBe(`${SSO_STATE_COOKIE}=abc; Path=/api/v1/auth/sso; Max-Age=599; HttpOnly; SameSite=Lax`);
    expect(stateCookie('abc', 99_999, true)).toMatch(/Max-Age=600; HttpOnly; SameSite=Lax; Secure$/);
    expect(stateCookie('abc', -5, false)).toContain('Max-Age=1;');
    expect(clearedStateCookie(true)).toMatch(/^clarion_sso_state=; .*Max-Age=0; .*Secure$/);
  });

  it('reads one cookie out of a Cookie header', () => {
    expect(readCookie('a=1; clarion_sso_state=xyz; b=2', SSO_STATE_COOKIE)).toBe('xyz');
    expect(readCookie('xclarion_sso_state=no', SSO_STATE_COOKIE)).toBeUndefined();
    expect(readCookie(undefined, SSO_STATE_COOKIE)).toBeUndefined();
  });

  it('compares states in constant time and refuses different lengths', () => {
    expect(sameState('abc', 'abc')).toBe(true);
    expect(sameState('abc', 'abd')).toBe(false);
    expect(sameState('abc', 'abcd')).toBe(false);
  });
});
