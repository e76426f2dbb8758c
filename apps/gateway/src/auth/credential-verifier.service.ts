import { Injectable } from '@nestjs/common';
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
import { GatewayEnv } from '../gateway.env';

const API_KEY_PATTERN = /^clr_[a-z0-9]{8,16}_[A-Za-z0-9_-]{20,100}$/;
/**
 * A verified access token is remembered this long (never past its own expiry): an EdDSA verification costs ~0.3 ms
 * of CPU, which would cap a gateway core at ~3,000 requests/s. Access tokens are not revocable by design (15 min,
 * sessions end at refresh), so remembering a verification changes nothing a caller could observe.
 */
const VERIFIED_TOKEN_TTL_MS = 60_000;
const VERIFIED_TOKEN_MAX = 10_000;

/**
 * Turns a presented credential into the verified actor: an access token is verified locally against the auth
 * service's JWKS (cached, refreshed when an unknown `kid` appears); an API key is checked by the auth service over
 * NATS and the answer cached briefly in Redis, shared by every gateway instance.
 */
@Injectable()
export class CredentialVerifierService {
  private readonly tokens: AccessTokenVerifier;
  private readonly apiKeys: ApiKeyCache;
  private readonly verifiedTokens = new Map<string, { claims: AccessTokenClaims; untilMs: number }>();

  constructor(
    private readonly rpc: RpcClient,
    redis: RedisClient,
    env: GatewayEnv,
  ) {
    this.tokens = new AccessTokenVerifier({
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
      fetchJwks: async () => (await this.rpc.send<JwksResponseDto>(Subjects.auth.jwks, {})) as unknown as JSONWebKeySet,
    });
    this.apiKeys = new ApiKeyCache(redis, env.API_KEY_CACHE_TTL_S);
  }

  async verify(headers: Record<string, string | string[] | undefined>, client: { sourceIp?: string; userAgent?: string }): Promise<ActorDto> {
    const authorization = typeof headers['authorization'] === 'string' ? headers['authorization'] : undefined;
    const headerKey = typeof headers['x-api-key'] === 'string' ? headers['x-api-key'] : undefined;
    const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (authorization && !bearer) throw new DomainException(ErrorCode.Unauthenticated, 'the Authorization header must be "Bearer <token>"');
    const presented = headerKey ?? bearer;
    if (!presented) throw new DomainException(ErrorCode.Unauthenticated, 'a credential is required (Bearer token or X-API-Key)');
    if (presented.startsWith('clr_')) {
      if (!API_KEY_PATTERN.test(presented)) throw new DomainException(ErrorCode.Unauthenticated, 'the API key is not valid');
      const principal = (await this.apiKeys.get(presented)) ?? (await this.verifyApiKey(presented));
      return { kind: 'api_key', tenantId: principal.tenantId, id: principal.apiKeyId, permissions: principal.permissions as Permission[], ...client };
    }
    const claims = await this.verifyToken(presented);
    return { kind: 'user', tenantId: claims.tid, id: claims.sub, permissions: permissionsOfRoles(claims.roles), sessionId: claims.sid, ...client };
  }

  private async verifyToken(token: string): Promise<AccessTokenClaims> {
    const now = Date.now();
    const known = this.verifiedTokens.get(token);
    if (known !== undefined && known.untilMs > now) return known.claims;
    if (known !== undefined) this.verifiedTokens.delete(token);
    const claims = await this.tokens.verify(token);
    if (this.verifiedTokens.size >= VERIFIED_TOKEN_MAX) {
      // Oldest first (insertion order): drop a tenth so the sweep is rare.
      let drop = Math.ceil(VERIFIED_TOKEN_MAX / 10);
      for (const key of this.verifiedTokens.keys()) {
        this.verifiedTokens.delete(key);
        if (--drop === 0) break;
      }
    }
    this.verifiedTokens.set(token, { claims, untilMs: Math.min(claims.exp * 1000, now + VERIFIED_TOKEN_TTL_MS) });
    return claims;
  }

  private async verifyApiKey(key: string): Promise<VerifiedApiKeyResponseDto> {
    const principal = await this.rpc.send<VerifiedApiKeyResponseDto>(Subjects.auth.apiKeysVerify, { key });
    await this.apiKeys.put(key, principal);
    return principal;
  }
}
