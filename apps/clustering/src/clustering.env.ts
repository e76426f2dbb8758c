import { DatabaseRole, EnvVar, JetStreamServiceEnv, ToInt, ToNumber } from '@clarion/config';
import { IsInt, IsNumber, IsOptional, Max, Min, ValidateBy } from 'class-validator';

/** Configuration of the clustering service (endpoint profiles, clusters, SGTs and policy). */
@DatabaseRole('clarion_clustering')
export class ClusteringEnv extends JetStreamServiceEnv {
  override OPS_PORT = 9403;

  // ---- flow-batch consumer and profiles (apps/clustering/src/profiles)

  @EnvVar({ type: 'integer (ms)', description: 'How long JetStream waits for the ack of a delivered flow batch before it redelivers it (to any instance).' })
  @ToInt()
  @IsInt()
  @Min(1000)
  CLUSTERING_CONSUMER_ACK_WAIT_MS = 60_000;

  @EnvVar({ type: 'integer', description: 'Deliveries of one flow batch before JetStream gives up on it (a batch that keeps failing is then dropped).' })
  @ToInt()
  @IsInt()
  @Min(1)
  CLUSTERING_CONSUMER_MAX_DELIVER = 10;

  @EnvVar({ type: 'integer', description: 'Flow batches delivered and not yet acknowledged, across all clustering instances sharing the consumer.' })
  @ToInt()
  @IsInt()
  @Min(1)
  CLUSTERING_CONSUMER_MAX_ACK_PENDING = 256;

