import type { EntityManager } from 'typeorm';
import { FeatureFlagEntity } from '../entities';

/** Feature flags of the tenant bound to the manager's transaction (see Database.withTenant). */
export class FeatureFlagRepository {
  constructor(private readonly manager: EntityManager) {}

  findAllOfCurrentTenant(): Promise<FeatureFlagEntity[]> {
    return this.manager.getRepository(FeatureFlagEntity).find({ order: { key: 'ASC' } });
  }

  async upsert(tenantId: string, key: string, enabled: boolean): Promise<void> {
    await this.manager
      .createQueryBuilder()
      .insert()
      .into(FeatureFlagEntity)
      .values({ tenantId, key, enabled })
      .orUpdate(['enabled', 'updated_at'], ['tenant_id', 'key'])
      .execute();
  }
}
