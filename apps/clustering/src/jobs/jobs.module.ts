import { Injectable, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@clarion/platform';
import type { ClusteringEnv } from '../clustering.env';
import { ClusteringJobEvents } from './clustering-job-events.publisher';
import { ClusteringJobMetrics } from './clustering-job.metrics';
import { ClusteringJobRunner } from './clustering-job.runner';
import { ClusteringJobScheduler } from './clustering-job.scheduler';
import { ClusteringJobsController } from './clustering-jobs.controller';
import { ClusteringJobsService } from './clustering-jobs.service';
import { distWorkerFactory } from './worker/clustering-worker.host';

type Runtime = ServiceRuntime<ClusteringEnv>;

/** Starts the runner and the trigger scheduler with the service, and stops them (failing running jobs) before it exits. */
@Injectable()
export class ClusteringJobsLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private started = false;

  constructor(
    private readonly runner: ClusteringJobRunner,
    private readonly scheduler: ClusteringJobScheduler,
  ) {}

  onApplicationBootstrap(): void {
    // NestMicroservice.init() runs the bootstrap hooks twice.
    if (this.started) return;
    this.started = true;
    this.runner.start();
    this.scheduler.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.scheduler.stop();
    await this.runner.stop();
  }
}

/** Full re-clustering jobs: the jobs RPC, the runner (claims jobs, worker thread, persistence) and the triggers. */
@Module({
  controllers: [ClusteringJobsController],
  providers: [
    {
      provide: ClusteringJobMetrics,
      inject: [SERVICE_RUNTIME],
      useFactory: (runtime: Runtime) => new ClusteringJobMetrics(runtime.metrics.registry),
    },
    {
      provide: ClusteringJobEvents,
      inject: [SERVICE_RUNTIME],
      useFactory: (runtime: Runtime) => new ClusteringJobEvents(runtime.nats, runtime.logger.child({ component: 'clustering-jobs' })),
    },
    {
      provide: ClusteringJobRunner,
      inject: [SERVICE_RUNTIME, ClusteringJobEvents, ClusteringJobMetrics],
      useFactory: (runtime: Runtime, events: ClusteringJobEvents, metrics: ClusteringJobMetrics) =>
        new ClusteringJobRunner(runtime.database, events, metrics, runtime.logger.child({ component: 'clustering-jobs' }), {
          instanceId: runtime.instanceId,
          concurrency: runtime.env.CLUSTERING_JOB_CONCURRENCY,
          pollMs: runtime.env.CLUSTERING_JOB_POLL_MS,
          heartbeatMs: runtime.env.CLUSTERING_JOB_HEARTBEAT_MS,
          maxDurationMs: runtime.env.CLUSTERING_JOB_MAX_DURATION_S * 1000,
          minClusterSize: runtime.env.CLUSTERING_MIN_CLUSTER_SIZE,
          minSamples: runtime.env.CLUSTERING_MIN_SAMPLES,
          workerFactory: distWorkerFactory,
        }),
    },
    {
      provide: ClusteringJobScheduler,
      inject: [SERVICE_RUNTIME, ClusteringJobRunner, ClusteringJobEvents, ClusteringJobMetrics],
      useFactory: (runtime: Runtime, runner: ClusteringJobRunner, events: ClusteringJobEvents, metrics: ClusteringJobMetrics) =>
        new ClusteringJobScheduler(runtime.database, runner, events, metrics, runtime.logger.child({ component: 'clustering-jobs' }), {
          checkMs: runtime.env.CLUSTERING_TRIGGER_CHECK_MS,
          staleAfterS: runtime.env.CLUSTERING_JOB_STALE_AFTER_S,
          minEndpoints: runtime.env.CLUSTERING_MIN_ENDPOINTS,
          newEndpointShare: runtime.env.CLUSTERING_NEW_ENDPOINT_SHARE,
          scheduleIntervalS: runtime.env.CLUSTERING_SCHEDULE_INTERVAL_S,
        }),
    },
    {
      provide: ClusteringJobsService,
      inject: [SERVICE_RUNTIME, ClusteringJobRunner, ClusteringJobEvents, ClusteringJobMetrics],
      useFactory: (runtime: Runtime, runner: ClusteringJobRunner, events: ClusteringJobEvents, metrics: ClusteringJobMetrics) =>
        new ClusteringJobsService(runtime.database, runner, events, metrics),
    },
    ClusteringJobsLifecycle,
  ],
})
export class JobsModule {}
