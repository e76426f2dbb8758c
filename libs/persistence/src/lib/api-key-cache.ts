import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { REDIS_KEYSPACES } from '@clarion/contracts';
import type { RedisClient } from './redis';

export interface CachedApiKeyPrincipal {
  apiKeyId: string;
  tenantId: string;
  permissions: string[];
  expiresAt: string | null;
}

/** The longest a gateway may cache a verified key (its API_KEY_CACHE_TTL_S is at most this): a tombstone's life. */
export const API_KEY_CACHE_MAX_TTL_S = 300;

/** What a revoked, demoted or disabled key's slot holds for a while, so a verification in flight cannot cache it. */
const TOMBSTONE = 'revoked';

/** The slot of a key: by its public prefix (`clr_<prefix>_…`), so the auth service can clear it without the secret. */
export const apiKeyCacheSlot = (prefix: string): string => `${REDIS_KEYSPACES.apiKeyCache.prefix}:${prefix}`;

const prefixOf = (apiKey: string): string | undefined => /^clr_([a-z0-9]{8,16})_/.exec(apiKey)?.[1];

/**
 * A short-lived Redis cache of verified API keys, shared by every gateway instance, so automation that calls the API
 * in a loop does not cost a NATS round trip and two queries per request.
 *
 * - The value binds the whole presented key (its SHA-256; never the key itself) and is authenticated with an HMAC
 *   whose key Redis never sees (the gateways derive it from their caller-assertion key): a Redis writer can delete
 *   entries, never make one the gateway believes. Without a MAC key nothing is cached.
 * - The slot is named by the key's public prefix, so the auth service ends a key at once on every gateway when it is
 *   revoked, or its creator is disabled or loses a permission (`tombstone`): the slot holds a tombstone for the
 *   cache's TTL, and a gateway writes only into an empty slot (`SET NX`), so a verification that raced the
 *   revocation cannot put the key back.
 */
export class ApiKeyCache {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds = 30,
    private readonly macKey?: Buffer,
  ) {}

  /**
   * The MAC key of the gateways' entries, derived from their caller-assertion signing key (RPC_SIGNING_KEY, which
   * every gateway instance holds and Redis never sees); none without one, and then nothing is cached.
   */
  static macKeyFrom(signingKeyPem: string | undefined): Buffer | undefined {
    if (!signingKeyPem) return undefined;
    return Buffer.from(hkdfSync('sha256', Buffer.from(signingKeyPem.trim(), 'utf8'), Buffer.alloc(0), 'clarion api-key cache v2', 32));
  }

  private mac(slot: string, body: string): string {
    return createHmac('sha256', this.macKey ?? Buffer.alloc(0)).update(slot).update('\n').update(body).digest('base64url');
  }

  private static digest(apiKey: string): string {
    return createHash('sha256').update(apiKey).digest('base64url');
  }

  async get(apiKey: string): Promise<CachedApiKeyPrincipal | null> {
    const prefix = prefixOf(apiKey);
    if (!this.macKey || !prefix) return null;
    const slot = apiKeyCacheSlot(prefix);
    const raw = await this.redis.client.get(slot);
    return raw ? this.read(slot, raw, apiKey) : null;
  }

  /** An entry is believed only when its MAC verifies and it is for this very key, unexpired. */
  private read(slot: string, raw: string, apiKey: string): CachedApiKeyPrincipal | null {
    const dot = raw.lastIndexOf('.');
    if (raw === TOMBSTONE || dot < 0) return null;
    const body = raw.slice(0, dot);
    const presented = Buffer.from(raw.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.mac(slot, body), 'base64url');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
    let entry: { k?: unknown; p?: CachedApiKeyPrincipal };
    try {
      entry = JSON.parse(body) as typeof entry;
    } catch {
      return null;
    }
    if (entry.k !== ApiKeyCache.digest(apiKey) || !entry.p) return null;
    if (entry.p.expiresAt && Date.parse(entry.p.expiresAt) <= Date.now()) return null;
    return entry.p;
  }

  async put(apiKey: string, principal: CachedApiKeyPrincipal): Promise<void> {
    const prefix = prefixOf(apiKey);
    if (!this.macKey || !prefix) return;
    const untilExpiry = principal.expiresAt ? Math.floor((Date.parse(principal.expiresAt) - Date.now()) / 1000) : this.ttlSeconds;
    const ttl = Math.max(1, Math.min(this.ttlSeconds, untilExpiry));
    const slot = apiKeyCacheSlot(prefix);
    const body = JSON.stringify({ k: ApiKeyCache.digest(apiKey), p: principal });
    await this.redis.client.set(slot, `${body}.${this.mac(slot, body)}`, 'EX', ttl, 'NX');
  }

  /**
   * Ends the cached verification of these keys on every gateway at once, and keeps any gateway from caching them
   * again for `seconds` (at least the gateways' cache TTL). Called by the auth service.
   */
  static async tombstone(redis: RedisClient, prefixes: readonly string[], seconds = API_KEY_CACHE_MAX_TTL_S): Promise<void> {
    if (prefixes.length === 0) return;
    const batch = redis.client.multi();
    for (const prefix of prefixes) batch.set(apiKeyCacheSlot(prefix), TOMBSTONE, 'EX', Math.max(1, Math.ceil(seconds)));
    await batch.exec();
  }
}
