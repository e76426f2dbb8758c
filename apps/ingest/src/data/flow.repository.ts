import type { ClientBase, QueryResult } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { finished } from 'node:stream/promises';
import { FLOW_COPY_COLUMNS, TENANT_SETTING } from '@clarion/persistence';

export { FLOW_COPY_COLUMNS };


const COLUMN_LIST = FLOW_COPY_COLUMNS.map(([name]) => name).join(', ');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const timestampLiteral = (ms: number | null): string => {
  if (ms === null) return 'NULL';
  if (!Number.isFinite(ms)) throw new Error(`invalid time ${ms}`);
  return `to_timestamp(${ms / 1000})`;
};

/** BEGIN; the tenant setting; the ledger row. Every interpolated value is validated first. */
function preludeSql(batch: FlowCopyBatch): string {
  if (!UUID.test(batch.batchId) || !UUID.test(batch.tenantId)) throw new Error('batch and tenant ids must be UUIDs');
  if (!Number.isSafeInteger(batch.rowCount) || batch.rowCount < 0) throw new Error(`invalid row count ${batch.rowCount}`);
  return (
    `BEGIN; SELECT set_config('${TENANT_SETTING}', '${batch.tenantId}', true); ` +
    `INSERT INTO flow_batches (batch_id, tenant_id, row_count, first_end_time, last_end_time) ` +
    `VALUES ('${batch.batchId}', '${batch.tenantId}', ${batch.rowCount}, ${timestampLiteral(batch.firstEndMs)}, ${timestampLiteral(batch.lastEndMs)}) ` +
    `ON CONFLICT (batch_id) DO NOTHING`
  );
}

/** The relations the writer may COPY into: a day partition, the default partition, or the hypertable. */
const FLOW_RELATION = /^flows(_p\d{8}|_default)?$/;

/** How `flows` is stored: native day partitions (COPY straight into them) or a TimescaleDB hypertable. */
export type FlowStorageMode = 'partitions' | 'hypertable';

/** One section of a batch: binary COPY data (header, rows, trailer) for one relation. */
export interface FlowCopySection {
  relation: string;
  rows: number;
  data: Uint8Array;
}

export interface FlowCopyBatch {
  batchId: string;
  tenantId: string;
  rowCount: number;
  firstEndMs: number | null;
  lastEndMs: number | null;
  sections: FlowCopySection[];
}

export type FlowBatchOutcome = 'committed' | 'duplicate';

/**
 * Flow storage with the `pg` driver directly: COPY in binary format is not something TypeORM can do, and a COPY
 * holds its connection for the whole batch, so the ingest writer uses its own connections (see apps/ingest/README.md).
 */
export class FlowRepository {
  constructor(private readonly client: ClientBase) {}

  async storageMode(): Promise<FlowStorageMode> {
    const { rows } = await this.client.query<{ mode: string }>('SELECT clarion_flow_storage() AS mode');
    return rows[0]?.mode === 'hypertable' ? 'hypertable' : 'partitions';
  }

  /** Creates the partition of a UTC day (`YYYY-MM-DD`) if it does not exist yet; returns its name. Own transaction. */
  async ensurePartition(day: string): Promise<string> {
    const { rows } = await this.client.query<{ name: string }>('SELECT clarion_ensure_flow_partition($1::date) AS name', [day]);
    const name = rows[0]?.name;
    if (!name || !FLOW_RELATION.test(name)) throw new Error(`unexpected partition name ${String(name)}`);
    return name;
  }

  /**
   * Writes one batch in one transaction bound to its tenant: the ledger row first (a batch already committed is
   * 'duplicate' and writes nothing), then each section with COPY ... FROM STDIN (FORMAT binary). In 'hypertable'
   * mode the rows go through a session-local staging table and INSERT ... SELECT, because COPY is refused under RLS.
   */
  async commitBatch(batch: FlowCopyBatch, mode: FlowStorageMode): Promise<FlowBatchOutcome> {
    const c = this.client;
    // One round trip for BEGIN, the tenant setting and the ledger row (a multi-statement simple query: every value is
    // checked to be a UUID or a number before it is written into the text).
    try {
      const results = (await c.query(preludeSql(batch))) as unknown as QueryResult[];
      if (results[2]?.rowCount === 0) {
        await c.query('ROLLBACK');
        return 'duplicate';
      }
      if (mode === 'hypertable') {
        await c.query(`CREATE TEMP TABLE IF NOT EXISTS flows_stage (LIKE flows) ON COMMIT DELETE ROWS`);
        for (const section of batch.sections) await this.copy('flows_stage', section.data);
        await c.query(`INSERT INTO flows (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM flows_stage`);
      } else {
        for (const section of batch.sections) await this.copy(section.relation, section.data);
      }
      await c.query('COMMIT');
      return 'committed';
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private async copy(relation: string, data: Uint8Array): Promise<void> {
    if (relation !== 'flows_stage' && !FLOW_RELATION.test(relation)) throw new Error(`refusing to COPY into ${relation}`);
    const stream = this.client.query(copyFrom(`COPY ${relation} (${COLUMN_LIST}) FROM STDIN (FORMAT binary)`));
    stream.end(data);
    await finished(stream);
  }

  /** Forgets ledger rows older than `olderThanMs` (a replay older than that is no longer expected). */
  async pruneLedger(tenantId: string, olderThanMs: number): Promise<number> {
    const c = this.client;
    await c.query('BEGIN');
    try {
      await c.query('SELECT set_config($1, $2, true)', [TENANT_SETTING, tenantId]);
      const result = await c.query('DELETE FROM flow_batches WHERE committed_at < to_timestamp($1::double precision / 1000)', [olderThanMs]);
      await c.query('COMMIT');
      return result.rowCount ?? 0;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}