  @EnvVar({ type: 'integer (1-64)', description: 'Flow batches one instance processes at the same time (each holds a database connection while it runs).' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(64)
  CLUSTERING_CONSUMER_CONCURRENCY = 2;

  @EnvVar({ type: 'integer (ms)', description: 'Delay before a flow batch that failed on a database error is redelivered.' })
  @ToInt()
  @IsInt()
  @Min(0)
  CLUSTERING_CONSUMER_RETRY_DELAY_MS = 5_000;

  @EnvVar({ type: 'integer (ms)', description: 'How often the consumer backlog (clarion_clustering_flow_consumer_pending) is read from JetStream.' })
  @ToInt()
  @IsInt()
  @Min(1000)
  CLUSTERING_CONSUMER_PENDING_REFRESH_MS = 15_000;

  @EnvVar({ type: 'integer', description: 'Endpoint profiles kept decoded in memory for incremental assignment (least recently used go first).' })
  @ToInt()
  @IsInt()
  @Min(0)
  CLUSTERING_PROFILE_CACHE_MAX = 100_000;

  @EnvVar({ type: 'integer', description: 'Distinct internal addresses a MAC may show in one flow batch before it is recorded as a router interface instead of a host\'s identity.' })
  @ToInt()
  @IsInt()
  @Min(1)
  CLUSTERING_ROUTER_MAC_ADDRESSES = 4;

  @EnvVar({ type: 'integer (ms)', description: 'How long a tenant\'s address classification (address spaces, subnets) and router MACs are reused before they are read again: an inventory change reaches profiles within this time.' })
  @ToInt()
  @IsInt()
  @Min(0)
  CLUSTERING_INVENTORY_CACHE_TTL_MS = 30_000;

  @EnvVar({ type: 'integer (ms)', description: 'Least interval between two clusters-updated events of one tenant caused by incremental assignment.' })
  @ToInt()
  @IsInt()
  @Min(100)
  CLUSTERING_ASSIGNMENT_EVENT_INTERVAL_MS = 5_000;

  @EnvVar({
    type: 'integer (seconds)',
    description: 'How long the ledger of consumed flow batches remembers a batch (redeliveries are recognised within it). Unset: twice JETSTREAM_DUPLICATE_WINDOW_S.',
  })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(60)
  CLUSTERING_LEDGER_RETENTION_S?: number;

  @EnvVar({ type: 'integer (ms)', description: 'How often ledger rows older than the retention are deleted.' })
  @ToInt()
  @IsInt()
  @Min(1000)
  CLUSTERING_LEDGER_PRUNE_INTERVAL_MS = 600_000;

  // ---- full re-clustering jobs (apps/clustering/src/jobs)

  @EnvVar({ type: 'integer', description: 'Endpoint profiles a tenant needs before its first clustering job is queued on its own (trigger `initial`).' })
  @ToInt()
  @IsInt()
  @Min(2)
  CLUSTERING_MIN_ENDPOINTS = 50;

  @EnvVar({
    type: 'number (> 0)',
    description: 'A job is queued (trigger `threshold`) when the endpoints first seen since the last run exceed this share of the endpoints that run clustered.',
  })
  @ToNumber()
  @IsNumber()
  @Min(0.001)
  @Max(100)
  CLUSTERING_NEW_ENDPOINT_SHARE = 0.1;

  @EnvVar({ type: 'integer (seconds)', description: 'A job is queued (trigger `schedule`) when the last successful run finished longer ago than this; 0 turns the schedule off.' })
  @ToInt()
  @IsInt()
  @Min(0)
  CLUSTERING_SCHEDULE_INTERVAL_S = 6 * 3600;

  @EnvVar({ type: 'integer (ms)', description: 'How often each instance checks every tenant for a due job (initial, threshold, schedule) and for jobs of crashed instances.' })
  @ToInt()
  @IsInt()
  @Min(1000)
  CLUSTERING_TRIGGER_CHECK_MS = 60_000;

  @EnvVar({ type: 'integer (ms)', description: 'How often an instance with a free job slot looks through the tenants for a queued job (a job queued by the instance itself starts at once).' })
  @ToInt()
  @IsInt()
  @Min(100)
  CLUSTERING_JOB_POLL_MS = 5_000;

  @EnvVar({ type: 'integer (1-8)', description: 'Jobs one instance runs at the same time, each in its own worker thread (a run of 50k endpoints takes a CPU core for seconds).' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(8)
  CLUSTERING_JOB_CONCURRENCY = 1;

  @EnvVar({ type: 'integer (ms)', description: 'How often a running job records that its instance is alive.' })
  @ToInt()
  @IsInt()
  @Min(100)
  CLUSTERING_JOB_HEARTBEAT_MS = 5_000;

  @EnvVar({
    type: 'integer (seconds)',
    description: 'A running job whose heartbeat is older than this is failed (its instance is presumed dead) so a new one can be queued; at least three heartbeats.',
  })
  @ToInt()
  @IsInt()
  @Min(1)
  @ValidateBy({
    name: 'exceedsThreeHeartbeats',
    validator: {
      validate: (value: unknown, args) =>
        typeof value === 'number' && value * 1000 >= 3 * Number((args?.object as { CLUSTERING_JOB_HEARTBEAT_MS?: number }).CLUSTERING_JOB_HEARTBEAT_MS ?? 5_000),
      defaultMessage: () => 'must be at least three CLUSTERING_JOB_HEARTBEAT_MS intervals',
    },
  })
  CLUSTERING_JOB_STALE_AFTER_S = 60;

  @EnvVar({ type: 'integer (seconds)', description: 'A job still computing after this long is stopped and failed (its worker thread is terminated).' })
  @ToInt()
  @IsInt()
  @Min(10)
  CLUSTERING_JOB_MAX_DURATION_S = 1800;

  @EnvVar({ type: 'integer', description: 'HDBSCAN minimum cluster size; 0 = automatic (the larger of 15 and 0.3 % of the endpoints).' })
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(100_000)
  @ValidateBy({
    name: 'isAutoOrClusterSize',
    validator: { validate: (value: unknown) => value === 0 || (typeof value === 'number' && value >= 2), defaultMessage: () => 'must be 0 (automatic) or at least 2' },
  })
  CLUSTERING_MIN_CLUSTER_SIZE = 0;

  @EnvVar({ type: 'integer', description: 'HDBSCAN min samples: neighbours that smooth the density estimate (larger = more conservative, more noise).' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  CLUSTERING_MIN_SAMPLES = 10;


  // ---- gateway-facing queries (apps/clustering/src/query)

  @EnvVar({
    type: 'integer',
    description: 'Impact analysis: a blocked service with at least this many observed flows counts as in regular use (SSH/HTTP/SMB/RDP become high risk, others medium).',
  })
  @ToInt()
  @IsInt()
  @Min(1)
  CLUSTERING_IMPACT_FREQUENT_FLOWS = 100;

  @EnvVar({ type: 'integer (1-20000)', description: 'Records one identity import may hold; larger imports are refused (PAYLOAD_TOO_LARGE).' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(20_000)
  CLUSTERING_IDENTITY_IMPORT_MAX_RECORDS = 20_000;
}
