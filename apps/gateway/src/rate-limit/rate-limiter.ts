import { REDIS_KEYSPACES } from '@clarion/contracts';
import type { RedisClient } from '@clarion/persistence';

/**
 * Sliding-window counter (the weighted sum of the current and the previous fixed window), one Redis hash per bucket,
 * updated atomically in Lua so every gateway instance shares the count. Redis's own clock (`TIME`) keeps instances
 * with skewed clocks in the same window. A refused request is not counted, so a client that keeps hammering gets in
 * again as soon as its rate drops below the limit.
 *
 * `slidingWindowHit(key, windowMs, limit)` returns { allowed (1/0), remaining, retryAfterMs }. Scripts that need it
 * (this one, the admission of a verified caller, and the hot-read admission that also reads the cache) start with it.
 */
export const SLIDING_WINDOW_LUA_FUNCTION = `
local function redisNowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function slidingWindowHit(key, window, limit, now)
  now = now or redisNowMs()
  local idx = math.floor(now / window)
  local stored = redis.call('HMGET', key, 'w', 'c', 'p')
  local w = tonumber(stored[1])
  local c = tonumber(stored[2]) or 0
  local p = tonumber(stored[3]) or 0
  local rolled = w ~= idx
  if rolled then
    if w == idx - 1 then p = c else p = 0 end
    c = 0
  end
  local windowStart = idx * window
  local elapsed = (now - windowStart) / window
  local estimate = p * (1 - elapsed) + c
  local allowed = estimate + 1 <= limit
  if allowed then c = c + 1 end
  if rolled then
    -- A new window: its first write also sets the expiry, two windows from now, so the count outlives the next
    -- window (which weighs it) and no longer. Later writes in the window touch the count only.
    redis.call('HSET', key, 'w', idx, 'c', c, 'p', p)
    redis.call('PEXPIRE', key, window * 2)
  elseif allowed then
    redis.call('HSET', key, 'c', c)
  end
  if allowed then return {1, math.floor(limit - estimate - 1), 0} end
  local wait
  if c + 1 > limit then
    -- Not before the next window, and then until the carried-over count has decayed enough.
    wait = (windowStart + window - now) + math.ceil(window * math.max(0, 1 - (limit - 1) / c))
  else
    -- Within this window, once the previous window's weight has fallen far enough.
    wait = math.ceil(windowStart + window * (1 - (limit - c - 1) / p) - now)
  end
  return {0, 0, math.max(1, wait)}
end
`;

const SLIDING_WINDOW_LUA = `${SLIDING_WINDOW_LUA_FUNCTION}
return slidingWindowHit(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
`;

/**
 * `admitBoth(addressKey, principalKey, window, addressLimit, principalLimit)`: a verified caller's request counted in
 * its address bucket and then, only if that admits it, in its principal bucket (as the address hook and the access
 * guard would, one after the other). Returns `{ '' }` when admitted, else `{ refusedBucket, waitMs }`.
 */
export const ADMISSION_LUA_FUNCTION = `${SLIDING_WINDOW_LUA_FUNCTION}
local function admitBoth(addressKey, principalKey, window, addressLimit, principalLimit)
  local now = redisNowMs()
  local byAddress = slidingWindowHit(addressKey, window, addressLimit, now)
  if byAddress[1] == 0 then return { 'ip', byAddress[3] } end
  local byPrincipal = slidingWindowHit(principalKey, window, principalLimit, now)
  if byPrincipal[1] == 0 then return { 'principal', byPrincipal[3] } end
  return { '' }
end
`;

const ADMISSION_LUA = `${ADMISSION_LUA_FUNCTION}
return admitBoth(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
`;

/** A verified caller's two buckets, counted together (see ADMISSION_LUA_FUNCTION). */
export interface AdmissionLimits {
  addressBucketKey: string;
  principalBucketKey: string;
  windowMs: number;
  addressLimit: number;
  principalLimit: number;
}

export type AdmissionDecision = { refused?: undefined } | { refused: { bucket: 'ip' | 'principal'; waitMs: number } };

/** The Redis key of a bucket (`ip:<address>`, `principal:<tenant>:<kind>:<id>`, ...). */
export const rateLimitKey = (bucket: string): string => `${REDIS_KEYSPACES.rateLimits.prefix}:${bucket}`;

/** Whole seconds a refused caller should wait (Retry-After), from the script's milliseconds. */
export const retryAfterSecondsOf = (waitMs: number): number => Math.max(1, Math.ceil(waitMs / 1000));

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Whole seconds to wait before the next request can pass (0 when allowed). */
  retryAfterSeconds: number;
}

type RedisWithScript = RedisClient['client'] & {
  clarionSlidingWindow(key: string, windowMs: number, limit: number): Promise<[number, number, number]>;
  clarionAdmission(addressKey: string, principalKey: string, windowMs: number, addressLimit: number, principalLimit: number): Promise<[string, number?]>;
};

export class RateLimiter {
  private readonly client: RedisWithScript;

  constructor(redis: RedisClient) {
    const client = redis.client as RedisWithScript;
    // defineCommand sends EVALSHA and falls back to EVAL once per connection: the script text travels rarely.
    if (typeof client.clarionSlidingWindow !== 'function') {
      client.defineCommand('clarionSlidingWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW_LUA });
      client.defineCommand('clarionAdmission', { numberOfKeys: 2, lua: ADMISSION_LUA });
    }
    this.client = client;
  }

  async hit(bucket: string, limit: number, windowSeconds: number): Promise<RateLimitDecision> {
    const [allowed, remaining, waitMs] = await this.client.clarionSlidingWindow(rateLimitKey(bucket), windowSeconds * 1000, limit);
    return { allowed: allowed === 1, limit, remaining: Math.max(0, remaining), retryAfterSeconds: allowed === 1 ? 0 : retryAfterSecondsOf(waitMs) };
  }

  /** Both buckets of a verified caller in one round trip. */
  async admit(limits: AdmissionLimits): Promise<AdmissionDecision> {
    const [bucket, waitMs] = await this.client.clarionAdmission(limits.addressBucketKey, limits.principalBucketKey, limits.windowMs, limits.addressLimit, limits.principalLimit);
    return bucket === 'ip' || bucket === 'principal' ? { refused: { bucket, waitMs: Number(waitMs) } } : {};
  }
}
