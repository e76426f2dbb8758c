import { FlowRepository, type FlowBatchOutcome, type FlowCopyBatch, type FlowStorageMode } from '../data';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Pool, type PoolClient, type PoolConfig } from 'pg';
import type { Logger } from 'pino';
import type { IngestMetrics } from '../metrics/ingest-metrics';
import type { FlowSpool, SpoolEntry } from '../spool/flow-spool';
import { encodeSpooledBatch } from '../spool/spooled-batch.codec';
import { dayOf, dayText, type SealedBatch } from './sealed-batch';

export interface FlowWriterOptions {
  databaseUrl: string;
  /** Writer connections (batches committed in parallel); the spool replays on one more. */
  connections: number;
  queueMaxRows: number;
  commitTimeoutMs: number;
  retryMs: number;
  partitionsAheadDays: number;
  partitionMaxPastDays: number;
  applicationName: string;
}

export type SpoolCause = 'database_unavailable' | 'shutdown';

/** Called once a batch is in PostgreSQL (committed now, or found committed earlier when replayed). */
export type CommittedListener = (batch: SealedBatch, outcome: FlowBatchOutcome) => void;

class CommitTimeoutError extends Error {
  override readonly name = 'CommitTimeoutError';
}

/** SQLSTATE classes that mean "this batch's data is refused", not "the database is unavailable": 22 data, 23 integrity. */
const isDataRejection = (err: unknown): boolean => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23)[0-9A-Z]{3}$/.test(code);
};
const PARTITION_CONSTRAINT_VIOLATION = '23514';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Writes sealed batches to PostgreSQL with COPY, on its own connections (see the README for why not TypeORM's pool),
 * and never loses one it accepted:
 * - a bounded in-memory queue feeds `connections` writers; when it is full the collector stops decoding (`saturated`);
 * - when PostgreSQL fails (connection refused or lost, commit timeout) the writer enters an outage: queued and new
 *   batches go to the spool, a probe retries every `retryMs`, and once it succeeds the spool is replayed oldest first
 *   on a separate connection while new batches flow again;
 * - every batch carries a ledger row (flow_batches) in its own transaction, so a batch whose commit succeeded but whose
 *   acknowledgement was lost is recognised when replayed and not written twice;
 * - a batch PostgreSQL refuses for its data (SQLSTATE 22/23) is kept in `<spool>/rejected/` and counted, instead of
 *   blocking everything behind it.
 */
export class FlowWriter {
  private readonly pool: Pool;
  private readonly queue: SealedBatch[] = [];
  private queuedRows = 0;
  private readonly inFlight = new Set<SealedBatch>();
  private readonly inFlightClients = new Set<PoolClient>();
  private online = true;
  private stopping = false;
  private stopped = false;
  private mode?: FlowStorageMode;
  private readonly partitions = new Map<number, Promise<string>>();
  private wakeWorkers: Array<() => void> = [];
  private readonly loops: Promise<void>[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly committedWindow: Array<[number, number]> = [];
  private spoolWrites: Promise<unknown> = Promise.resolve();
  private probing?: Promise<void>;

  constructor(
    private readonly options: FlowWriterOptions,
    private readonly spool: FlowSpool,
    private readonly metrics: IngestMetrics,
    private readonly logger: Logger,
    private readonly onCommitted: CommittedListener,
    poolConfig: PoolConfig = {},
  ) {
    this.pool = new Pool({
      connectionString: options.databaseUrl,
      max: options.connections + 2,
      application_name: options.applicationName,
      connectionTimeoutMillis: Math.min(5_000, options.commitTimeoutMs),
      statement_timeout: options.commitTimeoutMs,
      idle_in_transaction_session_timeout: options.commitTimeoutMs * 2,
      keepAlive: true,
      ...poolConfig,
    });
    // An idle connection that dies (database restart) must not crash the process; the next use reconnects.
    this.pool.on('error', (err) => this.logger.warn({ err: err.message }, 'flow writer connection lost while idle'));
    this.metrics.databaseUp.set(1);
  }

  start(): void {
    for (let i = 0; i < this.options.connections; i++) this.loops.push(this.workerLoop());
    this.loops.push(this.replayLoop());
    const ahead = setInterval(() => void this.createPartitionsAhead(), 3_600_000);
    const rate = setInterval(() => this.updateRate(), 1_000);
    ahead.unref();
    rate.unref();
    this.timers.push(ahead, rate);
    void this.createPartitionsAhead();
    this.updateGauges();
  }

  get queueRows(): number {
    return this.queuedRows;
  }

  /** True while batches reach PostgreSQL directly (not spooled). */
  get databaseReachable(): boolean {
    return this.online;
  }

  /** Rows accepted (queued, in flight or spooled) and not yet known to be committed. */
  get pendingRows(): number {
    let rows = this.queuedRows;
    for (const b of this.inFlight) rows += b.rowCount;
    return rows;
  }

  /**
   * True while the queue holds `queueMaxRows` or more: the collector stops decoding until it is not (back-pressure:
   * datagrams then wait, compactly, in the receive queue), so a database that is slow rather than down costs no disk.
   */
  get saturated(): boolean {
    return this.online && this.queuedRows >= this.options.queueMaxRows;
  }

  /**
   * Takes a sealed batch. Never blocks the caller: the batch is queued (the queue bound is enforced upstream through
   * `saturated`), or spooled while the database is unreachable or the writer is shutting down.
   */
  submit(batch: SealedBatch): void {
    if (this.stopped) throw new Error('the flow writer is stopped');
    if (!this.online || this.stopping) {
      this.toSpool(batch, this.stopping ? 'shutdown' : 'database_unavailable');
    } else {
      this.queue.push(batch);
      this.queuedRows += batch.rowCount;
      this.wake();
    }
    this.updateGauges();
  }

  /**
   * Shutdown: stops taking new work, lets queued and in-flight batches commit until `deadlineMs` (epoch), then spools
   * whatever is left (a batch that commits after being spooled is recognised by its ledger row at the next replay),
   * and closes the connections. Resolves when every accepted batch is in PostgreSQL or on disk.
   */
  async drain(deadlineMs: number): Promise<void> {
    this.stopping = true;
    this.wake();
    const reserve = 1_000; // keep a second to write leftovers to disk
    while ((this.queue.length > 0 || this.inFlight.size > 0) && this.online && Date.now() < deadlineMs - reserve) await sleep(10);
    const leftovers = [...this.queue, ...this.inFlight];
    this.queue.length = 0;
    this.queuedRows = 0;
    this.inFlight.clear();
    for (const batch of leftovers) this.toSpool(batch, 'shutdown');
    await this.spoolWrites;
    this.stopped = true;
    this.wake();
    for (const t of this.timers) clearInterval(t);
    for (const client of this.inFlightClients) abortClient(client);
    await Promise.race([Promise.allSettled(this.loops), sleep(Math.max(0, deadlineMs - Date.now()))]);
    await this.pool.end().catch(() => undefined);
    this.updateGauges();
  }

  /**
   * Forgets ledger rows older than `olderThanMs` for each tenant: they only matter while a batch may still be
   * replayed from the spool. Returns the rows deleted.
   */
  async pruneLedger(tenantIds: readonly string[], olderThanMs: number): Promise<number> {
    if (!this.online) return 0;
    let deleted = 0;
    const client = await this.acquire();
    try {
      const repo = new FlowRepository(client);
      for (const tenantId of tenantIds) deleted += await repo.pruneLedger(tenantId, olderThanMs);
    } finally {
      client.release();
    }
    return deleted;
  }

  // ---- workers -----------------------------------------------------------------------------------------------------

  private wake(): void {
    const waiting = this.wakeWorkers;
    this.wakeWorkers = [];
    for (const w of waiting) w();
  }

  private waitForWork(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.wakeWorkers.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async workerLoop(): Promise<void> {
    while (!this.stopped) {
      const batch = this.online ? this.queue.shift() : undefined;
      if (batch === undefined) {
        await this.waitForWork(this.online ? 1_000 : this.options.retryMs);
        continue;
      }
      this.queuedRows -= batch.rowCount;
      this.inFlight.add(batch);
      this.updateGauges();
      try {
        const outcome = await this.commit(batch);
        if (this.inFlight.delete(batch)) this.committed(batch, outcome);
      } catch (err) {
        if (!this.inFlight.delete(batch)) continue; // already spooled by drain
        if (isDataRejection(err)) await this.reject(batch, err);
        else {
          this.enterOutage(err);
          this.toSpool(batch, 'database_unavailable');
        }
      } finally {
        this.updateGauges();
      }
    }
  }

  /** Replays the spool, oldest first, one batch at a time, whenever the database is reachable and the queue is not busy. */
  private async replayLoop(): Promise<void> {
    while (!this.stopped) {
      if (!this.online || this.stopping || this.spool.isEmpty || this.queuedRows > this.options.queueMaxRows / 2) {
        await this.waitForWork(this.online ? 250 : this.options.retryMs);
        continue;
      }
      let entry: SpoolEntry | undefined;
      try {
        entry = await this.spool.next();
      } catch (err) {
        this.logger.error({ err }, 'cannot read the spool');
        await sleep(this.options.retryMs);
        continue;
      }
      if (entry === undefined) {
        await this.waitForWork(250);
        continue;
      }
      try {
        const outcome = await this.commit(entry.batch);
        await this.spool.ack(entry);
        this.metrics.replayedBatches.inc({ outcome });
        this.committed(entry.batch, outcome);
      } catch (err) {
        if (isDataRejection(err)) {
          await this.reject(entry.batch, err);
          await this.spool.ack(entry);
        } else {
          this.spool.rewind(entry);
          this.enterOutage(err);
        }
      } finally {
        this.updateGauges();
      }
    }
  }

  private committed(batch: SealedBatch, outcome: FlowBatchOutcome): void {
    const now = Date.now();
    this.metrics.batches.inc({ outcome });
    if (outcome === 'committed') {
      this.metrics.rowsCommitted.inc(batch.rowCount);
      this.metrics.batchRows.observe(batch.rowCount);
      this.committedWindow.push([now, batch.rowCount]);
    }
    if (batch.packetTimes) for (const t of batch.packetTimes) this.metrics.commitDelaySeconds.observe(Math.max(0, now - t) / 1000);
    try {
      this.onCommitted(batch, outcome);
    } catch (err) {
      this.logger.error({ err }, 'flow batch listener failed');
    }
  }

  // ---- one batch ---------------------------------------------------------------------------------------------------

  private async commit(batch: SealedBatch): Promise<FlowBatchOutcome> {
    const started = performance.now();
    const client = await this.acquire();
    this.inFlightClients.add(client);
    let broken: Error | undefined;
    const timer = setTimeout(() => {
      broken = new CommitTimeoutError(`batch ${batch.batchId} not committed within ${this.options.commitTimeoutMs} ms`);
      abortClient(client);
    }, this.options.commitTimeoutMs);
    try {
      const repo = new FlowRepository(client);
      const mode = await this.storageMode(repo);
      let copy = await this.copyBatch(batch, mode, false);
      try {
        return await repo.commitBatch(copy, mode);
      } catch (err) {
        // A day partition created meanwhile (by another instance, or a clock that moved) makes the default
        // partition refuse that day's rows: give every day of the batch its partition and try once more.
        if ((err as { code?: string }).code !== PARTITION_CONSTRAINT_VIOLATION || mode !== 'partitions') throw err;
        this.partitions.clear();
        copy = await this.copyBatch(batch, mode, true);
        return await repo.commitBatch(copy, mode);
      }
    } catch (err) {
      broken ??= err as Error;
      throw broken;
    } finally {
      clearTimeout(timer);
      this.inFlightClients.delete(client);
      client.release(broken);
      this.metrics.batchCommitSeconds.observe((performance.now() - started) / 1000);
    }
  }

  private async storageMode(repo: FlowRepository): Promise<FlowStorageMode> {
    this.mode ??= await repo.storageMode();
    return this.mode;
  }

  private async copyBatch(batch: SealedBatch, mode: FlowStorageMode, everyDayPartitioned: boolean): Promise<FlowCopyBatch> {
    const sections = [];
    for (const s of batch.sections) {
      const relation = mode === 'hypertable' ? 'flows' : await this.relationFor(s.day, everyDayPartitioned);
      sections.push({ relation, rows: s.rows, data: s.data });
    }
    return {
      batchId: batch.batchId,
      tenantId: batch.tenantId,
      rowCount: batch.rowCount,
      firstEndMs: batch.firstEndMs,
      lastEndMs: batch.lastEndMs,
      sections,
    };
  }

  /** The partition a day's rows go to: its own (created on demand) inside the window, else the default partition. */
  private relationFor(day: number, force = false): Promise<string> {
    const today = dayOf(Date.now());
    if (!force && (day < today - this.options.partitionMaxPastDays || day > today + this.options.partitionsAheadDays)) {
      return Promise.resolve('flows_default');
    }
    let name = this.partitions.get(day);
    if (name === undefined) {
      name = this.acquire().then(async (client) => {
        try {
          return await new FlowRepository(client).ensurePartition(dayText(day));
        } finally {
          client.release();
        }
      });
      name.catch(() => this.partitions.delete(day));
      this.partitions.set(day, name);
    }
    return name;
  }

  private async createPartitionsAhead(): Promise<void> {
    if (this.stopped) return;
    try {
      const client = await this.acquire();
      try {
        if ((await this.storageMode(new FlowRepository(client))) === 'hypertable') return;
      } finally {
        client.release();
      }
      const today = dayOf(Date.now());
      for (let d = today; d <= today + this.options.partitionsAheadDays; d++) await this.relationFor(d);
      this.logger.debug({ days: this.options.partitionsAheadDays }, 'flow partitions ready ahead');
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not create flow partitions ahead; retrying in a minute');
      const retry = setTimeout(() => void this.createPartitionsAhead(), 60_000);
      retry.unref();
    }
  }

  /**
   * A pooled client with an error listener: pg emits 'error' on a checked-out client whose connection dies, and an
   * unheard 'error' event would end the process. The query in progress fails on its own and is handled there.
   */
  private async acquire(): Promise<PoolClient> {
    const client = await this.pool.connect();
    const marked = client as PoolClient & { __clarionWriter?: boolean };
    if (!marked.__clarionWriter) {
      marked.__clarionWriter = true;
      client.on('error', (err) => this.logger.debug({ err: err.message }, 'flow writer connection lost'));
    }
    return client;
  }

  // ---- outage and spool --------------------------------------------------------------------------------------------

  private enterOutage(err: unknown): void {
    if (this.online) {
      this.online = false;
      this.metrics.databaseUp.set(0);
      this.logger.error({ err: (err as Error).message }, 'PostgreSQL unavailable for flows: spooling batches to disk');
      // What waits in memory would only wait longer: put it on disk, in order, behind what is already there.
      const queued = this.queue.splice(0);
      this.queuedRows = 0;
      for (const b of queued) this.toSpool(b, 'database_unavailable');
    }
    this.probing ??= this.probe().finally(() => (this.probing = undefined));
  }

  private async probe(): Promise<void> {
    while (!this.stopped) {
      await sleep(this.options.retryMs);
      try {
        const client = await this.acquire();
        try {
          await client.query('SELECT 1');
        } finally {
          client.release();
        }
        this.online = true;
        this.metrics.databaseUp.set(1);
        this.logger.info({ spooledBatches: this.spool.pendingBatches }, 'PostgreSQL reachable again: replaying the spool');
        this.wake();
        return;
      } catch {
        // still down
      }
    }
  }

  private toSpool(batch: SealedBatch, cause: SpoolCause): void {
    const write = this.spoolWrites.then(async () => {
      try {
        const outcome = await this.spool.append(batch);
        if (outcome === 'spooled') this.metrics.spooledBatches.inc({ cause });
        else {
          this.metrics.recordsDropped.inc({ reason: 'spool_full' }, batch.rowCount);
          this.logger.error({ batchId: batch.batchId, rows: batch.rowCount, spoolBytes: this.spool.bytes }, 'spool full: batch dropped');
        }
      } catch (err) {
        this.metrics.recordsDropped.inc({ reason: 'spool_unwritable' }, batch.rowCount);
        this.logger.error({ err, batchId: batch.batchId, rows: batch.rowCount }, 'cannot write to the spool: batch dropped');
      }
      this.updateGauges();
      this.wake();
    });
    this.spoolWrites = write;
  }

  /** Keeps a batch the database refused for its content where an operator can inspect it, and counts its rows. */
  private async reject(batch: SealedBatch, err: unknown): Promise<void> {
    this.metrics.batches.inc({ outcome: 'failed' });
    this.metrics.recordsDropped.inc({ reason: 'rejected_by_database' }, batch.rowCount);
    const dir = join(this.spool.dir, 'rejected');
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${batch.batchId}.batch`), encodeSpooledBatch(batch));
    } catch (writeErr) {
      this.logger.warn({ err: writeErr }, 'could not keep the rejected batch on disk');
    }
    this.logger.error(
      { err: (err as Error).message, code: (err as { code?: string }).code, batchId: batch.batchId, rows: batch.rowCount, keptIn: dir },
      'PostgreSQL refused a flow batch',
    );
  }

  private updateGauges(): void {
    this.metrics.queueRows.set(this.queuedRows);
    this.metrics.queueBatches.set(this.queue.length);
    this.metrics.spoolBytes.set(this.spool.bytes);
    this.metrics.spoolBatches.set(this.spool.pendingBatches);
  }

  private updateRate(): void {
    const cutoff = Date.now() - 10_000;
    while (this.committedWindow.length > 0 && this.committedWindow[0][0] < cutoff) this.committedWindow.shift();
    let rows = 0;
    for (const [, n] of this.committedWindow) rows += n;
    this.metrics.rowsPerSecond.set(rows / 10);
    this.updateGauges();
  }
}

/** Cuts a connection that may be hung (a commit past its timeout, shutdown): its pending query fails at once. */
function abortClient(client: PoolClient): void {
  (client as unknown as { connection?: { stream?: { destroy: () => void } } }).connection?.stream?.destroy();
}
