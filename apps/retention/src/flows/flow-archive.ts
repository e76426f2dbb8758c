import { Database, FLOW_COPY_COLUMNS } from '@clarion/persistence';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { EntityManager } from 'typeorm';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const COLUMNS = FLOW_COPY_COLUMNS.map(([name]) => name).join(', ');

export interface ArchivedRange {
  files: string[];
  rows: number;
}

/**
 * Copies flows out of PostgreSQL before retention removes them: one gzip-compressed CSV file per tenant and day,
 * `<dir>/flows/<day>/<tenant slug>.csv.gz`, with a header row and the columns of `flows`, oldest first. Read as the
 * tenant (row-level security applies, as everywhere), written under a temporary name, flushed to disk and renamed, so
 * a file with its final name is always complete; a tenant without flows in the range gets no file.
 */
export class FlowArchive {
  constructor(
    private readonly db: Database,
    private readonly dir: string,
    /** Longest COPY of one tenant's day (the service's statement timeout is meant for API reads). */
    private readonly statementTimeoutMs: number,
  ) {}

  /**
   * Every tenant's flows that ended before `until` (a UTC day, exclusive) and, when given, at or after `from`, into
   * the files of `label` (the last day the range covers).
   */
  async archive(label: string, until: string, from?: string): Promise<ArchivedRange> {
    for (const day of [label, until, ...(from === undefined ? [] : [from])]) if (!DAY.test(day)) throw new RangeError(`not a day: ${day}`);
    const tenants = await this.db.withoutTenant((m) => m.query(`SELECT id, slug FROM tenants ORDER BY slug`) as Promise<Array<{ id: string; slug: string }>>);
    const dayDir = join(this.dir, 'flows', label);
    await mkdir(dayDir, { recursive: true });
    await this.removeAbandoned(dayDir);
    const result: ArchivedRange = { files: [], rows: 0 };
    for (const tenant of tenants) {
      const file = join(dayDir, `${tenant.slug}.csv.gz`);
      const temporary = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.partial`;
      // The bounds are our own validated days; COPY takes no parameters.
      const range = `end_time < '${until}'::timestamp AT TIME ZONE 'UTC'${from === undefined ? '' : ` AND end_time >= '${from}'::timestamp AT TIME ZONE 'UTC'`}`;
      const sql = `COPY (SELECT ${COLUMNS} FROM flows WHERE ${range} ORDER BY end_time) TO STDOUT WITH (FORMAT csv, HEADER true)`;
      try {
        const rows = await this.db.withTenant(tenant.id, async (manager: EntityManager) => {
          // Times in the file in UTC, whatever the server's or the role's time zone.
          await manager.query(`SET LOCAL TIME ZONE 'UTC'`);
          await manager.query(`SELECT set_config('statement_timeout', $1, true)`, [String(this.statementTimeoutMs)]);
          // The transaction's own connection, where set_config put the tenant.
          const client = (manager.queryRunner as unknown as { databaseConnection: PoolClient }).databaseConnection;
          const stream = client.query(copyTo(sql));
          await pipeline(stream, createGzip(), createWriteStream(temporary, { flags: 'wx' }));
          return stream.rowCount;
        });
        if (rows === 0) {
          await rm(temporary, { force: true });
          continue;
        }
        const handle = await open(temporary, 'r');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temporary, file);
        result.files.push(file);
        result.rows += rows;
      } catch (err) {
        await rm(temporary, { force: true });
        throw err;
      }
    }
    return result;
  }

  /**
   * Temporary files of a writer that died (a killed process, a lost node): older than the longest COPY may run, so no
   * live writer owns them. Fresher ones may belong to another instance archiving the same day, and stay.
   */
  private async removeAbandoned(dayDir: string): Promise<void> {
    const before = Date.now() - this.statementTimeoutMs;
    for (const name of await readdir(dayDir)) {
      if (!name.endsWith('.partial')) continue;
      const path = join(dayDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info !== undefined && info.mtimeMs < before) await rm(path, { force: true });
    }
  }
}
