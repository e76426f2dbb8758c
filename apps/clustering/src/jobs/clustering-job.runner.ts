import type { ClusteringStage, IdentityContext } from '@clarion/clustering-core';
import { DomainException } from '@clarion/contracts';
import { type Database, TenantRepository } from '@clarion/persistence';
import { ClusteringJobRepository, type ClusteringJobRow, ClusteringRunRepository, type SgtBinding, type StoredEndpointIdentity } from '../data';
import type { Logger } from 'pino';
import { isInternalEndpoint, tenantClassifierOf } from '../inventory/tenant-classifier';
import type { ClusteringJobEvents } from './clustering-job-events.publisher';
import { toClusteringJobDto } from './clustering-job.mapper';
import type { ClusteringJobMetrics } from './clustering-job.metrics';
import { planSgts } from './sgt-allocation';
import { ClusteringWorkerError, runInWorker, type ClusteringWorkerFactory, type ClusteringWorkerRun } from './worker/clustering-worker.host';
import type { ClusteringWorkerInput, ClusteringWorkerResult } from './worker/clustering-worker.protocol';

export interface ClusteringJobRunnerOptions {
  /** Recorded as the job's worker: the instance that claimed it. */
  instanceId: string;
  concurrency: number;
  pollMs: number;
  heartbeatMs: number;
  maxDurationMs: number;
  /** 0 = automatic. */
  minClusterSize: number;
  minSamples: number;
  workerFactory: ClusteringWorkerFactory;
}

type JobStage = ClusteringStage | 'load' | 'persist';

/** Progress shown when a stage starts: roughly the share of a typical run's time spent before it. */
const STAGE_PROGRESS: Readonly<Record<ClusteringStage | 'persist', number>> = {
  features: 0.05,
  scaling: 0.15,
  neighbours: 0.2,
  'spanning-tree': 0.45,
  'condensed-tree': 0.6,
  selection: 0.7,
  identity: 0.75,
  model: 0.8,
  labels: 0.85,
  persist: 0.9,
};

const ERROR_MAX = 500;

/** A failure whose message is meant for the operator as it is. */
class JobFailure extends Error {}

/** The job was failed by another instance's recovery while this one still ran it: nothing may be written. */
class JobLost extends Error {}

interface Snapshot {
  snapshotAt: Date;
  input: ClusteringWorkerInput;
  useIdentity: boolean;
}

interface RunningJob {
  done: Promise<void>;
  abort(reason: string): void;
}

function identityOf(row: StoredEndpointIdentity | undefined): IdentityContext | null {
  return row === undefined ? null : { deviceType: row.deviceType, user: row.userName, groups: row.groups };
}

function finite(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

/** The message stored on a failed job: what went wrong, never a stack. */
function failureMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const text = err instanceof JobFailure || err instanceof JobLost || err instanceof DomainException || err instanceof ClusteringWorkerError ? message : `the run failed: ${message}`;
  return text.length > ERROR_MAX ? `${text.slice(0, ERROR_MAX - 3)}...` : text;
}

/**
 * Runs the queued full re-clustering jobs of every tenant, at most `concurrency` at a time on this instance. A job
 * is claimed atomically (SKIP LOCKED), computed in a worker thread while this instance heartbeats it, and its result
 * persisted in one transaction that also marks it succeeded, but only while the job is still this instance's.
 */
export class ClusteringJobRunner {
  private readonly running = new Map<string, RunningJob>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<string[]>;
  private stopped = false;
  private lastPollError?: string;

