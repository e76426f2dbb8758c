import type { EntityManager } from 'typeorm';
import { FeatureFlagEntity } from '../entities';

/** Feature flags of the tenant bound to the manager's transaction (see Database.withTenant). */
export class FeatureFlagRepository {
  constructor(private readonly manager: EntityManager) {}

  findAllOfCurrentTenant(): Promise<FeatureFlagEntity[]> {
    return this.manager.getRepository(FeatureFlagEntity).find({ order: { key: 'ASC' } });
  }

  findOneOfCurrentTenant(key: string): Promise<FeatureFlagEntity | null> {
    return this.manager.getRepository(FeatureFlagEntity).findOne({ where: { key } });
  }

  /** Inserts or switches a flag and returns the stored row (with the time of this change). */
  async upsert(tenantId: string, key: string, enabled: boolean): Promise<FeatureFlagEntity> {
    const rows = (await this.manager.query(
      `INSERT INTO feature_flags (tenant_id, key, enabled, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (tenant_id, key) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = EXCLUDED.updated_at
       RETURNING tenant_id, key, enabled, updated_at`,
      [tenantId, key, enabled],
    )) as Array<{ tenant_id: string; key: string; enabled: boolean; updated_at: Date }>;
    const [row] = rows;
    if (!row) throw new Error('the feature flag upsert returned no row');
    return Object.assign(new FeatureFlagEntity(), { tenantId: row.tenant_id, key: row.key, enabled: row.enabled, updatedAt: row.updated_at });
  }
}
