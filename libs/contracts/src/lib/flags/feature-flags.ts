import { REDIS_KEYSPACES } from '../redis-acl';

/**
 * Per-tenant feature flags: the catalogue of switches an admin may set (`PUT /api/v1/flags/:key`). A flag without a
 * stored row has its default. Rows live in PostgreSQL (`feature_flags`, row-level security per tenant); any service
 * reads them with `FeatureFlagRepository`, and the gateway caches a tenant's flags in Redis under
 * `featureFlagCacheKey(tenantId)`, deleting that key whenever a flag changes (a service that writes flags itself
 * deletes it too).
 */
export const FEATURE_FLAGS = [
  { key: 'sso', default: false, description: 'Sign-in through the tenant\'s OpenID Connect provider (also needs the SSO setting enabled).' },
  { key: 'streaming-export', default: false, description: 'Streamed CSV/NDJSON export of flow queries.' },
] as const;

export type FeatureFlagKey = (typeof FEATURE_FLAGS)[number]['key'];
export const FEATURE_FLAG_KEYS: readonly FeatureFlagKey[] = FEATURE_FLAGS.map((f) => f.key);

export const isFeatureFlagKey = (value: string): value is FeatureFlagKey => (FEATURE_FLAG_KEYS as readonly string[]).includes(value);

/** Redis key of a tenant's cached flags (a JSON array of FeatureFlagDto). */
export const featureFlagCacheKey = (tenantId: string): string => `${REDIS_KEYSPACES.featureFlags.prefix}:${tenantId}`;

export class FeatureFlagDto {
  key: FeatureFlagKey;
  enabled: boolean;
  description: string;
  /** When an admin last set it; null while it has its default. */
  updatedAt: string | null;
}
