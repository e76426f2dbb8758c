import { Counter, Gauge, type Registry } from 'prom-client';

/** What the retention service did and what the flow store holds. */
export class RetentionMetrics {
  readonly runs: Counter<'outcome'>;
  readonly partitionsDropped: Counter;
  readonly defaultRowsDeleted: Counter;
  readonly archivedRows: Counter;
  readonly archivedFiles: Counter;
  readonly lastSuccess: Gauge;
  readonly retentionDays: Gauge;
  readonly oldestFlowDay: Gauge;
  readonly flowBytes: Gauge;
  readonly databaseBytes: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.runs = new Counter({
      name: 'clarion_retention_runs_total',
      help: 'Flow retention runs, by outcome (success, failure, skipped while the database is unavailable).',
      labelNames: ['outcome'],
      registers,
    });
    this.partitionsDropped = new Counter({
      name: 'clarion_retention_flow_partitions_dropped_total',
      help: 'Day partitions (or TimescaleDB chunks) of flows dropped because every flow in them was past the retention.',
      registers,
    });
    this.defaultRowsDeleted = new Counter({
      name: 'clarion_retention_flow_default_rows_deleted_total',
      help: 'Flows past the retention deleted from the default partition (flows whose day had no partition of its own).',
      registers,
    });
    this.archivedRows = new Counter({
      name: 'clarion_retention_archived_flows_total',
      help: 'Flows written to RETENTION_ARCHIVE_DIR before retention removed them.',
      registers,
    });
    this.archivedFiles = new Counter({
      name: 'clarion_retention_archive_files_total',
      help: 'Archive files (one per tenant and day) written to RETENTION_ARCHIVE_DIR.',
      registers,
    });
    this.lastSuccess = new Gauge({
      name: 'clarion_retention_last_success_timestamp_seconds',
      help: 'When the last flow retention run succeeded (Unix time; 0 before the first).',
      registers,
    });
    this.retentionDays = new Gauge({ name: 'clarion_retention_flow_retention_days', help: 'FLOW_RETENTION_DAYS: days of flows kept before today.', registers });
    this.oldestFlowDay = new Gauge({
      name: 'clarion_retention_oldest_flow_day_timestamp_seconds',
      help: 'Start (UTC) of the oldest day partition of flows after the last run (Unix time; absent when there is none).',
      registers,
    });
    this.flowBytes = new Gauge({ name: 'clarion_retention_flow_bytes', help: 'On-disk size of the flows table, all partitions and indexes, after the last run.', registers });
    this.databaseBytes = new Gauge({ name: 'clarion_database_size_bytes', help: 'On-disk size of the Clarion database after the last retention run.', registers });
  }
}
