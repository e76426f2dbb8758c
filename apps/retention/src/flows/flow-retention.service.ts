import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Database } from '@clarion/persistence';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@clarion/platform';
import type { Logger } from 'pino';
import type { RetentionEnv } from '../retention.env';
import { firstKeptDay, shiftDay } from './expiry';
import { FlowArchive } from './flow-archive';
import { RetentionMetrics } from './retention-metrics';

/** The day partitions of `flows` (flows_pYYYYMMDD, as clarion_ensure_flow_partition names them) with their day. */
const DAY_PARTITIONS = `
  SELECT to_date(substr(c.relname, 8), 'YYYYMMDD') AS day
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = 'flows'::regclass AND c.relname ~ '^flows_p[0-9]{8}$'`;

/** After a run skipped for want of a database, the next try comes this much later (not a whole interval). */
const SKIPPED_RETRY_MS = 5_000;

export interface FlowRetentionRun {
  /** Flows of this UTC day and later are kept; earlier ones were expired. */
  firstKeptDay: string;
  /** Day partitions (or chunks) dropped, oldest first. */
  partitions: string[];
  /** Rows deleted from the default partition. */
  defaultRows: number;
  /** With RETENTION_ARCHIVE_DIR: the files written before the removal, and the flows in them. */
  archived?: { files: string[]; rows: number };
}

/**
 * Expires flows past FLOW_RETENTION_DAYS, every RETENTION_INTERVAL_S, through `clarion_expire_flows` (whole day
 * partitions dropped, the default partition's old rows deleted; see the FlowRetention migration), and reports the
 * flow store's size. Several instances may run: the database function serialises them and a second run finds
 * nothing left to do. A run while PostgreSQL is away is skipped and counted, and tried again 5 s later.
 */
