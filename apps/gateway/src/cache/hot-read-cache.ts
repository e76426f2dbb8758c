import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { SLIDING_WINDOW_LUA_FUNCTION } from '../rate-limit/rate-limiter';

/**
 * Reads the tenant's cache generation and the entry stored under it. Entries are keyed by the generation read BEFORE
 * the answer was computed, so an answer computed while an invalidation happened is stored under the old generation
 * and never served: invalidation is one INCR, with no key scan and no race. Both scripts below end with it.
 */
const LOOKUP_LUA_FUNCTION = `
local function hotLookup(generationKey, prefix, suffix)
  local generation = redis.call('GET', generationKey) or '0'
  return { generation, redis.call('GET', prefix .. generation .. suffix) }
end
`;

/** The lookup alone, in one round trip: `{ generation, entry }`. */
const LOOKUP_LUA = `${LOOKUP_LUA_FUNCTION}
return hotLookup(KEYS[1], ARGV[1], ARGV[2])
`;

type LookupCommand = (generationKey: string, prefix: string, suffix: string) => Promise<[string, string | null]>;

/**
 * The admission of a hot read in one round trip: the caller's per-address and per-principal rate limits (the same
 * buckets, the same sliding window as every other route), then, when both admit it, the lookup. Answers
 * `{ refusedBucket, waitMs }` or `{ '', 0, generation, entry }` (a missing entry ends the array early).
 */
const ADMIT_AND_LOOKUP_LUA = `${SLIDING_WINDOW_LUA_FUNCTION}${LOOKUP_LUA_FUNCTION}
local window = tonumber(ARGV[1])
if ARGV[2] ~= '' then
  local byAddress = slidingWindowHit(KEYS[1], window, tonumber(ARGV[2]))
  if byAddress[1] == 0 then return { 'ip', byAddress[3] } end
  local byPrincipal = slidingWindowHit(KEYS[2], window, tonumber(ARGV[3]))
  if byPrincipal[1] == 0 then return { 'principal', byPrincipal[3] } end
end
local found = hotLookup(KEYS[3], ARGV[4], ARGV[5])
return { '', 0, found[1], found[2] }
`;

/** Bulk replies come as Buffers (the `Buffer` variant ioredis defines with every script): a hit's body is sent as read. */
type AdmitCommand = (
  addressBucketKey: string,
  principalBucketKey: string,
  generationKey: string,
  windowMs: number,
  addressLimit: number | '',
  principalLimit: number | '',
  prefix: string,
  suffix: string,
) => Promise<[Buffer, number, Buffer?, (Buffer | null)?]>;

/** Rate limits to count with a hot-read lookup; absent when limits are off. */
export interface AdmissionLimits {
  addressBucketKey: string;
  principalBucketKey: string;
  windowMs: number;
  addressLimit: number;
  principalLimit: number;
}

export type HotReadAdmission = { refused: { bucket: 'ip' | 'principal'; waitMs: number } } | { refused?: undefined; lookup: HotReadLookup };

export interface CachedAnswer {
  etag: string;
  /** The JSON body, exactly as sent (UTF-8 bytes when read by the fast lane). */
  body: string | Buffer;
}

export interface HotReadLookup {
  /** Present on a hit. */
  hit?: CachedAnswer;
  /** Store a computed answer with this (generation-bound) key. */
  key: string;
}

