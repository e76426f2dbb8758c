import type { EntityManager } from 'typeorm';
import { returnedRows } from '@clarion/persistence';

export type ClusteringJobTriggerName = 'request' | 'schedule' | 'threshold' | 'initial';
export type ClusteringJobStatusName = 'queued' | 'running' | 'succeeded' | 'failed';

export interface ClusteringJobRow {
  id: string;
  tenantId: string;
  trigger: ClusteringJobTriggerName;
  status: ClusteringJobStatusName;
  stage: string | null;
  progress: number;
  endpoints: number | null;
  clusters: number | null;
  noiseRate: number | null;
  error: string | null;
  requestedBy: string | null;
  worker: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  heartbeatAt: Date | null;
  /** created_at in microseconds since the epoch, as text: the exact keyset position (a Date keeps only milliseconds). */
  createdMicros: string;
}

/** What the trigger check needs to know about one tenant, read in one statement. */
export interface ClusteringTriggerFacts {
  /** A job is queued or running. */
  active: boolean;
  profiles: number;
  /** The current model: when its run read the profiles, and how many endpoints it clustered; null before the first run. */
  model: { createdAt: Date; endpoints: number } | null;
  /** Profiles created after the model's snapshot (0 without a model). */
  newProfiles: number;
  lastSucceededAt: Date | null;
}

export interface ClusteringJobPosition {
  createdMicros: string;
  id: string;
}

const COLUMNS = `id, tenant_id AS "tenantId", trigger, status, stage, progress, endpoints, clusters, noise_rate AS "noiseRate", error,
  requested_by AS "requestedBy", worker, created_at AS "createdAt", started_at AS "startedAt", finished_at AS "finishedAt",
  heartbeat_at AS "heartbeatAt", (extract(epoch FROM created_at) * 1000000)::bigint::text AS "createdMicros"`;

/**
 * The job queue of full re-clustering runs (`clustering_jobs`) of the tenant bound to the transaction. At most one job
 * per tenant is queued or running (partial unique index `clustering_jobs_one_active`); every state change of a
 * running job is conditional on the worker that claimed it, so an instance that lost its job (failed as stale) can
 * never overwrite what happened since.
 */
export class ClusteringJobRepository {
  constructor(private readonly manager: EntityManager) {}

  /** Queues a job; null when the tenant already has one queued or running. */
  async insertQueued(tenantId: string, trigger: ClusteringJobTriggerName, requestedBy: string | null): Promise<ClusteringJobRow | null> {
    const rows: ClusteringJobRow[] = await this.manager.query(
      `INSERT INTO clustering_jobs (tenant_id, trigger, requested_by) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id) WHERE status IN ('queued', 'running') DO NOTHING
       RETURNING ${COLUMNS}`,
      [tenantId, trigger, requestedBy],
    );
    return rows[0] ?? null;
  }

  async findActive(): Promise<ClusteringJobRow | null> {
    const rows: ClusteringJobRow[] = await this.manager.query(`SELECT ${COLUMNS} FROM clustering_jobs WHERE status IN ('queued', 'running')`);
    return rows[0] ?? null;
  }

