import { REDIS_KEYSPACES } from '@clarion/contracts';
import type { RedisClient } from './redis';

/** The Redis sorted set of ended sessions: member the session id, score the time (ms) its last access token expires. */
export const REVOKED_SESSIONS_KEY = REDIS_KEYSPACES.revokedSessions.key;

/**
 * Sessions that ended (logout, revocation, a disabled user, a password reset or change) while access tokens issued for
 * them may still be unexpired. The auth service adds them here and announces them on NATS; every gateway keeps the set
 * in memory (from the event at once, and from here at start and every few seconds, so a gateway that missed an event
 * catches up), and refuses those tokens before they expire. Entries leave once no token of theirs can be valid.
 * A Redis writer could remove an entry (a token would then work until it expires, as before revocation existed), but
 * never make a revoked token work while the gateway holds the event.
 */
export class RevokedSessionsStore {
  constructor(private readonly redis: RedisClient) {}

  async add(sessionIds: readonly string[], untilMs: number): Promise<void> {
    if (sessionIds.length === 0) return;
    const batch = this.redis.client.multi();
    batch.zadd(REVOKED_SESSIONS_KEY, ...sessionIds.flatMap((id) => [untilMs, id]));
    batch.zremrangebyscore(REVOKED_SESSIONS_KEY, '-inf', Date.now());
    await batch.exec();
  }

  /** The sessions whose tokens are still to be refused, with the time each stops mattering. */
  async live(): Promise<Map<string, number>> {
    const flat = await this.redis.client.zrangebyscore(REVOKED_SESSIONS_KEY, Date.now(), '+inf', 'WITHSCORES');
    const out = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) out.set(String(flat[i]), Number(flat[i + 1]));
    return out;
  }
}
