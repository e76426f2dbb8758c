import { Inject, Injectable } from '@nestjs/common';
import { EventSubjects, type SessionsRevokedEvent } from '@clarion/contracts';
import { NatsConnectionHolder, publishEvent } from '@clarion/messaging';
import { RedisClient, RevokedSessionsStore } from '@clarion/persistence';
import { ROOT_LOGGER } from '@clarion/platform';
import type { Logger } from 'pino';
import { AuthEnv } from '../auth.env';

/** How long past an access token's expiry a revocation is kept: the verifiers' clock tolerance. */
const SKEW_MS = 60_000;

/**
 * Makes the end of a session reach the access tokens already issued for it: the sessions go into the shared revoked
 * set (Redis) for as long as one of their tokens can be valid, and an event tells every gateway at once. Called after
 * every revocation (logout, revoke, disable, password reset and change, refresh-token reuse).
 */
@Injectable()
export class SessionRevocations {
  private readonly store: RevokedSessionsStore;

  constructor(
    redis: RedisClient,
    private readonly nats: NatsConnectionHolder,
    private readonly env: AuthEnv,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.store = new RevokedSessionsStore(redis);
  }

  async ended(tenantId: string, sessionIds: readonly string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    const untilMs = Date.now() + this.env.ACCESS_TOKEN_TTL_S * 1000 + SKEW_MS;
    await this.store.add(sessionIds, untilMs);
    const event: SessionsRevokedEvent = { tenantId, sessionIds: [...sessionIds], until: new Date(untilMs).toISOString() };
    const outcome = publishEvent(this.nats, EventSubjects.sessionsRevoked, event);
    // The set in Redis is the truth the gateways poll; the event only makes it immediate.
    if (!outcome.published) this.logger.warn({ reason: outcome.reason, sessions: sessionIds.length }, 'session revocation event not published');
  }
}
