import { Inject, Injectable } from '@nestjs/common';
import { DomainException, ErrorCode } from '@clarion/contracts';
import { ServiceMetrics } from '@clarion/observability';
import { RedisClient } from '@clarion/persistence';
import { ROOT_LOGGER } from '@clarion/platform';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { GatewayEnv } from '../gateway.env';
import { RateLimiter, rateLimitKey, type AdmissionDecision, type AdmissionLimits, type RateLimitDecision } from './rate-limiter';

export type RateLimitBucket = 'ip' | 'login' | 'principal';

/** The per-principal bucket's subject: one per user or API key of a tenant. */
export const principalSubject = (actor: { tenantId: string; kind: string; id: string }): string => `${actor.tenantId}:${actor.kind}:${actor.id}`;

/** A 429: the filter adds `Retry-After` from `retryAfterSeconds`. */
export class RateLimitedException extends DomainException {
  constructor(readonly retryAfterSeconds: number) {
    super(ErrorCode.RateLimited, `too many requests; retry after ${retryAfterSeconds} s`);
  }
}

function counter(metrics: ServiceMetrics, name: string, help: string, labelNames: string[]): Counter {
  return (metrics.registry.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames, registers: [metrics.registry] });
}

/**
 * The gateway's rate limits, in Redis so that every instance counts the same requests: per client address (every
 * route but the health probes), a stricter one per address for sign-in routes, and per principal (user or API key)
 * once a credential is verified. When Redis cannot answer, requests pass (logged and counted): Redis being down makes
 * the gateway not-ready, and refusing all traffic would turn a cache outage into a full outage.
 */
@Injectable()
export class RateLimitService {
  private readonly limiter: RateLimiter;
  private readonly refused: Counter;
  private readonly errors: Counter;
  private lastErrorLog = 0;

  constructor(
    redis: RedisClient,
    private readonly env: GatewayEnv,
    metrics: ServiceMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.limiter = new RateLimiter(redis);
    this.refused = counter(metrics, 'clarion_gateway_rate_limited_total', 'Requests refused with 429, by bucket.', ['bucket']);
    this.errors = counter(metrics, 'clarion_gateway_rate_limit_errors_total', 'Rate-limit checks that Redis could not answer (the request passed).', []);
  }

  private limitOf(bucket: RateLimitBucket): number {
    if (bucket === 'ip') return this.env.RATE_LIMIT_PER_IP;
    if (bucket === 'login') return this.env.RATE_LIMIT_LOGIN_PER_IP;
    return this.env.RATE_LIMIT_PER_PRINCIPAL;
  }

  /** Counts one request in the bucket; the decision, or null when limits are off or Redis did not answer. */
  async hit(bucket: RateLimitBucket, subject: string): Promise<RateLimitDecision | null> {
    if (!this.env.RATE_LIMIT_ENABLED) return null;
    try {
      const decision = await this.limiter.hit(`${bucket}:${subject}`, this.limitOf(bucket), this.env.RATE_LIMIT_WINDOW_S);
      if (!decision.allowed) this.refused.inc({ bucket });
      return decision;
    } catch (err) {
      this.errors.inc();
      if (Date.now() - this.lastErrorLog > 10_000) {
        this.lastErrorLog = Date.now();
        this.logger.warn({ err: (err as Error).message }, 'rate limit check failed; letting requests through');
      }
      return null;
    }
  }

  /** The per-address and per-principal buckets of a request, for a script that counts both (undefined when limits are off). */
  admissionLimits(address: string, principal: string): AdmissionLimits | undefined {
    if (!this.env.RATE_LIMIT_ENABLED) return undefined;
    return {
      addressBucketKey: rateLimitKey(`ip:${address}`),
      principalBucketKey: rateLimitKey(`principal:${principal}`),
      windowMs: this.env.RATE_LIMIT_WINDOW_S * 1000,
      addressLimit: this.env.RATE_LIMIT_PER_IP,
      principalLimit: this.env.RATE_LIMIT_PER_PRINCIPAL,
    };
  }

  /**
   * Counts a verified caller's request in its address and principal buckets in one round trip; null when limits are
   * off or Redis did not answer (the request then takes the usual checks).
   */
  async admit(address: string, principal: string): Promise<AdmissionDecision | null> {
    const limits = this.admissionLimits(address, principal);
    if (limits === undefined) return null;
    try {
      const decision = await this.limiter.admit(limits);
      if (decision.refused) this.refused.inc({ bucket: decision.refused.bucket });
      return decision;
    } catch (err) {
      this.errors.inc();
      this.logger.debug({ err: (err as Error).message }, 'rate limit admission failed; taking the usual checks');
      return null;
    }
  }

  /** Counts a refusal decided elsewhere (the hot-read admission script). */
  countRefused(bucket: RateLimitBucket): void {
    this.refused.inc({ bucket });
  }

  /** Throws RateLimitedException when the bucket is full. */
  async enforce(bucket: RateLimitBucket, subject: string): Promise<void> {
    const decision = await this.hit(bucket, subject);
    if (decision && !decision.allowed) throw new RateLimitedException(decision.retryAfterSeconds);
  }
}
