import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const DURATION_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800];

/** Stages a run goes through, in order (the gauge has one series per stage). */
export const JOB_STAGES = [
  'load',
  'features',
  'scaling',
  'neighbours',
  'spanning-tree',
  'condensed-tree',
  'selection',
  'identity',
  'model',
  'labels',
  'persist',
] as const;

/**
 * Metrics of the full re-clustering jobs (prefix clarion_clustering_job), registered on the service's registry.
 * Labels are bounded: trigger (4), outcome (succeeded, failed, stale, lost), stage (JOB_STAGES).
 */
export class ClusteringJobMetrics {
  readonly duration: Histogram<'trigger' | 'outcome'>;
  readonly jobs: Counter<'trigger' | 'outcome'>;
  readonly queued: Counter<'trigger'>;
  readonly stage: Gauge<'stage'>;
  readonly running: Gauge;
  readonly endpointsClustered: Counter;
  readonly lastEndpoints: Gauge;
  readonly lastClusters: Gauge;
  readonly lastNoiseRate: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.duration = new Histogram({
      name: 'clarion_clustering_job_duration_seconds',
      help: 'Full re-clustering jobs run by this instance, from claim to outcome, by trigger and outcome.',
      labelNames: ['trigger', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.jobs = new Counter({
      name: 'clarion_clustering_jobs_total',
      help: 'Full re-clustering jobs finished, by trigger and outcome (succeeded, failed; stale: failed by the recovery after its instance died).',
      labelNames: ['trigger', 'outcome'],
      registers,
    });
    this.queued = new Counter({
      name: 'clarion_clustering_jobs_queued_total',
      help: 'Jobs queued by this instance, by trigger (request, initial, threshold, schedule).',
      labelNames: ['trigger'],
      registers,
    });
    this.stage = new Gauge({
      name: 'clarion_clustering_job_stage',
      help: 'Jobs of this instance currently in each stage (load, features, ..., labels, persist).',
      labelNames: ['stage'],
      registers,
    });
    this.running = new Gauge({ name: 'clarion_clustering_jobs_running', help: 'Jobs this instance is running now.', registers });
    this.endpointsClustered = new Counter({
      name: 'clarion_clustering_job_endpoints_total',
      help: 'Endpoints clustered by the successful jobs of this instance.',
      registers,
    });
    this.lastEndpoints = new Gauge({ name: 'clarion_clustering_job_last_endpoints', help: 'Endpoints clustered by the last successful job of this instance.', registers });
    this.lastClusters = new Gauge({ name: 'clarion_clustering_job_last_clusters', help: 'Clusters found by the last successful job of this instance.', registers });
    this.lastNoiseRate = new Gauge({
      name: 'clarion_clustering_job_last_noise_rate',
      help: 'Share of endpoints left in no cluster by the last successful job of this instance (0-1).',
      registers,
    });
    for (const stage of JOB_STAGES) this.stage.set({ stage }, 0);
  }
}
