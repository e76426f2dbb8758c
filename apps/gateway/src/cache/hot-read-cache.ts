import { REDIS_KEYSPACES } from '@clarion/contracts';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import { ADMISSION_LUA_FUNCTION, type AdmissionDecision, type AdmissionLimits } from '../rate-limit/rate-limiter';

/**
 * Reads the tenant's cache generation and the entry stored under it. Entries are keyed by the generation read BEFORE
 * the answer was computed, so an answer computed while an invalidation happened is stored under the old generation
 * and never served: invalidation is one INCR, with no key scan and no race. Both scripts below end with it.
 */
const LOOKUP_LUA_FUNCTION = `
local function hotLookup(generationKey, prefix, suffix, knownTag)
  local generation = redis.call('GET', generationKey) or '0'
  local entry = redis.call('GET', prefix .. generation .. suffix)
  if entry and knownTag ~= '' and string.sub(entry, 1, #knownTag + 1) == knownTag .. '\\n' then return { generation, 1 } end
  return { generation, entry }
end
`;

/**
 * The lookup alone, in one round trip: `{ generation, entry }`, or `{ generation, 1 }` when the entry's ETag is the
 * one the caller already holds (the body is then not sent again).
 */
const LOOKUP_LUA = `${LOOKUP_LUA_FUNCTION}
return hotLookup(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
`;

type LookupCommand = (generationKey: string, prefix: string, suffix: string, knownTag: string) => Promise<[string, string | number | null]>;

/**
 * The admission of a hot read in one round trip: the caller's per-address and per-principal rate limits (the same
 * buckets, the same sliding window as every other route), then, when both admit it, the lookup. Answers
 * `{ refusedBucket, waitMs }` or `{ '', 0, generation, entry }` (a missing entry ends the array early; entry is 1 when it
 * carries the ETag the caller already holds).
 */
const ADMIT_AND_LOOKUP_LUA = `${ADMISSION_LUA_FUNCTION}${LOOKUP_LUA_FUNCTION}
if ARGV[2] ~= '' then
  local refused = admitBoth(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
  if refused[1] ~= '' then return refused end
end
local found = hotLookup(KEYS[3], ARGV[4], ARGV[5], ARGV[6])
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
  knownTag: string,
) => Promise<[Buffer, number, Buffer?, (Buffer | number | null)?]>;

export type HotReadAdmission = Extract<AdmissionDecision, { refused: object }> | { refused?: undefined; lookup: HotReadLookup };

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
  /** The tenant and resource, whatever the generation: where this instance keeps its copy of the body. */
  resource: string;
}

/** Weak ETag of a JSON text: equal answers, equal tags, on every gateway instance. */
export const etagOfText = (text: string): string => `W/"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;

const MEMO_MAX_ENTRIES = 10_000;
const DEFAULT_LOCAL_MAX_BYTES = 32 * 1024 * 1024;
/** Copies kept whatever their bytes: small bodies must not let keys and tags (not counted in bytes) grow unbounded. */
const LOCAL_MAX_ENTRIES = 20_000;
const MEMO_RESOURCE_MAX_CHARS = 512;

/** A stored entry is `<etag>\n<body>`; read as text (full path) or as bytes (fast lane, sent as read). */
function parseEntry(stored: string | Buffer): CachedAnswer | undefined {
  const newline = stored.indexOf('\n');
  if (newline < 0) return undefined;
  if (typeof stored === 'string') return { etag: stored.slice(0, newline), body: stored.slice(newline + 1) };
  return { etag: stored.toString('latin1', 0, newline), body: stored.subarray(newline + 1) };
}

interface RecentAnswer {
  etag: string;
  text?: string;
  bytes?: Buffer;
}

/** Bytes a copy holds: UTF-16 text counts two per character. At least 1, the least size the LRU accepts. */
const sizeOf = (entry: RecentAnswer): number => Math.max(1, (entry.text?.length ?? 0) * 2 + (entry.bytes?.length ?? 0));

/**
 * The bodies this instance read or stored lately, by tenant and resource. Redis stays the only judge of what may be
 * served: a lookup sends the ETag of the copy held here and Redis answers "same" (instead of the body) only when its
 * current entry, under the tenant's current generation, carries that ETag. A hit then costs a few bytes of Redis
 * traffic instead of the whole body. Bounded in bytes (a body larger than the budget is not kept) and in entries; the
 * least recently used go first.
 */
export class RecentAnswers {
  private readonly entries: LRUCache<string, RecentAnswer> | undefined;

  constructor(maxBytes: number, maxEntries = LOCAL_MAX_ENTRIES) {
    this.entries = maxBytes > 0 ? new LRUCache({ max: maxEntries, maxSize: maxBytes, sizeCalculation: sizeOf }) : undefined;
  }

  /** The ETag of the copy held for the resource, or '' (then Redis sends the body). Not a use: the order stays. */
  tagOf(resource: string): string {
    return this.entries?.peek(resource)?.etag ?? '';
  }

  /** The body held for the resource if it is still the one with this ETag, as text or as bytes. */
  body(resource: string, etag: string, form: 'text' | 'bytes'): string | Buffer | undefined {
    const found = this.entries?.get(resource);
    if (found === undefined || found.etag !== etag) return undefined;
    if (form === 'text') {
      if (found.text === undefined && found.bytes !== undefined) this.grow(resource, found, 'text', found.bytes.toString('utf8'));
      return found.text;
    }
    if (found.bytes === undefined && found.text !== undefined) this.grow(resource, found, 'bytes', Buffer.from(found.text, 'utf8'));
    return found.bytes;
  }

