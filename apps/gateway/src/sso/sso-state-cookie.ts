import { timingSafeEqual } from 'node:crypto';

/**
 * The cookie that binds an SSO sign-in's `state` to the browser that started it (login CSRF defence, RFC 6749
 * section 10.12): set by /start, required by /callback. HttpOnly (scripts cannot read it) and SameSite=Lax: Lax, not
 * Strict, because the IdP sends the browser back with a cross-site top-level navigation, which Strict would strip.
 */
export const SSO_STATE_COOKIE = 'clarion_sso_state';
export const SSO_COOKIE_PATH = '/api/v1/auth/sso';
const MAX_AGE_S = 600;

export function stateCookie(state: string, maxAgeSeconds: number, secure: boolean): string {
  const maxAge = Math.max(1, Math.min(MAX_AGE_S, Math.floor(maxAgeSeconds)));
  return `${SSO_STATE_COOKIE}=${state}; Path=${SSO_COOKIE_PATH}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

export function clearedStateCookie(secure: boolean): string {
  return `${SSO_STATE_COOKIE}=; Path=${SSO_COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** The value of one cookie in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sameState(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
