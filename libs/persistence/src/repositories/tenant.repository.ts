import type { EntityManager } from 'typeorm';
import { returnedRows } from '../lib/query-result';
import { TenantEntity } from '../entities';

export interface TenantRow {
  id: string;
  slug: string;
  name: string;
  status: string;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, slug, name, status, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Platform table: tenants are not row-level secured; callers are platform code (auth, CLI). */
export class TenantRepository {
  constructor(private readonly manager: EntityManager) {}

  insert(slug: string, name: string): Promise<TenantEntity> {
    return this.manager.getRepository(TenantEntity).save({ slug, name });
  }

  /** Inserts a tenant unless the slug is taken; null when it is. */
  async insertIfAbsent(slug: string, name: string): Promise<TenantRow | null> {
    const rows: TenantRow[] = await this.manager.query(`INSERT INTO tenants (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING RETURNING ${COLUMNS}`, [slug, name]);
    return rows[0] ?? null;
  }

  findById(id: string): Promise<TenantEntity | null> {
    return this.manager.getRepository(TenantEntity).findOne({ where: { id } });
  }

  async findRowById(id: string): Promise<TenantRow | null> {
    const rows: TenantRow[] = await this.manager.query(`SELECT ${COLUMNS} FROM tenants WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  findBySlug(slug: string): Promise<TenantEntity | null> {
    return this.manager.getRepository(TenantEntity).findOne({ where: { slug } });
  }

  /** One page by slug, after `afterSlug`. */
  list(afterSlug: string | undefined, limit: number): Promise<TenantRow[]> {
    return this.manager.query(`SELECT ${COLUMNS} FROM tenants WHERE $1::text IS NULL OR slug > $1 ORDER BY slug COLLATE "C" LIMIT $2`, [afterSlug ?? null, limit]);
  }

  /** Applies the changes given (undefined = unchanged); the row after, or null when there is no such tenant. */
  async update(id: string, changes: { name?: string; status?: string }): Promise<TenantRow | null> {
    const result = await this.manager.query(
      `UPDATE tenants SET name = COALESCE($2, name), status = COALESCE($3, status), updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, changes.name ?? null, changes.status ?? null],
    );
    return returnedRows<TenantRow>(result)[0] ?? null;
  }

  /** Every tenant id, for per-tenant housekeeping (job runners, schedulers, pruners visit each tenant in turn). */
  async listIds(): Promise<string[]> {
    const rows = await this.manager.getRepository(TenantEntity).find({ select: { id: true }, order: { id: 'ASC' } });
    return rows.map((r) => r.id);
  }
}
