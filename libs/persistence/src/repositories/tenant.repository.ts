import type { EntityManager } from 'typeorm';
import { TenantEntity } from '../entities';

/** Platform table: tenants are not row-level secured; callers are platform code (auth, CLI). */
export class TenantRepository {
  constructor(private readonly manager: EntityManager) {}

  insert(slug: string, name: string): Promise<TenantEntity> {
    return this.manager.getRepository(TenantEntity).save({ slug, name });
  }

  findById(id: string): Promise<TenantEntity | null> {
    return this.manager.getRepository(TenantEntity).findOne({ where: { id } });
  }

  findBySlug(slug: string): Promise<TenantEntity | null> {
    return this.manager.getRepository(TenantEntity).findOne({ where: { slug } });
  }

  /** Every tenant id, for per-tenant housekeeping (job runners, schedulers, pruners visit each tenant in turn). */
  async listIds(): Promise<string[]> {
    const rows = await this.manager.getRepository(TenantEntity).find({ select: { id: true }, order: { id: 'ASC' } });
    return rows.map((r) => r.id);
  }
}