@Injectable()
export class FlowRetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly env: RetentionEnv;
  private readonly logger: Logger;
  private readonly archive?: FlowArchive;
  private timer?: NodeJS.Timeout;
  private running?: Promise<FlowRetentionRun | undefined>;
  private skipping = false;

  constructor(
    private readonly db: Database,
    private readonly metrics: RetentionMetrics,
    @Inject(SERVICE_RUNTIME) runtime: ServiceRuntime<RetentionEnv>,
  ) {
    this.env = runtime.env;
    this.logger = runtime.logger.child({ component: 'flow-retention' });
    this.metrics.retentionDays.set(this.env.FLOW_RETENTION_DAYS);
    if (this.env.RETENTION_ARCHIVE_DIR) this.archive = new FlowArchive(db, this.env.RETENTION_ARCHIVE_DIR, this.env.RETENTION_STATEMENT_TIMEOUT_S * 1000);
  }

  onApplicationBootstrap(): void {
    // NestMicroservice.init() runs the bootstrap hooks twice.
    if (this.timer) return;
    this.schedule(this.env.RETENTION_FIRST_RUN_DELAY_S * 1000);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One run now (joined if one is under way); undefined when skipped because the database is unavailable. */
  runOnce(nowMs = Date.now()): Promise<FlowRetentionRun | undefined> {
    this.running ??= this.run(nowMs).finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(async () => {
      // A failure is counted and logged by run() and retried at the next interval; a run skipped because PostgreSQL
      // is not (yet) connected, at start or in an outage, is tried again soon.
      const skipped = await this.runOnce().then((run) => run === undefined, () => false);
      if (this.timer) this.schedule(skipped ? SKIPPED_RETRY_MS : this.env.RETENTION_INTERVAL_S * 1000);
    }, delayMs);
    this.timer.unref();
  }

  private async run(nowMs: number): Promise<FlowRetentionRun | undefined> {
    if (!this.db.ready) {
      this.metrics.runs.inc({ outcome: 'skipped' });
      // Once per outage at warn, then quietly every 5 s until the database is back.
      this.logger[this.skipping ? 'debug' : 'warn']('flow retention skipped: the database is not available; trying again every 5 s');
      this.skipping = true;
      return undefined;
    }
    this.skipping = false;
    const keptFrom = firstKeptDay(nowMs, this.env.FLOW_RETENTION_DAYS);
    const started = performance.now();
    try {
      const run = this.archive ? await this.archiveAndExpire(keptFrom, this.archive) : await this.expire(keptFrom);
      await this.measure();
      this.metrics.runs.inc({ outcome: 'success' });
      this.metrics.lastSuccess.set(Math.floor(Date.now() / 1000));
      this.logger.info(
        {
          firstKeptDay: keptFrom,
          droppedPartitions: run.partitions,
          defaultRowsDeleted: run.defaultRows,
          ...(run.archived ? { archivedFiles: run.archived.files.length, archivedRows: run.archived.rows } : {}),
          durationMs: Math.round(performance.now() - started),
        },
        'flow retention run',
      );
      return run;
    } catch (err) {
      this.metrics.runs.inc({ outcome: 'failure' });
      this.logger.error({ err: (err as Error).message, firstKeptDay: keptFrom }, 'flow retention run failed; retrying at the next interval');
      throw err;
    }
  }

  /** Removes every flow before `before` (counted as it goes). */
  private async expire(before: string): Promise<FlowRetentionRun> {
    const rows = (await this.db.withoutTenant((m) =>
      m.transaction(async (tx) => {
        // Detaching a partition locks `flows` against its readers: wait a bounded time for it, then fail and let the
        // next run retry, rather than queue every reader behind the wait. Deleting a large default partition's old
        // rows may take longer than an API statement may.
        await tx.query(`SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)`, [
          String(this.env.RETENTION_LOCK_TIMEOUT_MS),
          String(this.env.RETENTION_STATEMENT_TIMEOUT_S * 1000),
        ]);
        return tx.query(`SELECT partitions, default_rows::text AS default_rows FROM clarion_expire_flows($1::date)`, [before]);
      }),
    )) as Array<{ partitions: string[]; default_rows: string }>;
    const run: FlowRetentionRun = { firstKeptDay: before, partitions: rows[0]?.partitions ?? [], defaultRows: Number(rows[0]?.default_rows ?? 0) };
    this.metrics.partitionsDropped.inc(run.partitions.length);
    this.metrics.defaultRowsDeleted.inc(run.defaultRows);
    return run;
  }

  /**
   * Archives, then removes, one expiring day partition at a time, oldest first (then what is left before `keptFrom`,
   * rows of days that never had a partition): a day is removed only once every tenant's file of it is on disk, so
   * a failure (disk full, an unwritable directory) keeps that day and every later one for the next run.
   */
  private async archiveAndExpire(keptFrom: string, archive: FlowArchive): Promise<FlowRetentionRun> {
    const days = (await this.db.withoutTenant((m) =>
      m.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day FROM (${DAY_PARTITIONS}) p WHERE day < $1::date ORDER BY day`, [keptFrom]),
    )) as Array<{ day: string }>;
    const cuts = [...new Set([...days.map((d) => shiftDay(d.day, 1)), keptFrom])];
    const run: FlowRetentionRun = { firstKeptDay: keptFrom, partitions: [], defaultRows: 0 };
    const archived = { files: [] as string[], rows: 0 };
    let from: string | undefined;
    for (const until of cuts) {
      const written = await archive.archive(shiftDay(until, -1), until, from);
      this.metrics.archivedRows.inc(written.rows);
      this.metrics.archivedFiles.inc(written.files.length);
      archived.files.push(...written.files);
      archived.rows += written.rows;
      const expired = await this.expire(until);
      run.partitions.push(...expired.partitions);
      run.defaultRows += expired.defaultRows;
      from = until;
    }
    run.archived = archived;
    return run;
  }

  /** Sizes and the oldest day kept, read from the catalog (no table is scanned). */
  private async measure(): Promise<void> {
    const rows = await this.db.withoutTenant((m) =>
      m.query(`
        SELECT pg_database_size(current_database())::text AS database_bytes,
               (pg_total_relation_size('flows')
                 + COALESCE((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'flows'::regclass), 0))::text AS flow_bytes,
               (SELECT min(day) FROM (${DAY_PARTITIONS}) p)::text AS oldest_day`),
    ) as Array<{ database_bytes: string; flow_bytes: string; oldest_day: string | null }>;
    const sizes = rows[0];
    if (sizes === undefined) return;
    this.metrics.databaseBytes.set(Number(sizes.database_bytes));
    this.metrics.flowBytes.set(Number(sizes.flow_bytes));
    if (sizes.oldest_day === null) this.metrics.oldestFlowDay.reset();
    else this.metrics.oldestFlowDay.set(Date.parse(`${sizes.oldest_day}T00:00:00Z`) / 1000);
  }
}
