import type { EntityManager } from 'typeorm';
import { returnedRows } from '@clarion/persistence';

export interface StoredEndpointProfile {
  endpointKey: string;
  /** Last IP address seen (text), null for a MAC-keyed endpoint seen without one. */
  address: string | null;
  /** @clarion/clustering-core encodeProfile bytes. */
  profile: Buffer;
}

export interface StoredEndpointIdentity {
  endpointKey: string;
  deviceType: string | null;
  userName: string | null;
  groups: string[];
}

export interface StoredClusterMembers {
  id: string;
  members: string[];
}

/** A service in a cluster's summary, in the shape of the API's ClusterServiceDto. */
export interface StoredClusterService {
  role: 'client' | 'server';
  protocol: number;
  port: number;
  service: string;
  /** The cluster's flows of this service. */
  flows: number;
  /** Share of the members that use (client) or offer (server) it for at least 10 % of their flows. */
  share: number;
}

/**
 * What `clusters.summary` holds (written by the full runs, read by the queries): the clustering-core ClusterSummary
 * (its service lists capped), the cluster's total flows, the label's basis and SGT category, and `topServices`
 * ready for ClusterDto.
 */
export interface StoredClusterSummary {
  size: number;
  identified: number;
  topDeviceType: { value: string; share: number } | null;
  topGroup: { value: string; share: number } | null;
  serverShare: number;
  medianPeers: number;
  medianFlows: number;
  businessHourShare: number;
  served: Array<{ protocol: number; port: number; service: string; memberShare: number; flowShare: number }>;
  used: Array<{ protocol: number; port: number; service: string; memberShare: number; flowShare: number }>;
  flows: number;
  basis: 'identity' | 'behaviour';
  category: string;
  topServices: StoredClusterService[];
}

export interface ClusterUpsert {
  id: string;
  label: string;
  explanation: string;
  size: number;
  quality: number;
  stability: number;
  summary: StoredClusterSummary;
}

export interface SgtBinding {
  value: number;
  name: string;
  clusterId: string | null;
}

export interface SgtInsert {
  value: number;
  name: string;
  description: string;
  category: string;
  clusterId: string;
}

/** Memberships of one run as parallel arrays (one bulk statement for tens of thousands of endpoints). */
export interface RunMemberships {
  endpoints: string[];
  clusterIds: Array<string | null>;
  probabilities: number[];
  confidences: number[];
  bands: string[];
}

/**
 * Reads the input of a full re-clustering run and writes its result, for the tenant bound to the transaction. The
 * writes are bulk statements (unnest / jsonb_to_recordset) meant to run together in one transaction; none of them
 * touches the manual override columns of `endpoint_memberships`.
 */
export class ClusteringRunRepository {
  constructor(private readonly manager: EntityManager) {}

  /** The transaction's start time: profiles created after it were not seen by the run. */
  async snapshotTime(): Promise<Date> {
    const rows: Array<{ now: Date }> = await this.manager.query(`SELECT now() AS now`);
    return rows[0].now;
  }

  loadProfiles(): Promise<StoredEndpointProfile[]> {
    return this.manager.query(`SELECT endpoint_key AS "endpointKey", host(address) AS address, profile FROM endpoint_profiles ORDER BY endpoint_key`);
  }

  loadIdentities(): Promise<StoredEndpointIdentity[]> {
    return this.manager.query(
      `SELECT endpoint_key AS "endpointKey", device_type AS "deviceType", user_name AS "userName", groups FROM endpoint_identities`,
    );
  }

  /** Members of every cluster that is not retired (from the last run and incremental assignment since). */
  loadCurrentClusters(): Promise<StoredClusterMembers[]> {
    return this.manager.query(
      `SELECT m.cluster_id AS id, array_agg(m.endpoint_key ORDER BY m.endpoint_key) AS members
       FROM endpoint_memberships m JOIN clusters c ON c.tenant_id = m.tenant_id AND c.id = m.cluster_id AND c.retired_at IS NULL
       GROUP BY m.cluster_id ORDER BY m.cluster_id`,
    );
  }

