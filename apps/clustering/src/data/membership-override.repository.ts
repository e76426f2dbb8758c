import type { EntityManager } from 'typeorm';
import { returnedRows } from '@clarion/persistence';

export interface MembershipHistoryRow {
  id: string;
  at: Date;
  kind: 'clustering' | 'assignment' | 'override' | 'override_cleared';
  clusterId: string | null;
  sgt: number | null;
  actor: string;
  reason: string | null;
  jobId: string | null;
}

/**
 * Manual SGT overrides of the tenant bound to the transaction. They live in their own columns of
 * `endpoint_memberships`, which clustering runs never write, and every change appends to `membership_history`.
 */
export class MembershipOverrideRepository {
  constructor(private readonly manager: EntityManager) {}

  /**
   * Sets the override of every endpoint in `keys` (creating the membership row of an endpoint no run has placed yet)
   * and records one 'override' history row each, in one statement. Returns the keys changed.
   */
  async upsertOverrides(tenantId: string, keys: readonly string[], sgt: number, actor: string, reason: string | null): Promise<string[]> {
    const rows: Array<{ key: string }> = await this.manager.query(
      `WITH changed AS (
         INSERT INTO endpoint_memberships AS m (tenant_id, endpoint_key, override_sgt, override_by, override_reason, override_at)
         SELECT $1, k, $3, $4, $5, now() FROM unnest($2::text[]) AS k
         ON CONFLICT (tenant_id, endpoint_key) DO UPDATE SET
           override_sgt = EXCLUDED.override_sgt, override_by = EXCLUDED.override_by,
           override_reason = EXCLUDED.override_reason, override_at = EXCLUDED.override_at
         RETURNING m.endpoint_key, m.cluster_id
       ), history AS (
         INSERT INTO membership_history (tenant_id, endpoint_key, kind, cluster_id, sgt, actor, reason)
         SELECT $1, endpoint_key, 'override', cluster_id, $3, $4, $5 FROM changed
       )
       SELECT endpoint_key AS key FROM changed`,
      [tenantId, keys, sgt, actor, reason],
    );
    return rows.map((r) => r.key);
  }

  /** Removes the overrides of `keys` that have one and records 'override_cleared' for each. Returns the keys changed. */
  async clearOverrides(tenantId: string, keys: readonly string[], actor: string): Promise<string[]> {
    const result = await this.manager.query(
      `WITH changed AS (
         UPDATE endpoint_memberships
         SET override_sgt = NULL, override_by = NULL, override_reason = NULL, override_at = NULL
         WHERE endpoint_key = ANY($2::text[]) AND override_sgt IS NOT NULL
         RETURNING endpoint_key, cluster_id
       ), history AS (
         INSERT INTO membership_history (tenant_id, endpoint_key, kind, cluster_id, sgt, actor)
         SELECT $1, c.endpoint_key, 'override_cleared', c.cluster_id, s.value, $3
         FROM changed c LEFT JOIN sgts s ON s.tenant_id = $1 AND s.cluster_id = c.cluster_id
       )
       SELECT endpoint_key AS key FROM changed`,
      [tenantId, keys, actor],
    );
    return returnedRows<{ key: string }>(result).map((r) => r.key);
  }

  /** History of one endpoint, newest first, before the history id `beforeId`. */
  history(endpointKey: string, beforeId: string | undefined, limit: number): Promise<MembershipHistoryRow[]> {
    return this.manager.query(
      `SELECT id::text, at, kind, cluster_id AS "clusterId", sgt, actor, reason, job_id AS "jobId"
       FROM membership_history
       WHERE endpoint_key = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
       ORDER BY id DESC
       LIMIT $3`,
      [endpointKey, beforeId ?? null, limit],
    );
  }
}
