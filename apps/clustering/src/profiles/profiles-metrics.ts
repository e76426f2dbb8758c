import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const ASSIGNMENT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Metrics of the flow-batch consumer, the profile merge and incremental assignment (prefix clarion_clustering_),
 * registered on the service's registry so /metrics serves them with the platform's.
 */
export class ProfilesMetrics {
  readonly batches: Counter;
  readonly flows: Counter;
  readonly duplicates: Counter;
  readonly externalSides: Counter;
  readonly routerMacs: Counter<'reason'>;
  readonly routerEndpointsRemoved: Counter;
  readonly decodeFailures: Counter;
  readonly unauthenticated: Counter<'reason'>;
  readonly processingErrors: Counter<'reason'>;
  readonly assignments: Counter<'outcome'>;
  readonly assignmentSeconds: Histogram;
  readonly consumerPending: Gauge;
  readonly profilesCached: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.batches = new Counter({
      name: 'clarion_clustering_flow_batches_consumed_total',
      help: 'Flow-batch messages merged into endpoint profiles and edges (redeliveries excluded).',
      registers,
    });
    this.flows = new Counter({
      name: 'clarion_clustering_flows_consumed_total',
      help: 'Flows merged into endpoint profiles and edges.',
      registers,
    });
    this.externalSides = new Counter({
      name: 'clarion_clustering_external_sides_skipped_total',
      help: 'Flow sides whose address is outside the tenant\'s internal space: peers of the internal side, never endpoints.',
      registers,
    });
    this.routerMacs = new Counter({
      name: 'clarion_clustering_router_macs_recorded_total',
      help: 'MACs recorded as router interfaces (never an identity), by reason (external: in front of external addresses; addresses: too many internal addresses).',
      labelNames: ['reason'],
      registers,
    });
    this.routerEndpointsRemoved = new Counter({
      name: 'clarion_clustering_router_mac_endpoints_removed_total',
      help: 'Endpoints stored under a MAC before it was recorded as a router interface, removed with their membership and edges.',
      registers,
    });
    this.duplicates = new Counter({
      name: 'clarion_clustering_flow_batches_duplicate_total',
      help: 'Flow-batch messages already in the ledger (a redelivery): acknowledged without changing anything.',
      registers,
    });
    this.decodeFailures = new Counter({
      name: 'clarion_clustering_flow_batches_undecodable_total',
      help: 'Flow-batch messages that could not be decoded: terminated, never redelivered.',
      registers,
    });
    this.unauthenticated = new Counter({
      name: 'clarion_clustering_flow_batches_refused_total',
      help: 'Flow-batch messages whose signature is missing, forged or not ingest\'s, by reason: terminated, never processed.',
      labelNames: ['reason'],
      registers,
    });
    this.processingErrors = new Counter({
      name: 'clarion_clustering_flow_batch_errors_total',
      help: 'Flow-batch messages that failed, by reason (database: redelivered after a delay; unknown_tenant: terminated).',
      labelNames: ['reason'],
      registers,
    });
    this.assignments = new Counter({
      name: 'clarion_clustering_assignments_total',
      help: 'Endpoints placed by incremental assignment, by outcome (assigned, unassigned, error).',
      labelNames: ['outcome'],
      registers,
    });
    this.assignmentSeconds = new Histogram({
      name: 'clarion_clustering_assignment_duration_seconds',
      help: 'Incremental assignment of the endpoints changed by one batch, storage included.',
      buckets: ASSIGNMENT_BUCKETS,
      registers,
    });
    this.consumerPending = new Gauge({
      name: 'clarion_clustering_flow_consumer_pending',
      help: 'Flow-batch messages in the stream not yet delivered to the clustering consumer (its backlog).',
      registers,
    });
    this.profilesCached = new Gauge({
      name: 'clarion_clustering_profiles_cached',
      help: 'Decoded endpoint profiles held in memory by this instance.',
      registers,
    });
  }
}
