import type { RoleName } from './permissions';

/** Claims of a Clarion access token (JWT, EdDSA). */
export interface AccessTokenClaims {
  iss: string;
  aud: string;
  /** User id. */
  sub: string;
  /** Tenant id. */
  tid: string;
  roles: RoleName[];
  /** Session id: revoking the session stops refreshes; the access token itself lives at most its TTL. */
  sid: string;
  iat: number;
  exp: number;
  jti: string;
}

export const ACCESS_TOKEN_ALG = 'EdDSA';
