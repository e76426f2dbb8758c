import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode, REDIS_KEYSPACES } from '@clarion/contracts';
import { RedisClient } from '@clarion/persistence';
import { createHash } from 'node:crypto';

/** A sign-in between ssoStart and ssoCallback. */
export interface PendingSignIn {
  tenantId: string;
  issuer: string;
  clientId: string;
  redirectUri: string;
  nonce: string;
  codeVerifier: string;
}

/** How long a user has to complete the sign-in at the IdP. */
export const SIGN_IN_TTL_S = 600;

/**
 * Pending sign-ins in Redis, shared by every auth instance, keyed by a hash of `state` (Redis never holds a state
 * that would complete a sign-in). Each is taken at most once: GETDEL makes a replayed state find nothing.
 */
@Injectable()
export class SsoStateStore {
  constructor(private readonly redis: RedisClient) {}

  private key(state: string): string {
    return `${REDIS_KEYSPACES.ssoState.prefix}:${createHash('sha256').update(state).digest('base64url')}`;
  }

  async put(state: string, pending: PendingSignIn): Promise<void> {
    try {
      await this.redis.client.set(this.key(state), JSON.stringify(pending), 'EX', SIGN_IN_TTL_S);
    } catch {
      throw new DomainException(ErrorCode.DependencyUnavailable, 'single sign-on is unavailable: Redis is not reachable');
    }
  }

  /** The pending sign-in for `state`, removed in the same step; null when unknown, expired or already taken. */
  async take(state: string): Promise<PendingSignIn | null> {
    let stored: string | null;
    try {
      stored = await this.redis.client.getdel(this.key(state));
    } catch {
      throw new DomainException(ErrorCode.DependencyUnavailable, 'single sign-on is unavailable: Redis is not reachable');
    }
    return stored ? (JSON.parse(stored) as PendingSignIn) : null;
  }
}
