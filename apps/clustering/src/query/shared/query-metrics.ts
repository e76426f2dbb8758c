import { Counter, type Registry } from 'prom-client';

/** Metrics of the gateway-facing queries beyond the per-subject RPC latency every service records. */
export class QueryMetrics {
  readonly identityRecords: Counter<'outcome'>;
  readonly clustersUpdatedEvents: Counter<'reason' | 'outcome'>;
  readonly corruptProfiles: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.identityRecords = new Counter({
      name: 'clarion_clustering_identity_import_records_total',
      help: 'Identity records received by imports, by outcome (imported or rejected).',
      labelNames: ['outcome'],
      registers,
    });
    this.clustersUpdatedEvents = new Counter({
      name: 'clarion_clustering_query_events_total',
      help: 'clusters-updated events after SGT, membership and identity changes, by reason and outcome (published or dropped while NATS is unavailable).',
      labelNames: ['reason', 'outcome'],
      registers,
    });
    this.corruptProfiles = new Counter({
      name: 'clarion_clustering_query_corrupt_profiles_total',
      help: 'Stored endpoint profiles that could not be decoded for an API response (shown with an empty summary).',
      registers,
    });
  }
}
