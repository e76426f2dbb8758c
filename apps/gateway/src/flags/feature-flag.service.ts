import { Inject, Injectable } from '@nestjs/common';
import {
  DomainException,
  ErrorCode,
  FEATURE_FLAGS,
  featureFlagCacheKey,
  isFeatureFlagKey,
  type FeatureFlagDto,
} from '@clarion/contracts';
import { Database, FeatureFlagRepository, RedisClient } from '@clarion/persistence';
import { ROOT_LOGGER } from '@clarion/platform';
import type { Logger } from 'pino';
import { GatewayEnv } from '../gateway.env';

/**
 * Per-tenant feature flags: rows in PostgreSQL (`feature_flags`, row-level security), the tenant's whole list cached
 * in Redis for FEATURE_FLAG_CACHE_TTL_S and deleted on every change, so each gateway instance sees a switch at once.
 * Redis being down only costs the cache: reads fall through to PostgreSQL.
 */
@Injectable()
export class FeatureFlagService {
  constructor(
    private readonly db: Database,
    private readonly redis: RedisClient,
    private readonly env: GatewayEnv,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async list(tenantId: string): Promise<FeatureFlagDto[]> {
    const cached = await this.redis.client.get(featureFlagCacheKey(tenantId)).catch((err: Error) => this.cacheFailed('read', err));
    if (cached) return JSON.parse(cached) as FeatureFlagDto[];
    const rows = await this.db.withTenant(tenantId, (m) => new FeatureFlagRepository(m).findAllOfCurrentTenant());
    const stored = new Map(rows.map((r) => [r.key, r]));
    const flags = FEATURE_FLAGS.map((f) => {
      const row = stored.get(f.key);
      return { key: f.key, description: f.description, enabled: row ? row.enabled : f.default, updatedAt: row ? row.updatedAt.toISOString() : null };
    });
    await this.redis.client
      .set(featureFlagCacheKey(tenantId), JSON.stringify(flags), 'EX', this.env.FEATURE_FLAG_CACHE_TTL_S)
      .catch((err: Error) => this.cacheFailed('write', err));
    return flags;
  }

  async isEnabled(tenantId: string, key: string): Promise<boolean> {
    return (await this.list(tenantId)).some((f) => f.key === key && f.enabled);
  }

  async set(tenantId: string, key: string, enabled: boolean): Promise<FeatureFlagDto> {
    if (!isFeatureFlagKey(key)) throw new DomainException(ErrorCode.NotFound, `there is no feature flag "${key.slice(0, 100)}"`);
    const row = await this.db.withTenant(tenantId, (m) => new FeatureFlagRepository(m).upsert(tenantId, key, enabled));
    // After the commit: a reader in between may re-cache the old list only until this delete.
    await this.redis.client.del(featureFlagCacheKey(tenantId)).catch((err: Error) => this.cacheFailed('invalidate', err));
    const description = FEATURE_FLAGS.find((f) => f.key === key)?.description ?? '';
    return { key, description, enabled: row.enabled, updatedAt: row.updatedAt.toISOString() };
  }

  private cacheFailed(operation: string, err: Error): null {
    this.logger.warn({ err: err.message, operation }, 'feature flag cache unavailable');
    return null;
  }
}
