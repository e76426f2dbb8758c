import type { EntityManager } from 'typeorm';

/** The tenant's current assignment model; `state` only when its version differs from the one the caller holds. */
export interface ClusterModelRow {
  version: number;
  useIdentity: boolean;
  jobId: string | null;
  /** ClusterModelState (JSON) or null when the caller already holds this version. */
  state: unknown;
}

export interface EndpointIdentityRow {
  endpointKey: string;
  deviceType: string | null;
  userName: string | null;
  groups: string[];
}

/** The incremental assignment of one endpoint. */
export interface EndpointAssignmentInput {
  endpointKey: string;
  /** Null: no cluster is close enough (the endpoint waits as unassigned). */
  clusterId: string | null;
  probability: number;
  confidence: number;
  band: string;
}

export interface AppliedAssignment {
  endpointKey: string;
  clusterId: string | null;
}

/**
 * Incremental assignment storage of the tenant bound to the transaction: the model (`cluster_models`), imported
 * identities, and the cluster columns of `endpoint_memberships` with their history. The manual override columns of a
 * membership are never written here.
 */
export class EndpointAssignmentRepository {
  constructor(private readonly manager: EntityManager) {}

  async findModel(knownVersion: number | null): Promise<ClusterModelRow | null> {
    const rows: ClusterModelRow[] = await this.manager.query(
      `SELECT version, use_identity AS "useIdentity", job_id AS "jobId",
              CASE WHEN $1::integer IS NOT NULL AND version = $1::integer THEN NULL ELSE state END AS state
       FROM cluster_models`,
      [knownVersion],
    );
    return rows[0] ?? null;
  }

  identitiesOf(endpointKeys: readonly string[]): Promise<EndpointIdentityRow[]> {
    if (endpointKeys.length === 0) return Promise.resolve([]);
    return this.manager.query(
      `SELECT endpoint_key AS "endpointKey", device_type AS "deviceType", user_name AS "userName", groups
       FROM endpoint_identities WHERE endpoint_key = ANY($1::text[])`,
      [endpointKeys],
    );
  }

  /**
   * Applies assignments made with model `modelVersion`, in one statement:
   * - an endpoint without a membership row gets one (even when unassigned, so it is listed as waiting);
   * - an existing row changes only when the endpoint joins a different cluster: an assignment never takes an endpoint
   *   out of its cluster (that is the full re-clustering's call) and never rewrites a row that already holds the
   *   cluster (so a 'clustering' placement is not downgraded to 'assignment');
   * - nothing is written when the tenant's model is no longer `modelVersion` (a full run replaced it meanwhile);
   * - each change of cluster adds a membership_history row (kind 'assignment', actor 'system').
   * Returns the rows inserted or changed.
   */
  async apply(tenantId: string, modelVersion: number, jobId: string | null, assignments: readonly EndpointAssignmentInput[]): Promise<AppliedAssignment[]> {
    if (assignments.length === 0) return [];
    const sorted = [...assignments].sort((a, b) => (a.endpointKey < b.endpointKey ? -1 : a.endpointKey > b.endpointKey ? 1 : 0));
    return this.manager.query(
      `WITH input AS (
         SELECT a.* FROM unnest($3::text[], $4::text[], $5::real[], $6::real[], $7::text[]) WITH ORDINALITY
                AS a(endpoint_key, cluster_id, probability, confidence, band, n)
         WHERE EXISTS (SELECT 1 FROM cluster_models WHERE version = $2)
       ),
       written AS (
         INSERT INTO endpoint_memberships AS m (tenant_id, endpoint_key, cluster_id, probability, confidence, band, assigned_by, assigned_at)
         SELECT $1, i.endpoint_key, i.cluster_id, i.probability, i.confidence, i.band, 'assignment', now() FROM input i ORDER BY i.n
         ON CONFLICT (tenant_id, endpoint_key) DO UPDATE SET
           cluster_id = EXCLUDED.cluster_id,
           probability = EXCLUDED.probability,
           confidence = EXCLUDED.confidence,
           band = EXCLUDED.band,
           assigned_by = 'assignment',
           assigned_at = now()
         WHERE EXCLUDED.cluster_id IS NOT NULL AND m.cluster_id IS DISTINCT FROM EXCLUDED.cluster_id
         RETURNING m.endpoint_key, m.cluster_id
       ),
       history AS (
         INSERT INTO membership_history (tenant_id, endpoint_key, kind, cluster_id, sgt, actor, reason, job_id)
         SELECT $1, w.endpoint_key, 'assignment', w.cluster_id, (SELECT s.value FROM sgts s WHERE s.cluster_id = w.cluster_id), 'system',
                'incremental assignment', $8::uuid
         FROM written w WHERE w.cluster_id IS NOT NULL
       )
       SELECT endpoint_key AS "endpointKey", cluster_id AS "clusterId" FROM written ORDER BY endpoint_key`,
      [
        tenantId,
        modelVersion,
        sorted.map((a) => a.endpointKey),
        sorted.map((a) => a.clusterId),
        sorted.map((a) => a.probability),
        sorted.map((a) => a.confidence),
        sorted.map((a) => a.band),
        jobId,
      ],
    );
  }

  /** Current cluster columns of `endpointKeys` (tests, explanations). */
  membershipsOf(endpointKeys: readonly string[]): Promise<Array<AppliedAssignment & { assignedBy: string | null; band: string; confidence: number }>> {
    if (endpointKeys.length === 0) return Promise.resolve([]);
    return this.manager.query(
      `SELECT endpoint_key AS "endpointKey", cluster_id AS "clusterId", assigned_by AS "assignedBy", band, confidence
       FROM endpoint_memberships WHERE endpoint_key = ANY($1::text[]) ORDER BY endpoint_key`,
      [endpointKeys],
    );
  }
}
