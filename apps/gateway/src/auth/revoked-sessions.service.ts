import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EventSubjects, type SessionsRevokedEvent } from '@clarion/contracts';
import { RedisClient, RevokedSessionsStore } from '@clarion/persistence';
import { ROOT_LOGGER } from '@clarion/platform';
import type { Logger } from 'pino';
import { GatewayEvents } from '../events/gateway-events.service';

/** How often the gateway reads the whole revoked set, catching up on events it missed (a NATS outage, say). */
export const REVOKED_SESSIONS_POLL_MS = 2000;

/**
 * The sessions that ended while their access tokens may still be unexpired, held in memory so checking a request
 * costs a map lookup. Filled at once from the auth service's `sessions.revoked` event, and from the shared set in
 * Redis at start and every REVOKED_SESSIONS_POLL_MS: a missed event delays a revocation by at most that. Used by
 * the credential check (every request with an access token) and the live stream (which closes those sockets).
 */
@Injectable()
export class RevokedSessions implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly untilBySession = new Map<string, number>();
  private readonly listeners: Array<(sessionIds: readonly string[]) => void> = [];
  private readonly store: RevokedSessionsStore;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisClient,
    private readonly events: GatewayEvents,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.store = new RevokedSessionsStore(redis);
  }

  isRevoked(sessionId: string | undefined): boolean {
    if (sessionId === undefined) return false;
    const until = this.untilBySession.get(sessionId);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.untilBySession.delete(sessionId);
    return false;
  }

  /** Called with the sessions newly known to be revoked (the live stream closes their sockets). */
  onRevoked(listener: (sessionIds: readonly string[]) => void): void {
    this.listeners.push(listener);
  }

  /** Records revocations (from the event, from Redis, or from a test). */
  add(entries: Iterable<[string, number]>): void {
    const fresh: string[] = [];
    const now = Date.now();
    for (const [sessionId, until] of entries) {
      if (until <= now) continue;
      if (!this.untilBySession.has(sessionId)) fresh.push(sessionId);
      this.untilBySession.set(sessionId, Math.max(until, this.untilBySession.get(sessionId) ?? 0));
    }
    if (fresh.length > 0) for (const listener of this.listeners) listener(fresh);
  }

  async refresh(): Promise<void> {
    // Not connected yet (start-up) or reconnecting: the next poll reads it; the readiness check reports Redis.
    if (this.redis.client.status !== 'ready') return;
    try {
      this.add(await this.store.live());
      const now = Date.now();
      for (const [sessionId, until] of this.untilBySession) if (until <= now) this.untilBySession.delete(sessionId);
    } catch (err) {
      this.logger.warn({ err }, 'could not read the revoked sessions from Redis (kept what is known)');
    }
  }

  onApplicationBootstrap(): void {
    this.events.on(EventSubjects.sessionsRevoked, (event: SessionsRevokedEvent) => {
      const until = Date.parse(event.until);
      if (!Array.isArray(event.sessionIds) || !Number.isFinite(until)) return;
      this.add(event.sessionIds.filter((id) => typeof id === 'string').map((id) => [id, until] as [string, number]));
    });
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REVOKED_SESSIONS_POLL_MS);
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
