import { createHash } from 'node:crypto';
import type { RedisClient } from './redis';

export interface CachedApiKeyPrincipal {
  apiKeyId: string;
  tenantId: string;
  permissions: string[];
  expiresAt: string | null;
}

/**
 * A short-lived Redis cache of verified API keys, shared by every gateway instance, so automation that calls the API
 * in a loop does not cost a NATS round trip and two queries per request. Keys are stored under a SHA-256 of the
 * presented key (never the key itself); revocation takes effect within the TTL, or at once via `forget`.
 */
export class ApiKeyCache {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds = 30,
  ) {}

  private keyOf(apiKey: string): string {
    return `apikey:v1:${createHash('sha256').update(apiKey).digest('base64url')}`;
  }

  async get(apiKey: string): Promise<CachedApiKeyPrincipal | null> {
    const raw = await this.redis.client.get(this.keyOf(apiKey));
    if (!raw) return null;
    const principal = JSON.parse(raw) as CachedApiKeyPrincipal;
    if (principal.expiresAt && Date.parse(principal.expiresAt) <= Date.now()) return null;
    return principal;
  }

  async put(apiKey: string, principal: CachedApiKeyPrincipal): Promise<void> {
    const untilExpiry = principal.expiresAt ? Math.floor((Date.parse(principal.expiresAt) - Date.now()) / 1000) : this.ttlSeconds;
    const ttl = Math.max(1, Math.min(this.ttlSeconds, untilExpiry));
    await this.redis.client.set(this.keyOf(apiKey), JSON.stringify(principal), 'EX', ttl);
  }

  async forget(apiKey: string): Promise<void> {
    await this.redis.client.del(this.keyOf(apiKey));
  }
}
