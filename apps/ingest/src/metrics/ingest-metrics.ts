import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const SECONDS_BUCKETS = [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60];
const ROWS_BUCKETS = [1, 10, 100, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000];

/**
 * The ingest service's Prometheus metrics (prefix clarion_ingest_), registered on the service's ServiceMetrics
 * registry so /metrics serves them with the platform's. Exporter labels are bounded by INGEST_MAX_EXPORTERS.
 */
export class IngestMetrics {
  readonly packets: Counter<'version' | 'exporter'>;
  readonly records: Counter<'version' | 'exporter'>;
  readonly decodeErrors: Counter<'reason'>;
  readonly packetsRefused: Counter<'reason'>;
  readonly packetsHeld: Counter;
  readonly tenantLookups: Counter<'kind' | 'outcome'>;
  readonly templateMisses: Counter;
  readonly heldRecordsReleased: Counter;
  readonly heldSets: Gauge;
  readonly heldBytes: Gauge;
  readonly heldSetsDropped: Counter<'reason'>;
  readonly lostRecords: Counter<'exporter'>;
  readonly lostRecordsRecovered: Counter<'exporter'>;
  readonly templates: Gauge;
  readonly exporters: Gauge;
  readonly queueRows: Gauge;
  readonly queueBatches: Gauge;
  readonly spoolBytes: Gauge;
  readonly spoolBatches: Gauge;
  readonly spooledBatches: Counter<'cause'>;
  readonly replayedBatches: Counter<'outcome'>;
  readonly recordsDropped: Counter<'reason'>;
  readonly spoolDamage: Counter;
  readonly batchRows: Histogram;
  readonly batchCommitSeconds: Histogram;
  readonly commitDelaySeconds: Histogram;
  readonly batches: Counter<'outcome'>;
  readonly rowsCommitted: Counter;
  readonly rowsPerSecond: Gauge;
  readonly databaseUp: Gauge;
  readonly eventsPublished: Counter;
  readonly eventsDropped: Counter<'reason'>;
  readonly eventsPendingBytes: Gauge;
  readonly udpSocketDrops: Gauge<'port'>;
  readonly datagramsDropped: Counter<'reason'>;
  readonly sflowLostDatagrams: Counter<'exporter'>;
  readonly sflowLostDatagramsRecovered: Counter<'exporter'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.packets = new Counter({
      name: 'clarion_ingest_packets_total',
      help: 'Export packets received from known exporters, by version (5, 9, 10 = IPFIX, sflow, unknown) and exporter (sFlow: the agent address).',
      labelNames: ['version', 'exporter'],
      registers,
    });
    this.records = new Counter({
      name: 'clarion_ingest_records_total',
      help: 'Flow records decoded (sFlow: flow samples), by version and exporter.',
      labelNames: ['version', 'exporter'],
      registers,
    });
    this.decodeErrors = new Counter({
      name: 'clarion_ingest_decode_errors_total',
      help: 'Rejections by the decoder, by reason (DecodeErrorReason).',
      labelNames: ['reason'],
      registers,
    });
    this.packetsRefused = new Counter({
      name: 'clarion_ingest_packets_refused_total',
      help:
        'Packets not decoded because their exporter has no tenant (no_tenant), its tenant does not exist (tenant_unresolved, also when ' +
        'the wait for a lookup overflows), the exporter is disabled (exporter_disabled) or its tenant suspended (tenant_suspended).',
      labelNames: ['reason'],
      registers,
    });
    this.packetsHeld = new Counter({
      name: 'clarion_ingest_packets_held_total',
      help: 'Packets that waited for the first-sight lookup of their exporter or tenant before being routed.',
      registers,
    });
    this.tenantLookups = new Counter({
      name: 'clarion_ingest_tenant_lookups_total',
      help: 'First-sight lookups of an exporter registration (kind=address) or tenant (kind=slug): found, absent, failed, or limited (over the rate, not asked).',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.templateMisses = new Counter({
      name: 'clarion_ingest_template_misses_total',
      help: 'Data sets that arrived before their template and were held.',
      registers,
    });
    this.heldRecordsReleased = new Counter({
      name: 'clarion_ingest_held_records_released_total',
      help: 'Records decoded from held data once their template arrived.',
      registers,
    });
    this.heldSets = new Gauge({ name: 'clarion_ingest_held_sets', help: 'Data sets waiting for their template now.', registers });
    this.heldBytes = new Gauge({ name: 'clarion_ingest_held_bytes', help: 'Bytes of data sets waiting for their template now.', registers });
    this.heldSetsDropped = new Counter({
      name: 'clarion_ingest_held_sets_dropped_total',
      help: 'Held data sets dropped without being decoded, by reason (EXPIRED, EXPORTER_CAP, GLOBAL_CAP, EXPORTER_FORGOTTEN).',
      labelNames: ['reason'],
      registers,
    });
    this.lostRecords = new Counter({
      name: 'clarion_ingest_lost_records_total',
      help: 'Records lost between exporter and collector according to sequence numbers, by exporter.',
      labelNames: ['exporter'],
      registers,
    });
    this.lostRecordsRecovered = new Counter({
      name: 'clarion_ingest_lost_records_recovered_total',
      help: 'Records first counted lost that arrived late (subtract from clarion_ingest_lost_records_total).',
      labelNames: ['exporter'],
      registers,
    });
    this.templates = new Gauge({ name: 'clarion_ingest_templates', help: 'Templates known to the decoder.', registers });
    this.exporters = new Gauge({ name: 'clarion_ingest_exporters', help: 'Exporters the decoder keeps state for.', registers });
    this.queueRows = new Gauge({ name: 'clarion_ingest_queue_rows', help: 'Flows in closed batches waiting in memory for PostgreSQL.', registers });
    this.queueBatches = new Gauge({ name: 'clarion_ingest_queue_batches', help: 'Closed batches waiting in memory for PostgreSQL.', registers });
    this.spoolBytes = new Gauge({ name: 'clarion_ingest_spool_bytes', help: 'Bytes of batches in the disk spool.', registers });
    this.spoolBatches = new Gauge({ name: 'clarion_ingest_spool_batches', help: 'Batches in the disk spool waiting for replay.', registers });
    this.spooledBatches = new Counter({
      name: 'clarion_ingest_spooled_batches_total',
      help: 'Batches written to the disk spool, by cause (database_unavailable, shutdown).',
      labelNames: ['cause'],
      registers,
    });
    this.replayedBatches = new Counter({
      name: 'clarion_ingest_spool_replayed_batches_total',
      help: 'Spooled batches replayed into PostgreSQL, by outcome (committed, duplicate).',
      labelNames: ['outcome'],
      registers,
    });
    this.recordsDropped = new Counter({
      name: 'clarion_ingest_records_dropped_total',
      help: 'Decoded records that will never be stored, by reason (spool_full, spool_unwritable, rejected_by_database).',
      labelNames: ['reason'],
      registers,
    });
    this.spoolDamage = new Counter({
      name: 'clarion_ingest_spool_damage_total',
      help: 'Damaged spool data skipped (a torn tail cut off at start, a frame failing its checksum and the rest of its segment).',
      registers,
    });
    this.batchRows = new Histogram({ name: 'clarion_ingest_batch_rows', help: 'Flows per committed batch.', buckets: ROWS_BUCKETS, registers });
    this.batchCommitSeconds = new Histogram({
      name: 'clarion_ingest_batch_commit_seconds',
      help: 'Duration of one batch transaction (ledger row, COPY, commit).',
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.commitDelaySeconds = new Histogram({
      name: 'clarion_ingest_commit_delay_seconds',
      help: 'From an export packet received to its flows committed in PostgreSQL (one observation per packet).',
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.batches = new Counter({
      name: 'clarion_ingest_batches_total',
      help: 'Batch transactions, by outcome (committed, duplicate: already committed before a replay, failed).',
      labelNames: ['outcome'],
      registers,
    });
    this.rowsCommitted = new Counter({ name: 'clarion_ingest_rows_committed_total', help: 'Flows committed to PostgreSQL.', registers });
    this.rowsPerSecond = new Gauge({ name: 'clarion_ingest_rows_per_second', help: 'Flows committed per second over the last 10 seconds.', registers });
    this.databaseUp = new Gauge({
      name: 'clarion_ingest_database_up',
      help: '1 while the flow writer reaches PostgreSQL, 0 while it spools to disk.',
      registers,
    });
    this.eventsPublished = new Counter({
      name: 'clarion_ingest_events_published_total',
      help: 'Flow batch event parts acknowledged by JetStream (clarion.flows.batch.v1).',
      registers,
    });
    this.eventsDropped = new Counter({
      name: 'clarion_ingest_events_dropped_total',
      help: 'Flow batch event parts given up on, by reason (buffer_full, shutdown).',
      labelNames: ['reason'],
      registers,
    });
    this.eventsPendingBytes = new Gauge({
      name: 'clarion_ingest_events_pending_bytes',
      help: 'Bytes of flow batch events waiting for JetStream.',
      registers,
    });
    this.datagramsDropped = new Counter({
      name: 'clarion_ingest_datagrams_dropped_total',
      help: 'Datagrams received but dropped before decoding, by reason (receive_queue_full: the main thread fell INGEST_RECEIVE_QUEUE_MAX_BYTES behind).',
      labelNames: ['reason'],
      registers,
    });
    this.sflowLostDatagrams = new Counter({
      name: 'clarion_ingest_sflow_lost_datagrams_total',
      help: 'sFlow datagrams lost between agent and collector according to the datagram sequence numbers, by agent (lost flow samples are in clarion_ingest_lost_records_total).',
      labelNames: ['exporter'],
      registers,
    });
    this.sflowLostDatagramsRecovered = new Counter({
      name: 'clarion_ingest_sflow_lost_datagrams_recovered_total',
      help: 'sFlow datagrams first counted lost that arrived late.',
      labelNames: ['exporter'],
      registers,
    });
    this.udpSocketDrops = new Gauge({
      name: 'clarion_ingest_udp_socket_drops',
      help: 'Datagrams the kernel dropped on a listening socket because its receive buffer was full (from /proc/net/udp*), by port.',
      labelNames: ['port'],
      registers,
    });
  }
}
