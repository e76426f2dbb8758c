import { Injectable, Optional } from '@nestjs/common';
import {
  AccessTokenVerifier,
  DomainException,
  ErrorCode,
  permissionsOfRoles,
  Subjects,
  type AccessTokenClaims,
  type ActorDto,
  type JwksResponseDto,
  type Permission,
  type VerifiedApiKeyResponseDto,
} from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import { ApiKeyCache, RedisClient } from '@clarion/persistence';
import type { JSONWebKeySet } from 'jose';
import { LRUCache } from 'lru-cache';
import { GatewayEnv } from '../gateway.env';
import { RevokedSessions } from './revoked-sessions.service';

const API_KEY_PATTERN = /^clr_[a-z0-9]{8,16}_[A-Za-z0-9_-]{20,100}$/;
/**
 * A verified access token is remembered this long (never past its own expiry): an EdDSA verification costs ~0.3 ms
 * of CPU, which would cap a gateway core at ~3,000 requests/s. Access tokens are not revocable by design (15 min,
 * sessions end at refresh), so remembering a verification changes nothing a caller could observe.
 */
const VERIFIED_TOKEN_TTL_MS = 60_000;
const VERIFIED_TOKEN_MAX = 10_000;

interface RememberedToken {
  claims: AccessTokenClaims;
  permissions: Permission[];
}

const BEARER_PATTERN = /^Bearer\s+(\S+)$/i;

/** An Authorization header that is not "Bearer <token>": refused, whatever else the request presents. */
const MALFORMED = Symbol('malformed Authorization header');

/** The credential a request presents: its X-API-Key, else its Bearer token; undefined when it presents none. */
function presentedCredential(headers: Record<string, string | string[] | undefined>): string | typeof MALFORMED | undefined {
  const authorization = typeof headers['authorization'] === 'string' ? headers['authorization'] : undefined;
  const bearer = authorization?.match(BEARER_PATTERN)?.[1];
  if (authorization && !bearer) return MALFORMED;
  const headerKey = headers['x-api-key'];
  return (typeof headerKey === 'string' ? headerKey : undefined) ?? bearer;
}

/**
 * Turns a presented credential into the verified actor: an access token is verified locally against the auth
 * service's JWKS (cached, refreshed when an unknown `kid` appears); an API key is checked by the auth service over
 * NATS and the answer cached briefly in Redis, shared by every gateway instance.
 */
@Injectable()
export class CredentialVerifierService {
  private readonly tokens: AccessTokenVerifier;
  private readonly apiKeys: ApiKeyCache;
  /**
   * Each entry's ttl ends with its token (or VERIFIED_TOKEN_TTL_MS after the verification, whichever is first), timed
   * on the wall clock the token's expiry is written in.
   */
  private readonly verifiedTokens = new LRUCache<string, RememberedToken>({ max: VERIFIED_TOKEN_MAX, ttl: VERIFIED_TOKEN_TTL_MS, perf: { now: () => Date.now() } });

  constructor(
    private readonly rpc: RpcClient,
    redis: RedisClient,
    env: GatewayEnv,
    /** Sessions ended since their tokens were issued: those tokens are refused at once (absent in unit tests). */
    @Optional() private readonly revoked?: RevokedSessions,
  ) {
    this.tokens = new AccessTokenVerifier({
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
      fetchJwks: async () => (await this.rpc.send<JwksResponseDto>(Subjects.auth.jwks, {})) as unknown as JSONWebKeySet,
    });
    this.apiKeys = new ApiKeyCache(redis, env.API_KEY_CACHE_TTL_S, ApiKeyCache.macKeyFrom(env.RPC_SIGNING_KEY));
  }

