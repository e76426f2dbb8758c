import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode } from '@clarion/contracts';
import { RedisClient } from '@clarion/persistence';
import { createHash } from 'node:crypto';
import { AuthEnv } from '../auth.env';

export interface LockState {
  locked: boolean;
  retryAfterSeconds: number;
}

const MAX_LOCK_S = 3600;

/**
 * Brute-force protection in Redis (shared by every auth instance): failed logins per account in a sliding window;
 * from LOGIN_MAX_FAILURES on, each failure locks the account for an exponentially growing time; and a per-address
 * limit on attempts across accounts. Account keys are hashed so Redis never holds email addresses.
 */
@Injectable()
export class LoginThrottleService {
  constructor(
    private readonly redis: RedisClient,
    private readonly env: AuthEnv,
  ) {}

  private accountKey(tenantId: string, email: string): string {
    return createHash('sha256').update(`${tenantId}\0${email}`).digest('base64url');
  }

  /** Refuses the attempt before any password work when the address is over its limit or the account is locked. */
  async assertAllowed(tenantId: string, email: string, sourceIp: string | undefined): Promise<void> {
    const redis = this.redis.client;
    if (sourceIp) {
      const key = `auth:ip:${sourceIp}:${Math.floor(Date.now() / 60000)}`;
      const count = await redis.incr(key);
      if (count === 1) await redis.expire(key, 70);
      if (count > this.env.LOGIN_IP_LIMIT_PER_MIN) {
        throw new DomainException(ErrorCode.RateLimited, 'too many login attempts from this address; try again in a minute', [
          { field: 'retryAfterSeconds', message: String(60 - (Math.floor(Date.now() / 1000) % 60)) },
        ]);
      }
    }
    const ttl = await redis.pttl(`auth:lock:${this.accountKey(tenantId, email)}`);
    if (ttl > 0) {
      throw new DomainException(ErrorCode.RateLimited, 'too many failed logins; try again later', [
        { field: 'retryAfterSeconds', message: String(Math.ceil(ttl / 1000)) },
      ]);
    }
  }

  /** Counts a failure; returns the lock it caused, if any. */
  async recordFailure(tenantId: string, email: string): Promise<LockState> {
    const account = this.accountKey(tenantId, email);
    const redis = this.redis.client;
    const now = Date.now();
    const failures = `auth:fail:${account}`;
    const windowMs = this.env.LOGIN_FAILURE_WINDOW_S * 1000;
    const [, , countReply] = (await redis
      .multi()
      .zadd(failures, now, `${now}:${Math.random()}`)
      .zremrangebyscore(failures, 0, now - windowMs)
      .zcard(failures)
      .pexpire(failures, windowMs)
      .exec()) as Array<[Error | null, unknown]>;
    const count = Number(countReply?.[1] ?? 0);
    if (count < this.env.LOGIN_MAX_FAILURES) return { locked: false, retryAfterSeconds: 0 };
    const seconds = Math.min(MAX_LOCK_S, this.env.LOGIN_LOCKOUT_BASE_S * 2 ** (count - this.env.LOGIN_MAX_FAILURES));
    await redis.set(`auth:lock:${account}`, '1', 'EX', seconds);
    return { locked: true, retryAfterSeconds: seconds };
  }

  async recordSuccess(tenantId: string, email: string): Promise<void> {
    await this.redis.client.del(`auth:fail:${this.accountKey(tenantId, email)}`);
  }

  /** Administrative release of a lock (an admin reset also releases it). */
  async release(tenantId: string, email: string): Promise<void> {
    const account = this.accountKey(tenantId, email);
    await this.redis.client.del(`auth:lock:${account}`, `auth:fail:${account}`);
  }
}
