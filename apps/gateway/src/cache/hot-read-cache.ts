import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';

/**
 * Reads the tenant's cache generation and the entry stored under it in one round trip. Entries are keyed by the
 * generation read BEFORE the answer was computed, so an answer computed while an invalidation happened is stored under
 * the old generation and never served: invalidation is one INCR, with no key scan and no race.
 */
const LOOKUP_LUA = `
local generation = redis.call('GET', KEYS[1]) or '0'
return { generation, redis.call('GET', ARGV[1] .. generation .. ARGV[2]) }
`;

type LookupCommand = (generationKey: string, prefix: string, suffix: string) => Promise<[string, string | null]>;

export interface CachedAnswer {
  etag: string;
  /** The JSON body, exactly as sent. */
  body: string;
}

export interface HotReadLookup {
  /** Present on a hit. */
  hit?: CachedAnswer;
  /** Store a computed answer with this (generation-bound) key. */
  key: string;
}

/** Weak ETag of a JSON text: equal answers, equal tags, on every gateway instance. */
export const etagOfText = (text: string): string => `W/"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;

/**
 * Hot reads (cluster list, policy matrix, endpoint pages) cached in Redis per tenant and shared by every gateway
 * instance, dropped for a tenant by `invalidate` (on clarion.clusters.updated.v1) and otherwise after `ttlSeconds`.
 * Redis being down never fails a read: lookups then miss and stores are skipped.
 */
export class HotReadCache {
  private readonly lookupCommand: LookupCommand;

  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly namespace = 'hot:v1',
  ) {
    if (!(redis as unknown as Record<string, unknown>)['clarionHotLookup']) {
      redis.defineCommand('clarionHotLookup', { numberOfKeys: 1, lua: LOOKUP_LUA });
    }
    this.lookupCommand = (redis as unknown as { clarionHotLookup: LookupCommand }).clarionHotLookup.bind(redis);
  }

  get enabled(): boolean {
    return this.ttlSeconds > 0;
  }

  private generationKey(tenantId: string): string {
    return `${this.namespace}:gen:${tenantId}`;
  }

  /** `resource` names the read (route and normalised query); never user-controlled free text without hashing. */
  async lookup(tenantId: string, resource: string): Promise<HotReadLookup | null> {
    if (!this.enabled) return null;
    const digest = createHash('sha256').update(resource).digest('base64url').slice(0, 32);
    const prefix = `${this.namespace}:e:${tenantId}:`;
    const suffix = `:${digest}`;
    const [generation, stored] = await this.lookupCommand(this.generationKey(tenantId), prefix, suffix);
    const key = `${prefix}${generation}${suffix}`;
    if (stored === null) return { key };
    const newline = stored.indexOf('\n');
    if (newline < 0) return { key };
    return { key, hit: { etag: stored.slice(0, newline), body: stored.slice(newline + 1) } };
  }

  async store(key: string, answer: CachedAnswer): Promise<void> {
    if (!this.enabled) return;
    await this.redis.set(key, `${answer.etag}\n${answer.body}`, 'EX', this.ttlSeconds);
  }

  /** Every cached read of the tenant is dropped (lazily: old entries expire on their own). */
  async invalidate(tenantId: string): Promise<void> {
    // One small counter per tenant, kept forever: letting it expire could bring back a generation whose entries live.
    await this.redis.incr(this.generationKey(tenantId));
  }
}
