import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { EventSubjects } from '@clarion/contracts';
import { RedisClient } from '@clarion/persistence';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@clarion/platform';
import { Counter } from 'prom-client';
import { GatewayEvents } from '../events/gateway-events.service';
import type { GatewayEnv } from '../gateway.env';
import type { AdmissionLimits } from '../rate-limit/rate-limiter';
import { HotReadCache, type CachedAnswer, type HotReadAdmission, type HotReadLookup } from './hot-read-cache';

/** The gateway's hot-read cache: Redis-backed, per tenant, dropped when the clustering service announces a change. */
@Injectable()
export class HotReadService implements OnApplicationBootstrap {
  private readonly cache: HotReadCache;
  private readonly outcomes: Counter;

  constructor(
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime<GatewayEnv>,
    redis: RedisClient,
    private readonly events: GatewayEvents,
  ) {
    this.cache = new HotReadCache(redis.client, runtime.env.HOT_CACHE_TTL_S, undefined, runtime.env.HOT_CACHE_LOCAL_MB * 1024 * 1024);
    this.outcomes = new Counter({
      name: 'clarion_gateway_hot_cache_total',
      help: 'Hot-read cache lookups by outcome (hit, miss, error) and lane (fast: answered ahead of the pipeline; full), and invalidations.',
      labelNames: ['outcome', 'lane'],
      registers: [runtime.metrics.registry],
    });
  }

  onApplicationBootstrap(): void {
    this.events.on(EventSubjects.clustersUpdated, (event) => this.invalidate(event.tenantId));
  }

  async lookup(tenantId: string, resource: string): Promise<HotReadLookup | null> {
    try {
      const found = await this.cache.lookup(tenantId, resource);
      if (found) this.outcomes.inc({ outcome: found.hit ? 'hit' : 'miss', lane: 'full' });
      return found;
    } catch (err) {
      this.outcomes.inc({ outcome: 'error', lane: 'full' });
      this.runtime.logger.debug({ err: (err as Error).message }, 'hot-read cache lookup failed; serving uncached');
      return null;
    }
  }

  /** Counts the request's rate limits and looks the read up in one round trip; null when the cache is off or Redis failed. */
  async admit(tenantId: string, resource: string, limits: AdmissionLimits | undefined): Promise<HotReadAdmission | null> {
    try {
      const admission = await this.cache.admitAndLookup(tenantId, resource, limits);
      if (admission && !admission.refused) this.outcomes.inc({ outcome: admission.lookup.hit ? 'hit' : 'miss', lane: 'fast' });
      return admission;
    } catch (err) {
      this.outcomes.inc({ outcome: 'error', lane: 'fast' });
      this.runtime.logger.debug({ err: (err as Error).message }, 'hot-read admission failed; taking the full path');
      return null;
    }
  }

  store(lookup: HotReadLookup, answer: CachedAnswer & { body: string }): void {
    this.cache.store(lookup, answer).catch((err: unknown) => this.runtime.logger.debug({ err: (err as Error).message }, 'hot-read cache store failed'));
  }

  async invalidate(tenantId: string): Promise<void> {
    try {
      await this.cache.invalidate(tenantId);
      this.outcomes.inc({ outcome: 'invalidated' });
    } catch (err) {
      // Entries then live until their TTL: say so loudly, it is the one way to serve stale data.
      this.runtime.logger.warn({ err: (err as Error).message, tenantId }, 'hot-read cache invalidation failed');
    }
  }
}
