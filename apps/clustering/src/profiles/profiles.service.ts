import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Consumers, FlowSubjects, Headers, STREAM_PUBLISHERS, Streams } from '@clarion/contracts';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@clarion/platform';
import type { ClusteringEnv } from '../clustering.env';
import { BatchLedgerPruner } from './batch-ledger.pruner';
import { ClustersUpdatedNotifier } from './clusters-updated.notifier';
import { FlowBatchConsumer, MAX_RETRY_DELAY_MS } from './flow-batch.consumer';
import { EndpointScopes } from './endpoint-scopes';
import { FlowBatchProcessor } from './flow-batch.processor';
import { IncrementalAssigner } from './incremental-assigner';
import { ProfileCache } from './profile-cache';
import { ProfilesMetrics } from './profiles-metrics';

/**
 * How long the ledger must remember a consumed batch: the configured retention, else twice the JetStream duplicate
 * window, and never less than the span over which JetStream may still redeliver an unacknowledged message.
 */
export function ledgerRetentionMs(env: ClusteringEnv): number {
  const configured = (env.CLUSTERING_LEDGER_RETENTION_S ?? 2 * env.JETSTREAM_DUPLICATE_WINDOW_S) * 1000;
  const redelivery = env.CLUSTERING_CONSUMER_MAX_DELIVER * (env.CLUSTERING_CONSUMER_ACK_WAIT_MS + MAX_RETRY_DELAY_MS);
  return Math.max(configured, redelivery);
}

/** Wires the flow-batch consumer, the profile merge, incremental assignment and the ledger housekeeping. */
@Injectable()
export class ProfilesService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer?: FlowBatchConsumer;
  private notifier?: ClustersUpdatedNotifier;
  private pruneTimer?: NodeJS.Timeout;
  private started = false;

  constructor(@Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime<ClusteringEnv>) {}

  onApplicationBootstrap(): void {
    // NestMicroservice.init() runs the bootstrap hooks twice (NestApplicationContext.init, then registerModules).
    if (this.started) return;
    this.started = true;
    const { env, logger, database, nats } = this.runtime;
    const metrics = new ProfilesMetrics(this.runtime.metrics.registry);
    const cache = new ProfileCache(env.CLUSTERING_PROFILE_CACHE_MAX);
    this.notifier = new ClustersUpdatedNotifier(nats, env.CLUSTERING_ASSIGNMENT_EVENT_INTERVAL_MS, logger);
    const assigner = new IncrementalAssigner(database, cache, this.notifier, metrics, logger);
    const scopes = new EndpointScopes({ ttlMs: env.CLUSTERING_INVENTORY_CACHE_TTL_MS, macAddressLimit: env.CLUSTERING_ROUTER_MAC_ADDRESSES });
    const processor = new FlowBatchProcessor(database, cache, assigner, metrics, logger, scopes);
    const consumer = new FlowBatchConsumer(
      nats,
      processor,
      {
        stream: Streams.flows.name,
        durableName: Consumers.clusteringFlows,
        filterSubject: FlowSubjects.batch,
        ackWaitMs: env.CLUSTERING_CONSUMER_ACK_WAIT_MS,
        maxDeliver: env.CLUSTERING_CONSUMER_MAX_DELIVER,
        maxAckPending: env.CLUSTERING_CONSUMER_MAX_ACK_PENDING,
        concurrency: env.CLUSTERING_CONSUMER_CONCURRENCY,
        retryDelayMs: env.CLUSTERING_CONSUMER_RETRY_DELAY_MS,
        pendingRefreshMs: env.CLUSTERING_CONSUMER_PENDING_REFRESH_MS,
        authenticate: async (msg) => {
          await this.runtime.callers.verifier.verifyMessage(
            msg.headers?.get(Headers.messageSignature) || undefined,
            msg.subject,
            msg.headers?.get('Nats-Msg-Id') ?? '',
            msg.data,
            STREAM_PUBLISHERS[msg.subject] ?? [],
          );
        },
      },
      metrics,
      logger,
    );
    this.consumer = consumer;
    this.runtime.readiness.register({ name: 'flow-consumer', check: () => consumer.check() });
    consumer.start();

    const pruner = new BatchLedgerPruner(database, ledgerRetentionMs(env), logger);
    let pruning = false;
    this.pruneTimer = setInterval(() => {
      if (pruning) return;
      pruning = true;
      pruner
        .prune()
        .catch((err: unknown) => logger.warn({ err }, 'could not prune the flow-batch ledger'))
        .finally(() => (pruning = false));
    }, env.CLUSTERING_LEDGER_PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    // Leave time after the consumer for the rest of the shutdown (connections, traces) within the grace period.
    await this.consumer?.stop(Date.now() + Math.max(1_000, this.runtime.env.SHUTDOWN_GRACE_MS - 2_000));
    this.notifier?.close();
  }
}