  /** Every cluster id the tenant ever used, retired ones included (never minted again). */
  async listClusterIds(): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.manager.query(`SELECT id FROM clusters ORDER BY id`);
    return rows.map((r) => r.id);
  }

  /** Inserts or refreshes the run's clusters (a cluster that reappears is active again). */
  async upsertClusters(tenantId: string, jobId: string, clusters: readonly ClusterUpsert[]): Promise<void> {
    if (clusters.length === 0) return;
    await this.manager.query(
      `INSERT INTO clusters AS c (tenant_id, id, label, explanation, size, quality, stability, summary, job_id, created_at, updated_at)
       SELECT $1, r.id, r.label, r.explanation, r.size, r.quality, r.stability, r.summary, $2, now(), now()
       FROM jsonb_to_recordset($3::jsonb) AS r(id text, label text, explanation text, size integer, quality real, stability real, summary jsonb)
       ON CONFLICT (tenant_id, id) DO UPDATE SET label = EXCLUDED.label, explanation = EXCLUDED.explanation, size = EXCLUDED.size,
         quality = EXCLUDED.quality, stability = EXCLUDED.stability, summary = EXCLUDED.summary, job_id = EXCLUDED.job_id,
         updated_at = now(), retired_at = NULL`,
      [tenantId, jobId, JSON.stringify(clusters)],
    );
  }

  /** Retires every active cluster the run did not keep; returns their ids. */
  async retireClustersExcept(keptIds: readonly string[]): Promise<string[]> {
    const result = await this.manager.query(
      `UPDATE clusters SET retired_at = now(), updated_at = now() WHERE retired_at IS NULL AND NOT (id = ANY($1::text[])) RETURNING id`,
      [keptIds],
    );
    return returnedRows<{ id: string }>(result).map((r) => r.id);
  }

  /** Unbinds (never deletes: operators may have policy on them) the SGTs of the given clusters. */
  async unbindSgts(clusterIds: readonly string[]): Promise<number> {
    if (clusterIds.length === 0) return 0;
    const result = await this.manager.query(
      `UPDATE sgts SET cluster_id = NULL, updated_at = now() WHERE cluster_id = ANY($1::text[]) RETURNING value`,
      [clusterIds],
    );
    return returnedRows(result).length;
  }

  listSgts(): Promise<SgtBinding[]> {
    return this.manager.query(`SELECT value, name, cluster_id AS "clusterId" FROM sgts ORDER BY value`);
  }

  /** Inserts SGTs created by the system; a row that collides with one created concurrently is skipped (not returned). */
  async insertSgts(tenantId: string, sgts: readonly SgtInsert[]): Promise<SgtBinding[]> {
    if (sgts.length === 0) return [];
    return this.manager.query(
      `INSERT INTO sgts (tenant_id, value, name, description, category, cluster_id, created_by)
       SELECT $1, r.value, r.name, r.description, r.category, r."clusterId", 'system'
       FROM jsonb_to_recordset($2::jsonb) AS r(value integer, name text, description text, category text, "clusterId" text)
       ON CONFLICT DO NOTHING
       RETURNING value, name, cluster_id AS "clusterId"`,
      [tenantId, JSON.stringify(sgts)],
    );
  }

  /**
   * Writes the run's membership of every endpoint (cluster, probability, confidence, band; override columns
   * untouched) and a history row (with the cluster's SGT) for each endpoint whose cluster changed. All CTEs see the
   * rows as they were before the statement, so `previous` is the membership the run replaces. Returns the changes.
   */
  async writeMemberships(tenantId: string, jobId: string, m: RunMemberships): Promise<number> {
    if (m.endpoints.length === 0) return 0;
    const rows: Array<{ changed: number }> = await this.manager.query(
      `WITH input AS (
         SELECT * FROM unnest($2::text[], $3::text[], $4::real[], $5::real[], $6::text[]) AS t(endpoint_key, cluster_id, probability, confidence, band)
       ), previous AS (
         SELECT m.endpoint_key, m.cluster_id FROM endpoint_memberships m JOIN input i ON i.endpoint_key = m.endpoint_key
       ), upserted AS (
         INSERT INTO endpoint_memberships AS m (tenant_id, endpoint_key, cluster_id, probability, confidence, band, assigned_by, assigned_at)
         SELECT $1, endpoint_key, cluster_id, probability, confidence, band, 'clustering', now() FROM input
         ON CONFLICT (tenant_id, endpoint_key) DO UPDATE SET cluster_id = EXCLUDED.cluster_id, probability = EXCLUDED.probability,
           confidence = EXCLUDED.confidence, band = EXCLUDED.band, assigned_by = 'clustering', assigned_at = now()
         RETURNING m.endpoint_key, m.cluster_id
       ), history AS (
         INSERT INTO membership_history (tenant_id, endpoint_key, kind, cluster_id, sgt, actor, job_id)
         SELECT $1, u.endpoint_key, 'clustering', u.cluster_id, s.value, 'system', $7
         FROM upserted u LEFT JOIN previous p ON p.endpoint_key = u.endpoint_key LEFT JOIN sgts s ON s.cluster_id = u.cluster_id
         WHERE p.cluster_id IS DISTINCT FROM u.cluster_id
         RETURNING 1
       )
       SELECT count(*)::int AS changed FROM history`,
      [tenantId, m.endpoints, m.clusterIds, m.probabilities, m.confidences, m.bands, jobId],
    );
    return rows[0].changed;
  }

  /**
   * Endpoints the run did not see (profiles created while it ran) that were assigned to a cluster it retired: back
   * to no cluster, with history. Returns how many.
   */
  async clearRetiredMemberships(tenantId: string, jobId: string, retiredIds: readonly string[]): Promise<number> {
    if (retiredIds.length === 0) return 0;
    const rows: Array<{ cleared: number }> = await this.manager.query(
      `WITH cleared AS (
         UPDATE endpoint_memberships SET cluster_id = NULL, probability = 0, confidence = 0, band = 'very_low', assigned_by = 'clustering',
           assigned_at = now()
         WHERE cluster_id = ANY($2::text[]) RETURNING endpoint_key
       ), history AS (
         INSERT INTO membership_history (tenant_id, endpoint_key, kind, cluster_id, sgt, actor, job_id)
         SELECT $1, endpoint_key, 'clustering', NULL, NULL, 'system', $3 FROM cleared
         RETURNING 1
       )
       SELECT count(*)::int AS cleared FROM history`,
      [tenantId, retiredIds, jobId],
    );
    return rows[0].cleared;
  }

  /** Stores the assignment model; returns its version (1 for the tenant's first, then one more per run). */
  async upsertModel(
    tenantId: string,
    jobId: string,
    model: { state: unknown; endpoints: number; useIdentity: boolean; snapshotAt: Date },
  ): Promise<number> {
    const rows: Array<{ version: number }> = await this.manager.query(
      `INSERT INTO cluster_models AS cm (tenant_id, job_id, version, endpoints, use_identity, state, created_at)
       VALUES ($1, $2, 1, $3, $4, $5::jsonb, $6)
       ON CONFLICT (tenant_id) DO UPDATE SET version = cm.version + 1, job_id = EXCLUDED.job_id, endpoints = EXCLUDED.endpoints,
         use_identity = EXCLUDED.use_identity, state = EXCLUDED.state, created_at = EXCLUDED.created_at
       RETURNING version`,
      [tenantId, jobId, model.endpoints, model.useIdentity, JSON.stringify(model.state), model.snapshotAt],
    );
    return rows[0].version;
  }
}
