import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode, REDIS_KEYSPACES } from '@clarion/contracts';
import { RedisClient } from '@clarion/persistence';
import { createHash } from 'node:crypto';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AuthEnv } from '../auth.env';
import { clientAddressOf } from './client-address';

export interface LockState {
  locked: boolean;
  retryAfterSeconds: number;
}

const KEY_PREFIX = REDIS_KEYSPACES.loginThrottle.prefix;
/** Stands in for the address of a caller that gave none (a direct NATS caller), so its failures still count. */
const NO_ADDRESS = 'none';

/**
 * Brute-force protection in Redis (shared by every auth instance), with rate-limiter-flexible's login pattern:
 * - consecutive failures per account *and* source address: from LOGIN_MAX_FAILURES on, that address is blocked for
 *   that account for LOGIN_LOCKOUT_BASE_S, doubling with each further failure; the owner at another address is not;
 * - attempts per source address and per network across accounts (password spraying);
 * - failures per account across all addresses in a short window, which slows a distributed attack but never locks
 *   the account for longer than that window.
 * The account is the tenant slug and email as typed, hashed: whether they exist plays no part, so the throttle's
 * answers cannot tell a real account from a made-up one, and Redis never holds an email address.
 */
@Injectable()
export class LoginThrottleService {
  private readonly failuresBySource: RateLimiterRedis;
  private readonly blocksBySource: RateLimiterRedis;
  private readonly attemptsByAddress: RateLimiterRedis;
  private readonly attemptsByNetwork: RateLimiterRedis;
  private readonly failuresByAccount: RateLimiterRedis;

  constructor(
    private readonly redis: RedisClient,
    private readonly env: AuthEnv,
  ) {
    // Fail at once while Redis is down rather than wait for a connection: a login is refused with 503 then.
    const store = { storeClient: redis.client, rejectIfRedisNotReady: true };
    this.failuresBySource = new RateLimiterRedis({ ...store, keyPrefix: `${KEY_PREFIX}:fail`, points: env.LOGIN_MAX_FAILURES, duration: env.LOGIN_FAILURE_WINDOW_S });
    // Blocks are set explicitly with their growing duration (block()), so they live apart from the failure count,
    // which a block must not reset.
    this.blocksBySource = new RateLimiterRedis({ ...store, keyPrefix: `${KEY_PREFIX}:block`, points: 1, duration: env.LOGIN_LOCKOUT_MAX_S });
    this.attemptsByAddress = new RateLimiterRedis({ ...store, keyPrefix: `${KEY_PREFIX}:ip`, points: env.LOGIN_IP_LIMIT_PER_MIN, duration: 60 });
    this.attemptsByNetwork = new RateLimiterRedis({ ...store, keyPrefix: `${KEY_PREFIX}:net`, points: env.LOGIN_NETWORK_LIMIT_PER_MIN, duration: 60 });
    this.failuresByAccount = new RateLimiterRedis({
      ...store,
      keyPrefix: `${KEY_PREFIX}:account`,
      points: env.LOGIN_ACCOUNT_FAILURE_LIMIT,
      duration: env.LOGIN_ACCOUNT_FAILURE_WINDOW_S,
    });
  }

  private accountKey(tenantSlug: string, email: string): string {
    return createHash('sha256').update(`${tenantSlug}\0${email}`).digest('base64url');
  }

  private sourceKey(tenantSlug: string, email: string, sourceIp: string | undefined): string {
    return `${this.accountKey(tenantSlug, email)}:${sourceIp ? clientAddressOf(sourceIp).source : NO_ADDRESS}`;
  }

  /**
   * Refuses the attempt before any lookup or password work when the address or its network is over its limit, the
   * address is blocked for this account, or the account has had too many failures from everywhere. Counts the
   * attempt against the address and network limits.
   */
  async assertAllowed(tenantSlug: string, email: string, sourceIp: string | undefined): Promise<void> {
    const address = sourceIp ? clientAddressOf(sourceIp) : undefined;
    const waits = await this.store(() =>
      Promise.all([
        address ? this.waitAfterConsuming(this.attemptsByAddress, address.source) : 0,
        address ? this.waitAfterConsuming(this.attemptsByNetwork, address.network) : 0,
        this.blocksBySource.get(this.sourceKey(tenantSlug, email, sourceIp)).then((r) => (r && r.consumedPoints > this.blocksBySource.points ? r.msBeforeNext : 0)),
        this.failuresByAccount.get(this.accountKey(tenantSlug, email)).then((r) => (r && r.consumedPoints >= this.failuresByAccount.points ? r.msBeforeNext : 0)),
      ]),
    );
    const waitMs = Math.max(...waits);
    if (waitMs > 0) {
      const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new DomainException(ErrorCode.RateLimited, `too many sign-in attempts; try again in ${retryAfterSeconds} s`, [
        { field: 'retryAfterSeconds', message: String(retryAfterSeconds) },
      ]);
    }
  }

  /** Counts a failure; returns the block it caused for this address, if any. */
  async recordFailure(tenantSlug: string, email: string, sourceIp: string | undefined): Promise<LockState> {
    const source = this.sourceKey(tenantSlug, email, sourceIp);
    const [consecutive] = await this.store(() => Promise.all([this.failuresBySource.penalty(source), this.failuresByAccount.penalty(this.accountKey(tenantSlug, email))]));
    const beyond = consecutive.consumedPoints - this.env.LOGIN_MAX_FAILURES;
    if (beyond < 0) return { locked: false, retryAfterSeconds: 0 };
    const seconds = Math.min(this.env.LOGIN_LOCKOUT_MAX_S, this.env.LOGIN_LOCKOUT_BASE_S * 2 ** beyond);
    await this.store(() => this.blocksBySource.block(source, seconds));
    return { locked: true, retryAfterSeconds: seconds };
  }

  /**
   * The right password from this address forgets its consecutive failures. The failures from all addresses stay: the
   * owner signing in must not hand a distributed attacker a fresh allowance.
   */
  async recordSuccess(tenantSlug: string, email: string, sourceIp: string | undefined): Promise<void> {
    const source = this.sourceKey(tenantSlug, email, sourceIp);
    await this.store(() => Promise.all([this.failuresBySource.delete(source), this.blocksBySource.delete(source)]));
  }

  /**
   * Lifts every block and forgets every failure of an account, from every address (an admin's unlock, and a
   * password reset). Returns how many throttle entries were removed.
   */
  async unlockAccount(tenantSlug: string, email: string): Promise<number> {
    const account = this.accountKey(tenantSlug, email);
    return this.store(async () => {
      // The per-address entries are found by their prefix: the account hash is base64url, so it holds no glob character.
      const perSource = [...(await this.keysMatching(`${this.failuresBySource.getKey(account)}:*`)), ...(await this.keysMatching(`${this.blocksBySource.getKey(account)}:*`))];
      const removed = perSource.length ? await this.redis.client.del(...perSource) : 0;
      return removed + ((await this.failuresByAccount.delete(account)) ? 1 : 0);
    });
  }

  private async keysMatching(pattern: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  }

  /** 0 when the attempt fits the limit, else how long until it would. */
  private async waitAfterConsuming(limiter: RateLimiterRedis, key: string): Promise<number> {
    try {
      await limiter.consume(key);
      return 0;
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) return refusal.msBeforeNext;
      throw refusal;
    }
  }

  /** A Redis failure refuses the sign-in as a dependency outage (503), never as a 500 and never by letting it through. */
  private async store<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      if (err instanceof DomainException) throw err;
      throw new DomainException(ErrorCode.DependencyUnavailable, 'sign-in is unavailable: Redis is not reachable');
    }
  }
}
