import { type Database, TenantRepository } from '@clarion/persistence';
import { ClusteringJobRepository, type ClusteringJobTriggerName, type ClusteringTriggerFacts } from '../data';
import type { Logger } from 'pino';
import type { ClusteringJobEvents } from './clustering-job-events.publisher';
import { toClusteringJobDto } from './clustering-job.mapper';
import type { ClusteringJobMetrics } from './clustering-job.metrics';

export interface ClusteringTriggerOptions {
  minEndpoints: number;
  newEndpointShare: number;
  /** 0 = no scheduled runs. */
  scheduleIntervalS: number;
}

export interface ClusteringJobSchedulerOptions extends ClusteringTriggerOptions {
  checkMs: number;
  staleAfterS: number;
}

/**
 * Which automatic run is due for a tenant, if any: none while a job is queued or running; `initial` once enough
 * endpoints exist and no model does; `threshold` when the endpoints first seen since the model's run exceed the
 * configured share of those it clustered; `schedule` when the last successful run is older than the interval.
 */
export function dueTrigger(facts: ClusteringTriggerFacts, options: ClusteringTriggerOptions, nowMs: number): ClusteringJobTriggerName | null {
  if (facts.active) return null;
  if (facts.model === null) return facts.profiles >= options.minEndpoints ? 'initial' : null;
  if (facts.newProfiles > options.newEndpointShare * facts.model.endpoints) return 'threshold';
  if (options.scheduleIntervalS > 0) {
    const last = facts.lastSucceededAt ?? facts.model.createdAt;
    if (nowMs - last.getTime() > options.scheduleIntervalS * 1000) return 'schedule';
  }
  return null;
}

export interface SchedulerPass {
  queued: Array<{ tenantId: string; jobId: string; trigger: ClusteringJobTriggerName }>;
  recovered: Array<{ tenantId: string; jobId: string }>;
}

/**
 * Runs on every instance: for each tenant, fails running jobs whose instance stopped heartbeating, then queues the
 * automatic run that is due. Concurrent instances are safe: the queue admits one active job per tenant, and an
 * instance that finds one queued already simply moves on.
 */
export class ClusteringJobScheduler {
  private timer?: NodeJS.Timeout;
  private checking?: Promise<SchedulerPass>;
  private lastError?: string;

  constructor(
    private readonly db: Database,
    private readonly runner: { wake(): void },
    private readonly events: ClusteringJobEvents,
    private readonly metrics: ClusteringJobMetrics,
    private readonly logger: Logger,
    private readonly options: ClusteringJobSchedulerOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.options.checkMs);
    this.timer.unref();
    void this.check();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
  }

  /** One pass over every tenant. */
  check(): Promise<SchedulerPass> {
    this.checking ??= this.pass().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async pass(): Promise<SchedulerPass> {
    const outcome: SchedulerPass = { queued: [], recovered: [] };
    try {
      const tenants = await this.db.withoutTenant((m) => new TenantRepository(m).listIds());
      for (const tenantId of tenants) await this.checkTenant(tenantId, outcome);
      this.lastError = undefined;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastError) this.logger.warn({ err: message }, 'cannot check tenants for due clustering jobs');
      this.lastError = message;
    }
    if (outcome.queued.length > 0) this.runner.wake();
    return outcome;
  }

  private async checkTenant(tenantId: string, outcome: SchedulerPass): Promise<void> {
    const { stale, queued } = await this.db.withTenant(tenantId, async (m) => {
      const jobs = new ClusteringJobRepository(m);
      const staleJobs = await jobs.failStale(this.options.staleAfterS);
      const facts = await jobs.triggerFacts();
      const trigger = dueTrigger(facts, this.options, Date.now());
      return { stale: staleJobs, queued: trigger === null ? null : await jobs.insertQueued(tenantId, trigger, null) };
    });
    for (const job of stale) {
      this.metrics.jobs.inc({ trigger: job.trigger, outcome: 'stale' });
      this.events.jobChanged(tenantId, toClusteringJobDto(job));
      this.logger.warn({ jobId: job.id, tenantId, worker: job.worker, heartbeatAt: job.heartbeatAt }, 'clustering job of an unresponsive instance failed');
      outcome.recovered.push({ tenantId, jobId: job.id });
    }
    if (queued) {
      this.metrics.queued.inc({ trigger: queued.trigger });
      this.events.jobChanged(tenantId, toClusteringJobDto(queued));
      this.logger.info({ jobId: queued.id, tenantId, trigger: queued.trigger }, 'clustering job queued');
      outcome.queued.push({ tenantId, jobId: queued.id, trigger: queued.trigger });
    }
  }
}