/** Weak ETag of a JSON text: equal answers, equal tags, on every gateway instance. */
export const etagOfText = (text: string): string => `W/"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;

const MEMO_MAX_ENTRIES = 10_000;
const MEMO_RESOURCE_MAX_CHARS = 512;

/** A stored entry is `<etag>\n<body>`; read as text (full path) or as bytes (fast lane, sent as read). */
function lookupOf(key: string, stored: string | Buffer | null | undefined): HotReadLookup {
  const newline = stored ? stored.indexOf('\n') : -1;
  if (!stored || newline < 0) return { key };
  if (typeof stored === 'string') return { key, hit: { etag: stored.slice(0, newline), body: stored.slice(newline + 1) } };
  return { key, hit: { etag: stored.toString('latin1', 0, newline), body: stored.subarray(newline + 1) } };
}

/** A Lua script as a command of the client (EVALSHA, EVAL once per connection), defined once per client. */
function scriptCommand<T>(redis: Redis, name: string, numberOfKeys: number, lua: string): T {
  const commands = redis as unknown as Record<string, unknown>;
  if (!commands[name]) redis.defineCommand(name, { numberOfKeys, lua });
  return commands[name] as T;
}

/**
 * Hot reads (cluster list, policy matrix, endpoint pages) cached in Redis per tenant and shared by every gateway
 * instance, dropped for a tenant by `invalidate` (on clarion.clusters.updated.v1) and otherwise after `ttlSeconds`.
 * Redis being down never fails a read: lookups then miss and stores are skipped.
 */
export class HotReadCache {
  private readonly lookupCommand: LookupCommand;
  private readonly admitCommand: AdmitCommand;
  /** Digests of recent resources (a few hundred distinct reads per tenant are typical; hashing each time costs more). */
  private readonly digests = new Map<string, string>();

  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly namespace = 'hot:v1',
  ) {
    this.lookupCommand = scriptCommand<LookupCommand>(redis, 'clarionHotLookup', 1, LOOKUP_LUA).bind(redis);
    scriptCommand(redis, 'clarionHotAdmit', 3, ADMIT_AND_LOOKUP_LUA);
    // ioredis defines a `...Buffer` variant with every script: bulk replies as bytes.
    this.admitCommand = (redis as unknown as { clarionHotAdmitBuffer: AdmitCommand }).clarionHotAdmitBuffer.bind(redis);
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
    const { prefix, suffix } = this.entryKeyParts(tenantId, resource);
    const [generation, stored] = await this.lookupCommand(this.generationKey(tenantId), prefix, suffix);
    return lookupOf(`${prefix}${generation}${suffix}`, stored);
  }

  /**
   * Counts the request in both rate-limit buckets and, when they admit it, looks the read up: one round trip where
   * the limits and the lookup would otherwise take three. Null when the cache is off.
   */
  async admitAndLookup(tenantId: string, resource: string, limits: AdmissionLimits | undefined): Promise<HotReadAdmission | null> {
    if (!this.enabled) return null;
    const { prefix, suffix } = this.entryKeyParts(tenantId, resource);
    const [refusedBucket, waitMs, generation, stored] = await this.admitCommand(
      limits?.addressBucketKey ?? '',
      limits?.principalBucketKey ?? '',
      this.generationKey(tenantId),
      limits?.windowMs ?? 0,
      limits?.addressLimit ?? '',
      limits?.principalLimit ?? '',
      prefix,
      suffix,
    );
    const refused = refusedBucket.toString();
    if (refused === 'ip' || refused === 'principal') return { refused: { bucket: refused, waitMs: Number(waitMs) } };
    return { lookup: lookupOf(`${prefix}${generation?.toString() ?? '0'}${suffix}`, stored) };
  }

  private entryKeyParts(tenantId: string, resource: string): { prefix: string; suffix: string } {
    let digest = this.digests.get(resource);
    if (digest === undefined) {
      digest = createHash('sha256').update(resource).digest('base64url').slice(0, 32);
      if (resource.length <= MEMO_RESOURCE_MAX_CHARS) {
        if (this.digests.size >= MEMO_MAX_ENTRIES) this.digests.clear();
        this.digests.set(resource, digest);
      }
    }
    return { prefix: `${this.namespace}:e:${tenantId}:`, suffix: `:${digest}` };
  }

  async store(key: string, answer: CachedAnswer & { body: string }): Promise<void> {
    if (!this.enabled) return;
    await this.redis.set(key, `${answer.etag}\n${answer.body}`, 'EX', this.ttlSeconds);
  }

  /** Every cached read of the tenant is dropped (lazily: old entries expire on their own). */
  async invalidate(tenantId: string): Promise<void> {
    // One small counter per tenant, kept forever: letting it expire could bring back a generation whose entries live.
    await this.redis.incr(this.generationKey(tenantId));
  }
}