  constructor(
    private readonly db: Database,
    private readonly events: ClusteringJobEvents,
    private readonly metrics: ClusteringJobMetrics,
    private readonly logger: Logger,
    private readonly options: ClusteringJobRunnerOptions,
  ) {}

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
    void this.poll();
  }

  /** Looks for queued work now (a job was just queued by this instance). */
  wake(): void {
    if (!this.stopped) void this.poll();
  }

  get activeJobs(): number {
    return this.running.size;
  }

  /**
   * Claims queued jobs, tenant by tenant, while this instance has a free slot; returns the ids of the jobs started
   * (they run in the background: `whenIdle()` waits for them).
   */
  poll(): Promise<string[]> {
    if (this.polling) return this.polling.then(() => []);
    this.polling = this.claimJobs().finally(() => (this.polling = undefined));
    return this.polling;
  }

  /** Resolves once no job runs on this instance. */
  async whenIdle(): Promise<void> {
    while (this.running.size > 0 || this.polling) {
      await Promise.allSettled([...[...this.running.values()].map((r) => r.done), this.polling]);
    }
  }

  /** Stops claiming; running jobs are aborted and failed (so a new job can be queued at once), then awaited. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const job of this.running.values()) job.abort('the service instance running the job shut down');
    await this.whenIdle();
  }

  private async claimJobs(): Promise<string[]> {
    const started: string[] = [];
    if (this.stopped || this.running.size >= this.options.concurrency) return started;
    try {
      const tenants = await this.db.withoutTenant((m) => new TenantRepository(m).listIds());
      // Start at a random tenant so instances polling together do not all contend for the same first rows.
      const offset = tenants.length > 0 ? Math.floor(Math.random() * tenants.length) : 0;
      for (let i = 0; i < tenants.length && !this.stopped && this.running.size < this.options.concurrency; i++) {
        const tenantId = tenants[(offset + i) % tenants.length];
        const job = await this.db.withTenant(tenantId, (m) => new ClusteringJobRepository(m).claimNext(this.options.instanceId));
        if (job) {
          started.push(job.id);
          this.launch(job);
        }
      }
      this.lastPollError = undefined;
    } catch (err) {
      const message = (err as Error).message;
      // One line per distinct problem, not one per poll, while the database is away.
      if (message !== this.lastPollError) this.logger.warn({ err: message }, 'cannot look for queued clustering jobs');
      this.lastPollError = message;
    }
    return started;
  }

  private launch(job: ClusteringJobRow): void {
    let worker: ClusteringWorkerRun | undefined;
    let abortReason: string | undefined;
    const entry: RunningJob = {
      done: Promise.resolve(),
      abort: (reason) => {
        abortReason ??= reason;
        worker?.abort(reason);
      },
    };
    entry.done = this.execute(job, entry, (w) => {
      worker = w;
      if (abortReason !== undefined) w.abort(abortReason);
    }, () => abortReason).finally(() => this.running.delete(job.id));
    this.running.set(job.id, entry);
  }

  private async execute(
    job: ClusteringJobRow,
    entry: RunningJob,
    attach: (worker: ClusteringWorkerRun) => void,
    aborted: () => string | undefined,
  ): Promise<void> {
    const log = this.logger.child({ jobId: job.id, tenantId: job.tenantId, trigger: job.trigger });
    const startedAt = performance.now();
    let stage: JobStage | null = null;
    const enter = (next: JobStage | null) => {
      if (stage !== null) this.metrics.stage.dec({ stage });
      stage = next;
      if (next !== null) this.metrics.stage.inc({ stage: next });
    };
    this.metrics.running.inc();
    this.events.jobChanged(job.tenantId, toClusteringJobDto(job));
    log.info('clustering job started');
    // Stage writes are chained so they land in order; a write that finds the job gone aborts the run.
    let writes: Promise<void> = Promise.resolve();
    const record = (next: ClusteringStage | 'persist') => {
      writes = writes.then(async () => {
        const row = await this.db.withTenant(job.tenantId, (m) =>
          new ClusteringJobRepository(m).updateStage(job.id, this.options.instanceId, next, STAGE_PROGRESS[next]),
        );
        if (row) this.events.jobChanged(job.tenantId, toClusteringJobDto(row));
        else entry.abort('the job was failed by the recovery of stale jobs while it ran');
      }).catch((err: unknown) => log.warn({ err: (err as Error).message, stage: next }, 'cannot record the job stage'));
      return writes;
    };
    const heartbeat = setInterval(() => {
      void this.db
        .withTenant(job.tenantId, (m) => new ClusteringJobRepository(m).heartbeat(job.id, this.options.instanceId))
        .then((mine) => {
          if (!mine) entry.abort('the job was failed by the recovery of stale jobs while it ran');
        })
        .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'cannot record the job heartbeat'));
    }, this.options.heartbeatMs);
    heartbeat.unref();
    try {
      enter('load');
      const snapshot = await this.load(job.tenantId);
      if (snapshot.input.endpoints.length === 0) throw new JobFailure('the tenant has no endpoint profiles to cluster yet');
      const reason = aborted();
      if (reason !== undefined) throw new JobFailure(reason);
      let last: ClusteringStage | undefined;
      const worker = runInWorker(
        this.options.workerFactory,
        snapshot.input,
        (next) => {
          if (next === last) return;
          last = next;
          enter(next);
          void record(next);
        },
        this.options.maxDurationMs,
      );
      attach(worker);
      const result = await worker.result;
      if (result.skipped > 0) log.warn({ skipped: result.skipped }, 'endpoint profiles that could not be decoded were left out of the run');
      enter('persist');
      // From here on the result is kept even if a shutdown begins: persisting takes a moment, and the transaction
      // itself refuses to write when the job is no longer this instance's.
      await record('persist');
      const outcome = await this.persist(job, snapshot, result);
      const seconds = (performance.now() - startedAt) / 1000;
      this.metrics.duration.observe({ trigger: job.trigger, outcome: 'succeeded' }, seconds);
      this.metrics.jobs.inc({ trigger: job.trigger, outcome: 'succeeded' });
      this.metrics.endpointsClustered.inc(result.endpoints.length);
      this.metrics.lastEndpoints.set(result.endpoints.length);
      this.metrics.lastClusters.set(result.clusters.length);
      this.metrics.lastNoiseRate.set(result.noiseRate);
      this.events.jobChanged(job.tenantId, toClusteringJobDto(outcome.job));
      this.events.clustersUpdated({
        tenantId: job.tenantId,
        reason: 'full_run',
        jobId: job.id,
        clusters: result.clusters.length,
        at: new Date().toISOString(),
      });
      log.info(
        {
          endpoints: result.endpoints.length,
          clusters: result.clusters.length,
          noiseRate: result.noiseRate,
          minClusterSize: result.minClusterSize,
          method: result.method,
          retired: outcome.retired,
          sgtsCreated: outcome.sgtsCreated,
          membershipsChanged: outcome.membershipsChanged,
          modelVersion: outcome.modelVersion,
          durationMs: Math.round(seconds * 1000),
        },
        'clustering job succeeded',
      );
    } catch (err) {
      await this.fail(job, err, (performance.now() - startedAt) / 1000, log);
    } finally {
      clearInterval(heartbeat);
      await writes;
      enter(null);
      this.metrics.running.dec();
    }
  }

  private async fail(job: ClusteringJobRow, err: unknown, seconds: number, log: Logger): Promise<void> {
    const message = failureMessage(err);
    let failed: ClusteringJobRow | null = null;
    if (!(err instanceof JobLost)) {
      try {
        failed = await this.db.withTenant(job.tenantId, (m) => new ClusteringJobRepository(m).markFailed(job.id, this.options.instanceId, message));
      } catch (markErr) {
        // The recovery of stale jobs fails it later, once its heartbeat is old enough.
        log.error({ err: (markErr as Error).message }, 'cannot record the failure of the clustering job');
      }
    }
    const outcome = failed ? 'failed' : 'lost';
    this.metrics.duration.observe({ trigger: job.trigger, outcome }, seconds);
    this.metrics.jobs.inc({ trigger: job.trigger, outcome });
    if (failed) this.events.jobChanged(job.tenantId, toClusteringJobDto(failed));
    log.error({ err: message, outcome }, 'clustering job failed');
  }

  /** Everything the run needs, read in one transaction. */
  private load(tenantId: string): Promise<Snapshot> {
    return this.db.withTenant(tenantId, async (m) => {
      const runs = new ClusteringRunRepository(m);
      const snapshotAt = await runs.snapshotTime();
      const classifier = await tenantClassifierOf(m);
      // Only the tenant's internal hosts are clustered and counted (issue 13, item 4).
      const profiles = (await runs.loadProfiles()).filter((p) => isInternalEndpoint(classifier, p.endpointKey, p.address));
      const identities = await runs.loadIdentities();
      const current = await runs.loadCurrentClusters();
      const reservedIds = await runs.listClusterIds();
      const identityByKey = new Map(identities.map((i) => [i.endpointKey, i]));
      let total = 0;
      for (const p of profiles) total += p.profile.length;
      const profileBytes = new ArrayBuffer(total);
      const bytes = new Uint8Array(profileBytes);
      const offsets = new Uint32Array(profiles.length + 1);
      profiles.forEach((p, i) => {
        bytes.set(p.profile, offsets[i]);
        offsets[i + 1] = offsets[i] + p.profile.length;
      });
      const useIdentity = identities.length > 0;
      return {
        snapshotAt,
        useIdentity,
        input: {
          endpoints: profiles.map((p) => p.endpointKey),
          profileBytes,
          offsets,
          // An identity imported by IP address applies to the MAC-keyed endpoint last seen with that address.
          identities: useIdentity
            ? profiles.map((p) => identityOf(identityByKey.get(p.endpointKey) ?? (p.address !== null ? identityByKey.get(`ip:${p.address}`) : undefined)))
            : profiles.map(() => null),
          previous: current.map((c) => ({ id: c.id, members: c.members })),
          reservedIds,
          options: { minClusterSize: this.options.minClusterSize, minSamples: this.options.minSamples, useIdentity },
        },
      };
    });
  }

  /** Writes the run's result and marks the job succeeded, in one transaction. */
  private persist(
    job: ClusteringJobRow,
    snapshot: Snapshot,
    result: ClusteringWorkerResult,
  ): Promise<{ job: ClusteringJobRow; retired: number; sgtsCreated: number; membershipsChanged: number; modelVersion: number }> {
    const worker = this.options.instanceId;
    return this.db.withTenant(job.tenantId, async (m) => {
      const jobs = new ClusteringJobRepository(m);
      const runs = new ClusteringRunRepository(m);
      if (!(await jobs.lockOwned(job.id, worker))) throw new JobLost('the job was failed by the recovery of stale jobs while it ran');
      await runs.upsertClusters(
        job.tenantId,
        job.id,
        result.clusters.map((c) => ({
          id: c.id,
          label: c.label.label,
          explanation: c.label.explanation,
          size: c.size,
          quality: finite(c.quality),
          stability: finite(c.stability),
          summary: c.summary,
        })),
      );
      const retired = await runs.retireClustersExcept(result.clusters.map((c) => c.id));
      await runs.unbindSgts(retired);
      const existing: SgtBinding[] = await runs.listSgts();
      const plan = planSgts(
        result.clusters.filter((c) => c.previousId === null),
        existing,
      );
      const created = await runs.insertSgts(job.tenantId, plan.inserts);
      const missing = [...plan.unallocated, ...plan.inserts.filter((s) => !created.some((c) => c.clusterId === s.clusterId)).map((s) => s.clusterId)];
      if (missing.length > 0) this.logger.warn({ jobId: job.id, tenantId: job.tenantId, clusters: missing }, 'no SGT could be allocated for new clusters');
      const membershipsChanged = await runs.writeMemberships(job.tenantId, job.id, {
        endpoints: result.endpoints,
        clusterIds: result.clusterIds,
        probabilities: Array.from(result.probabilities, finite),
        confidences: Array.from(result.confidences, finite),
        bands: result.bands,
      });
      const cleared = await runs.clearRetiredMemberships(job.tenantId, job.id, retired);
      const modelVersion = await runs.upsertModel(job.tenantId, job.id, {
        state: result.model,
        endpoints: result.endpoints.length,
        useIdentity: snapshot.useIdentity,
        snapshotAt: snapshot.snapshotAt,
      });
      const done = await jobs.markSucceeded(job.id, worker, {
        endpoints: result.endpoints.length,
        clusters: result.clusters.length,
        noiseRate: finite(result.noiseRate),
      });
      if (done === null) throw new JobLost('the job was failed by the recovery of stale jobs while it ran');
      return { job: done, retired: retired.length, sgtsCreated: created.length, membershipsChanged: membershipsChanged + cleared, modelVersion };
    });
  }
}