  async findById(id: string): Promise<ClusteringJobRow | null> {
    const rows: ClusteringJobRow[] = await this.manager.query(`SELECT ${COLUMNS} FROM clustering_jobs WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** Newest first, strictly after `after` in that order. */
  list(options: { status?: ClusteringJobStatusName; after?: ClusteringJobPosition; limit: number }): Promise<ClusteringJobRow[]> {
    const params: unknown[] = [options.limit];
    const where: string[] = [];
    if (options.status !== undefined) {
      params.push(options.status);
      where.push(`status = $${params.length}`);
    }
    if (options.after !== undefined) {
      params.push(options.after.createdMicros, options.after.id);
      where.push(`(created_at, id) < (timestamptz 'epoch' + $${params.length - 1}::bigint * interval '1 microsecond', $${params.length}::uuid)`);
    }
    return this.manager.query(
      `SELECT ${COLUMNS} FROM clustering_jobs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT $1`,
      params,
    );
  }

  /**
   * Claims the oldest queued job for `worker`. SKIP LOCKED makes concurrent claimers pass over a row another
   * transaction is claiming, so one job is never started twice; null when nothing is queued (or it is being claimed).
   */
  async claimNext(worker: string): Promise<ClusteringJobRow | null> {
    const result = await this.manager.query(
      `UPDATE clustering_jobs SET status = 'running', worker = $1, started_at = now(), heartbeat_at = now(), stage = NULL, progress = 0
       WHERE status = 'queued' AND id = (
         SELECT id FROM clustering_jobs WHERE status = 'queued' ORDER BY created_at, id FOR UPDATE SKIP LOCKED LIMIT 1)
       RETURNING ${COLUMNS}`,
      [worker],
    );
    return returnedRows<ClusteringJobRow>(result)[0] ?? null;
  }

  /** Records that the worker is alive; false when the job is no longer the worker's (failed as stale meanwhile). */
  async heartbeat(id: string, worker: string): Promise<boolean> {
    const result = await this.manager.query(
      `UPDATE clustering_jobs SET heartbeat_at = now() WHERE id = $1 AND worker = $2 AND status = 'running' RETURNING id`,
      [id, worker],
    );
    return returnedRows(result).length > 0;
  }

  /** Stage and progress of a running job (heartbeat included); null when the job is no longer the worker's. */
  async updateStage(id: string, worker: string, stage: string, progress: number): Promise<ClusteringJobRow | null> {
    const result = await this.manager.query(
      `UPDATE clustering_jobs SET stage = $3, progress = GREATEST(progress, $4), heartbeat_at = now()
       WHERE id = $1 AND worker = $2 AND status = 'running' RETURNING ${COLUMNS}`,
      [id, worker, stage, progress],
    );
    return returnedRows<ClusteringJobRow>(result)[0] ?? null;
  }

  /** Locks the job row for the transaction that persists its result; false when the job is no longer the worker's. */
  async lockOwned(id: string, worker: string): Promise<boolean> {
    const rows: unknown[] = await this.manager.query(
      `SELECT id FROM clustering_jobs WHERE id = $1 AND worker = $2 AND status = 'running' FOR UPDATE`,
      [id, worker],
    );
    return rows.length > 0;
  }

  async markSucceeded(id: string, worker: string, outcome: { endpoints: number; clusters: number; noiseRate: number }): Promise<ClusteringJobRow | null> {
    const result = await this.manager.query(
      `UPDATE clustering_jobs SET status = 'succeeded', endpoints = $3, clusters = $4, noise_rate = $5, progress = 1, error = NULL,
         finished_at = now(), heartbeat_at = now()
       WHERE id = $1 AND worker = $2 AND status = 'running' RETURNING ${COLUMNS}`,
      [id, worker, outcome.endpoints, outcome.clusters, outcome.noiseRate],
    );
    return returnedRows<ClusteringJobRow>(result)[0] ?? null;
  }

  async markFailed(id: string, worker: string, error: string): Promise<ClusteringJobRow | null> {
    const result = await this.manager.query(
      `UPDATE clustering_jobs SET status = 'failed', error = $3, finished_at = now()
       WHERE id = $1 AND worker = $2 AND status = 'running' RETURNING ${COLUMNS}`,
      [id, worker, error],
    );
    return returnedRows<ClusteringJobRow>(result)[0] ?? null;
  }

  /**
   * Fails running jobs whose heartbeat is older than `staleAfterSeconds` (their instance stopped or crashed), naming
   * that instance in the error; returns them. The tenant can queue a new job right after.
   */
  async failStale(staleAfterSeconds: number): Promise<ClusteringJobRow[]> {
    const result = await this.manager.query(
      `UPDATE clustering_jobs
       SET status = 'failed', finished_at = now(),
           error = format('the instance running the job (%s) sent no heartbeat for more than %s s: it stopped or crashed', worker, $2::text)
       WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => $1::double precision)
       RETURNING ${COLUMNS}`,
      [staleAfterSeconds, String(staleAfterSeconds)],
    );
    return returnedRows<ClusteringJobRow>(result);
  }

  async triggerFacts(): Promise<ClusteringTriggerFacts> {
    const rows: Array<{
      active: boolean;
      profiles: string;
      modelCreatedAt: Date | null;
      modelEndpoints: number | null;
      newProfiles: string;
      lastSucceededAt: Date | null;
    }> = await this.manager.query(
      `SELECT
         EXISTS (SELECT 1 FROM clustering_jobs WHERE status IN ('queued', 'running')) AS active,
         (SELECT count(*) FROM endpoint_profiles) AS profiles,
         m.created_at AS "modelCreatedAt",
         m.endpoints AS "modelEndpoints",
         CASE WHEN m.created_at IS NULL THEN 0 ELSE (SELECT count(*) FROM endpoint_profiles p WHERE p.created_at > m.created_at) END AS "newProfiles",
         (SELECT max(finished_at) FROM clustering_jobs WHERE status = 'succeeded') AS "lastSucceededAt"
       FROM (SELECT 1) AS one LEFT JOIN cluster_models m ON true`,
    );
    const row = rows[0];
    return {
      active: row.active,
      profiles: Number(row.profiles),
      model: row.modelCreatedAt === null ? null : { createdAt: row.modelCreatedAt, endpoints: Number(row.modelEndpoints ?? 0) },
      newProfiles: Number(row.newProfiles),
      lastSucceededAt: row.lastSucceededAt,
    };
  }
}