  remember(resource: string, answer: CachedAnswer): void {
    const entry: RecentAnswer = typeof answer.body === 'string' ? { etag: answer.etag, text: answer.body } : { etag: answer.etag, bytes: answer.body };
    // Replaces the older copy; one over the budget is not kept, and the older copy goes with it.
    this.entries?.set(resource, entry);
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  get heldBytes(): number {
    return this.entries?.calculatedSize ?? 0;
  }

  /** The other form of a held body: setting the same entry again counts its new size (others may go to make room). */
  private grow(resource: string, entry: RecentAnswer, form: 'text' | 'bytes', value: string | Buffer): void {
    if (form === 'text') entry.text = value as string;
    else entry.bytes = value as Buffer;
    this.entries?.set(resource, entry);
  }
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
  private readonly digests = new LRUCache<string, string>({ max: MEMO_MAX_ENTRIES });

  private readonly recent: RecentAnswers;

  /** `localMaxBytes`: how many bytes of bodies this instance keeps to spare Redis sending them again (0: none). */
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly namespace: string = REDIS_KEYSPACES.hotReads.prefix,
    localMaxBytes = DEFAULT_LOCAL_MAX_BYTES,
  ) {
    this.recent = new RecentAnswers(localMaxBytes);
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
    const { prefix, suffix, local, knownTag } = this.entryKeyParts(tenantId, resource);
    const [generation, stored] = await this.lookupCommand(this.generationKey(tenantId), prefix, suffix, knownTag);
    return this.lookupOf(`${prefix}${generation}${suffix}`, local, knownTag, stored, 'text');
  }

  /**
   * Counts the request in both rate-limit buckets and, when they admit it, looks the read up: one round trip where
   * the limits and the lookup would otherwise take three. Null when the cache is off.
   */
  async admitAndLookup(tenantId: string, resource: string, limits: AdmissionLimits | undefined): Promise<HotReadAdmission | null> {
    if (!this.enabled) return null;
    const { prefix, suffix, local, knownTag } = this.entryKeyParts(tenantId, resource);
    const [refusedBucket, waitMs, generation, stored] = await this.admitCommand(
      limits?.addressBucketKey ?? '',
      limits?.principalBucketKey ?? '',
      this.generationKey(tenantId),
      limits?.windowMs ?? 0,
      limits?.addressLimit ?? '',
      limits?.principalLimit ?? '',
      prefix,
      suffix,
      knownTag,
    );
    const refused = refusedBucket.toString();
    if (refused === 'ip' || refused === 'principal') return { refused: { bucket: refused, waitMs: Number(waitMs) } };
    return { lookup: this.lookupOf(`${prefix}${generation?.toString() ?? '0'}${suffix}`, local, knownTag, stored, 'bytes') };
  }

  /** Redis's answer as a lookup: the body it sent (kept here too), the copy held here when it said "same", or a miss. */
  private lookupOf(key: string, resource: string, knownTag: string, stored: string | Buffer | number | null | undefined, form: 'text' | 'bytes'): HotReadLookup {
    if (stored === 1) {
      const body = this.recent.body(resource, knownTag, form);
      return body === undefined ? { key, resource } : { key, resource, hit: { etag: knownTag, body } };
    }
    const hit = stored === null || stored === undefined || typeof stored === 'number' ? undefined : parseEntry(stored);
    if (hit === undefined) return { key, resource };
    this.recent.remember(resource, hit);
    return { key, resource, hit };
  }

  /**
   * The entry's key around the generation (`prefix`, `suffix`), the tenant and resource without it (`local`: where
   * this instance keeps its copy) and that copy's ETag ('' when none).
   */
  private entryKeyParts(tenantId: string, resource: string): { prefix: string; suffix: string; local: string; knownTag: string } {
    let digest = this.digests.get(resource);
    if (digest === undefined) {
      digest = createHash('sha256').update(resource).digest('base64url').slice(0, 32);
      if (resource.length <= MEMO_RESOURCE_MAX_CHARS) this.digests.set(resource, digest);
    }
    const prefix = `${this.namespace}:e:${tenantId}:`;
    const suffix = `:${digest}`;
    const local = `${prefix}${suffix}`;
    return { prefix, suffix, local, knownTag: this.recent.tagOf(local) };
  }

  /** Stores a computed answer under the lookup's generation (a later invalidation leaves it unreachable). */
  async store(lookup: Pick<HotReadLookup, 'key' | 'resource'>, answer: CachedAnswer & { body: string }): Promise<void> {
    if (!this.enabled) return;
    this.recent.remember(lookup.resource, answer);
    await this.redis.set(lookup.key, `${answer.etag}\n${answer.body}`, 'EX', this.ttlSeconds);
  }

  /** Every cached read of the tenant is dropped (lazily: old entries expire on their own). */
  async invalidate(tenantId: string): Promise<void> {
    // One small counter per tenant, kept forever: letting it expire could bring back a generation whose entries live.
    await this.redis.incr(this.generationKey(tenantId));
  }
}
