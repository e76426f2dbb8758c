import type { EntityManager } from 'typeorm';
import { returnedRows } from '@clarion/persistence';

/** A site as stored, without its id and times (what an import or an update writes). */
export interface SiteRecord {
  name: string;
  kind: string;
  parentId: string | null;
  timeZone: string | null;
  description: string | null;
}

export interface SiteRow extends SiteRecord {
  id: string;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, name, kind, parent_id AS "parentId", time_zone AS "timeZone", description, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** The sites of the tenant bound to the transaction. Names sort byte-wise (COLLATE "C"), so pages do not depend on the locale. */
export class SiteRepository {
  constructor(private readonly manager: EntityManager) {}

  /**
   * Serialises inventory changes of one tenant (sites, address spaces, subnets) until the transaction ends, so the
   * hierarchy and reference checks and the writes see the same inventory.
   */
  async lockInventory(tenantId: string): Promise<void> {
    await this.manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('clarion.inventory:' || $1, 0))`, [tenantId]);
  }

  list(afterName: string | undefined, limit: number): Promise<SiteRow[]> {
    return afterName === undefined
      ? this.manager.query(`SELECT ${COLUMNS} FROM sites ORDER BY name COLLATE "C" LIMIT $1`, [limit])
      : this.manager.query(`SELECT ${COLUMNS} FROM sites WHERE name COLLATE "C" > $1 ORDER BY name COLLATE "C" LIMIT $2`, [afterName, limit]);
  }

  /** Every site (imports and exports work on the whole hierarchy). */
  all(): Promise<SiteRow[]> {
    return this.manager.query(`SELECT ${COLUMNS} FROM sites ORDER BY name COLLATE "C"`);
  }

  async findById(id: string): Promise<SiteRow | null> {
    const rows: SiteRow[] = await this.manager.query(`SELECT ${COLUMNS} FROM sites WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async findByIds(ids: readonly string[]): Promise<SiteRow[]> {
    return ids.length === 0 ? [] : this.manager.query(`SELECT ${COLUMNS} FROM sites WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async findIdByName(name: string): Promise<string | null> {
    const rows: Array<{ id: string }> = await this.manager.query(`SELECT id FROM sites WHERE name = $1`, [name]);
    return rows[0]?.id ?? null;
  }

  /** The kinds of the site's direct children. */
  async childKinds(id: string): Promise<string[]> {
    const rows: Array<{ kind: string }> = await this.manager.query(`SELECT DISTINCT kind FROM sites WHERE parent_id = $1`, [id]);
    return rows.map((r) => r.kind);
  }

  async countChildren(id: string): Promise<number> {
    const rows: Array<{ n: number }> = await this.manager.query(`SELECT count(*)::int AS n FROM sites WHERE parent_id = $1`, [id]);
    return rows[0]?.n ?? 0;
  }

  /** Inserts sites with the ids given (parents may be among them: references are checked at the end of the statement). */
  async insertMany(tenantId: string, sites: ReadonlyArray<SiteRecord & { id: string }>): Promise<void> {
    if (sites.length === 0) return;
    await this.manager.query(
      `INSERT INTO sites (tenant_id, id, name, kind, parent_id, time_zone, description)
       SELECT $1, r.id, r.name, r.kind, r."parentId", r."timeZone", r.description
       FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, name text, kind text, "parentId" uuid, "timeZone" text, description text)`,
      [tenantId, JSON.stringify(sites)],
    );
  }

  /** Replaces the stored fields of existing sites. */
  async updateMany(sites: ReadonlyArray<SiteRecord & { id: string }>): Promise<void> {
    if (sites.length === 0) return;
    await this.manager.query(
      `UPDATE sites s SET name = r.name, kind = r.kind, parent_id = r."parentId", time_zone = r."timeZone", description = r.description, updated_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, name text, kind text, "parentId" uuid, "timeZone" text, description text)
       WHERE s.id = r.id`,
      [JSON.stringify(sites)],
    );
  }

  async delete(id: string): Promise<boolean> {
    return returnedRows(await this.manager.query(`DELETE FROM sites WHERE id = $1 RETURNING id`, [id])).length === 1;
  }
}
