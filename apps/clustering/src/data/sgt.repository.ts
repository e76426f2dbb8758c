import type { EntityManager } from 'typeorm';
import { returnedRows } from '@clarion/persistence';

export interface SgtRow {
  value: number;
  name: string;
  description: string | null;
  category: string;
  clusterId: string | null;
  /** Endpoints carrying the SGT (bigint as text). */
  members: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewSgt {
  value: number;
  name: string;
  description: string | null;
  category: string;
  clusterId: string | null;
  createdBy: string;
}

export interface SgtChanges {
  name?: string;
  description?: string;
  /** null unbinds. */
  clusterId?: string | null;
}

/**
 * Members: endpoints of the bound cluster that carry no other override, plus endpoints overriding to the SGT (two
 * index lookups rather than one OR that would scan the memberships).
 */
const SGT_COLUMNS = `s.value, s.name, s.description, s.category, s.cluster_id AS "clusterId", s.created_at AS "createdAt", s.updated_at AS "updatedAt",
  ((SELECT count(*) FROM endpoint_memberships m
    WHERE s.cluster_id IS NOT NULL AND m.tenant_id = s.tenant_id AND m.cluster_id = s.cluster_id AND (m.override_sgt IS NULL OR m.override_sgt = s.value))
 + (SELECT count(*) FROM endpoint_memberships m
    WHERE m.tenant_id = s.tenant_id AND m.override_sgt = s.value AND m.cluster_id IS DISTINCT FROM s.cluster_id))::text AS members`;

/** The SGT registry of the tenant bound to the transaction. */
export class SgtRepository {
  constructor(private readonly manager: EntityManager) {}

  /**
   * Serialises registry changes of one tenant until the transaction ends, so "lowest free value" and the uniqueness
   * checks are not raced by a concurrent create.
   */
  async lockRegistry(tenantId: string): Promise<void> {
    await this.manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('clarion.sgts:' || $1, 0))`, [tenantId]);
  }

  async findByValue(value: number): Promise<SgtRow | null> {
    const rows: SgtRow[] = await this.manager.query(`SELECT ${SGT_COLUMNS} FROM sgts s WHERE s.value = $1`, [value]);
    return rows[0] ?? null;
  }

  /** The value of the SGT with this name. */
  async findValueByName(name: string): Promise<number | null> {
    const rows: Array<{ value: number }> = await this.manager.query(`SELECT value FROM sgts WHERE name = $1`, [name]);
    return rows[0]?.value ?? null;
  }

  /** The value of the SGT bound to this cluster. */
  async findValueByCluster(clusterId: string): Promise<number | null> {
    const rows: Array<{ value: number }> = await this.manager.query(`SELECT value FROM sgts WHERE cluster_id = $1`, [clusterId]);
    return rows[0]?.value ?? null;
  }

  /** Values in use between lo and hi (inclusive). */
  async valuesBetween(lo: number, hi: number): Promise<number[]> {
    const rows: Array<{ value: number }> = await this.manager.query(`SELECT value FROM sgts WHERE value BETWEEN $1 AND $2`, [lo, hi]);
    return rows.map((r) => r.value);
  }

  /** Lowest value >= lo that no SGT uses (null when every value up to hi is taken). */
  async lowestFreeValueFrom(lo: number, hi: number): Promise<number | null> {
    const rows: Array<{ value: number | null }> = await this.manager.query(
      `SELECT min(v) AS value FROM generate_series($1::int, $2::int) AS v WHERE NOT EXISTS (SELECT 1 FROM sgts WHERE value = v)`,
      [lo, hi],
    );
    return rows[0]?.value ?? null;
  }

  /** Whether the cluster exists, and whether it is retired. */
  async clusterState(clusterId: string): Promise<'active' | 'retired' | 'missing'> {
    const rows: Array<{ retired: boolean }> = await this.manager.query(`SELECT retired_at IS NOT NULL AS retired FROM clusters WHERE id = $1`, [clusterId]);
    if (rows.length === 0) return 'missing';
    return rows[0].retired ? 'retired' : 'active';
  }

  /** One page by value, after `afterValue`. */
  list(afterValue: number | undefined, limit: number): Promise<SgtRow[]> {
    return this.manager.query(`SELECT ${SGT_COLUMNS} FROM sgts s WHERE s.value > $1 ORDER BY s.value LIMIT $2`, [afterValue ?? 0, limit]);
  }

  /** Registry names of the given values. */
  async namesOf(values: readonly number[]): Promise<Map<number, string>> {
    const rows: Array<{ value: number; name: string }> = await this.manager.query(`SELECT value, name FROM sgts WHERE value = ANY($1::int[])`, [values]);
    return new Map(rows.map((r) => [r.value, r.name]));
  }

  /** Inserts the SGT; false when a concurrent writer took its value, name or cluster first. */
  async insert(tenantId: string, sgt: NewSgt): Promise<boolean> {
    const rows: unknown[] = await this.manager.query(
      `INSERT INTO sgts (tenant_id, value, name, description, category, cluster_id, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT DO NOTHING
       RETURNING value`,
      [tenantId, sgt.value, sgt.name, sgt.description, sgt.category, sgt.clusterId, sgt.createdBy],
    );
    return rows.length === 1;
  }

  /** Applies the changes given (undefined = unchanged); false when there is no such SGT. */
  async update(value: number, changes: SgtChanges): Promise<boolean> {
    const result = await this.manager.query(
      `UPDATE sgts SET
         name = CASE WHEN $2::boolean THEN $3 ELSE name END,
         description = CASE WHEN $4::boolean THEN $5 ELSE description END,
         cluster_id = CASE WHEN $6::boolean THEN $7 ELSE cluster_id END,
         updated_at = now()
       WHERE value = $1
       RETURNING value`,
      [
        value,
        changes.name !== undefined,
        changes.name ?? null,
        changes.description !== undefined,
        changes.description ?? null,
        changes.clusterId !== undefined,
        changes.clusterId ?? null,
      ],
    );
    return returnedRows(result).length === 1;
  }

  /** Endpoints whose manual override is this SGT. */
  async countOverrides(value: number): Promise<number> {
    const rows: Array<{ n: string }> = await this.manager.query(`SELECT count(*) AS n FROM endpoint_memberships WHERE override_sgt = $1`, [value]);
    return Number(rows[0]?.n ?? 0);
  }

  async delete(value: number): Promise<boolean> {
    const result = await this.manager.query(`DELETE FROM sgts WHERE value = $1 RETURNING value`, [value]);
    return returnedRows(result).length === 1;
  }
}
