import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet } from 'jose';
import { DomainException } from '../domain.exception';
import { ErrorCode } from '../error-codes';
import { ACCESS_TOKEN_ALG, type AccessTokenClaims } from './access-token';
import { ROLE_NAMES, type RoleName } from './permissions';

export interface AccessTokenVerifierOptions {
  issuer: string;
  audience: string;
  /** Fetches the current JWKS (over NATS `clarion.auth.jwks.v1`, or HTTP). */
  fetchJwks: () => Promise<JSONWebKeySet>;
  /** Minimum time between two JWKS fetches caused by unknown key ids (a flood of forged kids must not DoS auth). */
  minRefreshIntervalMs?: number;
  /** Allowed clock skew in seconds. */
  clockToleranceSeconds?: number;
  now?: () => number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Verifies Clarion access tokens locally: EdDSA only (no `none`, no HMAC, so a public key can never be used as an
 * HMAC secret), required `kid` in the cached JWKS (refreshed when an unknown `kid` appears), issuer, audience,
 * expiry, and the Clarion claims (`tid`, `sid`, `roles`).
 */
export class AccessTokenVerifier {
  private jwks?: ReturnType<typeof createLocalJWKSet>;
  private kids = new Set<string>();
  private lastFetch = 0;
  private fetching?: Promise<void>;

  constructor(private readonly options: AccessTokenVerifierOptions) {}

  async verify(token: string, expectedTenantId?: string): Promise<AccessTokenClaims> {
    const kid = this.kidOf(token);
    if (!this.kids.has(kid)) await this.refresh(!this.jwks);
    if (!this.jwks || !this.kids.has(kid)) throw this.refuse('the token was signed by an unknown key');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        algorithms: [ACCESS_TOKEN_ALG],
        issuer: this.options.issuer,
        audience: this.options.audience,
        typ: 'at+jwt',
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        clockTolerance: this.options.clockToleranceSeconds ?? 5,
        currentDate: this.options.now ? new Date(this.options.now()) : undefined,
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw this.refuse('the token has expired');
      throw this.refuse('the token is not valid');
    }
    const { tid, sid, roles } = payload;
    if (typeof tid !== 'string' || !UUID.test(tid) || typeof sid !== 'string' || !UUID.test(sid)) throw this.refuse('the token is not valid');
    if (!Array.isArray(roles) || !roles.every((r) => (ROLE_NAMES as readonly unknown[]).includes(r))) throw this.refuse('the token is not valid');
    if (expectedTenantId && tid !== expectedTenantId) throw this.refuse('the token belongs to another tenant');
    return payload as unknown as AccessTokenClaims & { roles: RoleName[] };
  }

  private kidOf(token: string): string {
    const [header] = token.split('.');
    try {
      const parsed = JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')) as { kid?: unknown; alg?: unknown };
      if (parsed.alg !== ACCESS_TOKEN_ALG) throw new Error('alg');
      if (typeof parsed.kid !== 'string' || parsed.kid.length === 0 || parsed.kid.length > 100) throw new Error('kid');
      return parsed.kid;
    } catch {
      throw this.refuse('the token is not valid');
    }
  }

  private async refresh(force: boolean): Promise<void> {
    const now = this.options.now?.() ?? Date.now();
    if (!force && now - this.lastFetch < (this.options.minRefreshIntervalMs ?? 5000)) return;
    this.fetching ??= (async () => {
      try {
        const set = await this.options.fetchJwks();
        this.jwks = createLocalJWKSet(set);
        this.kids = new Set(set.keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string'));
        this.lastFetch = this.options.now?.() ?? Date.now();
      } finally {
        this.fetching = undefined;
      }
    })();
    await this.fetching;
  }

  private refuse(message: string): DomainException {
    return new DomainException(ErrorCode.Unauthenticated, message);
  }
}