  /** `apiKeyCacheRead`: the shared cache was read for this request already (a miss), so an API key goes to auth. */
  async verify(
    headers: Record<string, string | string[] | undefined>,
    client: { sourceIp?: string; userAgent?: string },
    options: { apiKeyCacheRead?: boolean } = {},
  ): Promise<ActorDto> {
    const presented = presentedCredential(headers);
    if (presented === MALFORMED) throw new DomainException(ErrorCode.Unauthenticated, 'the Authorization header must be "Bearer <token>"');
    if (!presented) throw new DomainException(ErrorCode.Unauthenticated, 'a credential is required (Bearer token or X-API-Key)');
    if (presented.startsWith('clr_')) {
      if (!API_KEY_PATTERN.test(presented)) throw new DomainException(ErrorCode.Unauthenticated, 'the API key is not valid');
      const principal = (options.apiKeyCacheRead ? null : await this.apiKeys.get(presented)) ?? (await this.verifyApiKey(presented));
      return actorOfApiKey(principal, client);
    }
    const verified = await this.verifyToken(presented);
    if (this.revoked?.isRevoked(verified.claims.sid)) throw new DomainException(ErrorCode.Unauthenticated, 'the session of this token has ended');
    return actorOfToken(verified, client);
  }

  /**
   * The actor of a Bearer token this instance verified within the last minute (and still valid), without any I/O;
   * undefined for anything else (API keys, unknown or malformed tokens), which `verify` then handles.
   */
  rememberedActor(headers: Record<string, string | string[] | undefined>, client: { sourceIp?: string; userAgent?: string }): ActorDto | undefined {
    const presented = presentedCredential(headers);
    // Only tokens are remembered; an API key (in either header) is never found here.
    const known = typeof presented === 'string' ? this.verifiedTokens.get(presented) : undefined;
    // A token of an ended session is left to `verify`, which refuses it.
    return known === undefined || this.revoked?.isRevoked(known.claims.sid) ? undefined : actorOfToken(known, client);
  }

  /**
   * The actor of an API key whose verification is in the shared Redis cache (one Redis read, as `verify` does first):
   * `actor` when it is there; `cacheMissed` when the key is well-formed and not there (so `verify` need not read the
   * cache again); neither for anything else, or when Redis does not answer, which `verify` then handles. The same
   * cache as `verify`, so the same bound on a revoked key: at most API_KEY_CACHE_TTL_S.
   */
  async cachedApiKeyActor(
    headers: Record<string, string | string[] | undefined>,
    client: { sourceIp?: string; userAgent?: string },
  ): Promise<{ actor?: ActorDto; cacheMissed?: true }> {
    const presented = presentedCredential(headers);
    if (typeof presented !== 'string' || !API_KEY_PATTERN.test(presented)) return {};
    try {
      const principal = await this.apiKeys.get(presented);
      return principal === null ? { cacheMissed: true } : { actor: actorOfApiKey(principal, client) };
    } catch {
      return {};
    }
  }

  private async verifyToken(token: string): Promise<RememberedToken> {
    const known = this.verifiedTokens.get(token);
    if (known !== undefined) return known;
    const claims = await this.tokens.verify(token);
    const remembered = { claims, permissions: permissionsOfRoles(claims.roles) };
    // The clock tolerance lets a token just past its expiry verify: answered, not remembered (a ttl of 0 never ends).
    const ttl = Math.min(claims.exp * 1000 - Date.now(), VERIFIED_TOKEN_TTL_MS);
    if (ttl > 0) this.verifiedTokens.set(token, remembered, { ttl });
    return remembered;
  }

  private async verifyApiKey(key: string): Promise<VerifiedApiKeyResponseDto> {
    const principal = await this.rpc.send<VerifiedApiKeyResponseDto>(Subjects.auth.apiKeysVerify, { key });
    await this.apiKeys.put(key, principal);
    return principal;
  }
}

function actorOfApiKey(principal: { tenantId: string; apiKeyId: string; permissions: readonly string[] }, client: { sourceIp?: string; userAgent?: string }): ActorDto {
  return { kind: 'api_key', tenantId: principal.tenantId, id: principal.apiKeyId, permissions: principal.permissions as Permission[], ...client };
}

function actorOfToken({ claims, permissions }: RememberedToken, client: { sourceIp?: string; userAgent?: string }): ActorDto {
  return { kind: 'user', tenantId: claims.tid, id: claims.sub, permissions, sessionId: claims.sid, ...client };
}
