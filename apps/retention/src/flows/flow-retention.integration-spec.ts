import { Database } from '@clarion/persistence';
import type { ServiceRuntime } from '@clarion/platform';
import { TestInfra, insertFlowRow, testLogger } from '@clarion/testing';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import type { RetentionEnv } from '../retention.env';
import { FlowRetentionService } from './flow-retention.service';
import { RetentionMetrics } from './retention-metrics';

const ENV = { RETENTION_INTERVAL_S: 3600, RETENTION_FIRST_RUN_DELAY_S: 0, RETENTION_STATEMENT_TIMEOUT_S: 600, RETENTION_LOCK_TIMEOUT_MS: 5_000 };

// Days of the year 2000: no other test stores flows that old, so this one can expire them while others run.
const NOW = Date.parse('2000-01-10T12:00:00Z');

/** Flow retention against the real PostgreSQL: the service runs as its own role (clarion_retention), as deployed; the flows are written as the application role. */
describe('flow retention (PostgreSQL)', () => {
  const superuser = new Client({ connectionString: TestInfra.superuserUrl });
  const app = new Client({ connectionString: TestInfra.appUrl });
  const db = new Database({ url: TestInfra.serviceUrl('retention'), poolSize: 2, statementTimeoutMs: 10_000, applicationName: 'retention-test' }, testLogger());
  let tenantId: string;

  const serviceWith = (days: number, archiveDir?: string, overrides: Partial<RetentionEnv> = {}, database = db) => {
    const registry = new Registry();
    const metrics = new RetentionMetrics(registry);
    const env = { ...ENV, FLOW_RETENTION_DAYS: days, RETENTION_ARCHIVE_DIR: archiveDir, ...overrides };
    const runtime = { env, logger: testLogger() } as unknown as ServiceRuntime<RetentionEnv>;
    return { service: new FlowRetentionService(database, metrics, runtime), registry };
  };
  const metric = async (registry: Registry, name: string): Promise<number | undefined> =>
    (await registry.getSingleMetric(name)?.get())?.values.reduce<number | undefined>((n, v) => (n ?? 0) + v.value, undefined);

  /** One flow ending at `endIso`, written as ingest writes it (the application role inserts into the partition). */
  const insertFlow = (relation: string, endIso: string, srcPort: number, tenant = tenantId) =>
    insertFlowRow(app, relation, { tenantId: tenant, endTime: endIso, srcPort });
  const partitionsOf2000 = async () =>
    (
      await superuser.query<{ relname: string }>(
        `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'flows'::regclass AND c.relname LIKE 'flows_p2000%' ORDER BY 1`,
      )
    ).rows.map((r) => r.relname);
  const storedPorts = async (tenant = tenantId) =>
    (await superuser.query<{ src_port: number }>(`SELECT src_port FROM flows WHERE tenant_id = $1 ORDER BY 1`, [tenant])).rows.map((r) => r.src_port);
  const newTenant = async (name: string) =>
    (await superuser.query(`INSERT INTO tenants (slug, name) VALUES ($1, $2) RETURNING id, slug`, [`${name}-${Date.now().toString(36)}-${process.pid}`, name])).rows[0] as {
      id: string;
      slug: string;
    };

  beforeAll(async () => {
    await superuser.connect();
    await app.connect();
    await db.start();
    tenantId = (await superuser.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'Retention') RETURNING id`, [`retention-${Date.now().toString(36)}-${process.pid}`])).rows[0].id;
    // Left over by an interrupted earlier run of this test.
    for (const name of await partitionsOf2000()) await superuser.query(`DROP TABLE ${name}`);
    await superuser.query(`DELETE FROM flows_default WHERE end_time < '2000-02-01'`);
  });

  afterAll(async () => {
    for (const name of await partitionsOf2000()) await superuser.query(`DROP TABLE ${name}`);
    await superuser.query(`DELETE FROM tenants WHERE id = $1`, [tenantId]);
    await db.close();
    await app.end();
    await superuser.end();
  });

  it('drops the day partitions before the first kept day and deletes the default partition rows before it, nothing else', async () => {
    for (const day of ['2000-01-01', '2000-01-02', '2000-01-03']) {
      const { rows } = await app.query(`SELECT clarion_ensure_flow_partition($1::date) AS name`, [day]);
      await insertFlow(rows[0].name, `${day}T23:59:59.999Z`, Number(day.slice(-2)));
    }
    await insertFlow('flows_default', '1999-12-31T10:00:00Z', 31); // a day without a partition, expired
    await insertFlow('flows_default', '2000-01-05T10:00:00Z', 5); // a day without a partition, kept
    expect(await storedPorts()).toEqual([1, 2, 3, 5, 31]);

    const { service, registry } = serviceWith(8); // on 2000-01-10: keeps 2000-01-02 and later
    const run = await service.runOnce(NOW);

    expect(run).toEqual({ firstKeptDay: '2000-01-02', partitions: ['flows_p20000101'], defaultRows: 1 });
    expect(await partitionsOf2000()).toEqual(['flows_p20000102', 'flows_p20000103']);
    expect(await storedPorts()).toEqual([2, 3, 5]);
    expect(await metric(registry, 'clarion_retention_flow_partitions_dropped_total')).toBe(1);
    expect(await metric(registry, 'clarion_retention_flow_default_rows_deleted_total')).toBe(1);
    expect(await metric(registry, 'clarion_retention_runs_total')).toBe(1);
    expect(await metric(registry, 'clarion_retention_last_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(await metric(registry, 'clarion_retention_flow_retention_days')).toBe(8);
    // The oldest day partition left is 2000-01-02 (none of the other tests' partitions is older), sizes are read.
    expect(await metric(registry, 'clarion_retention_oldest_flow_day_timestamp_seconds')).toBe(Date.parse('2000-01-02T00:00:00Z') / 1000);
    expect(await metric(registry, 'clarion_retention_flow_bytes')).toBeGreaterThan(0);
    expect(await metric(registry, 'clarion_database_size_bytes')).toBeGreaterThan(await metric(registry, 'clarion_retention_flow_bytes') ?? 0);

    // A second run finds nothing more to do.
    expect(await service.runOnce(NOW)).toEqual({ firstKeptDay: '2000-01-02', partitions: [], defaultRows: 0 });
  });

  it('archives every tenant\'s flows of a day before removing it, one gzip CSV per tenant and day, and removes nothing it could not archive', async () => {
    // Nothing of the first test left: this one's cut is 2000-02-02 alone.
    for (const name of await partitionsOf2000()) await superuser.query(`DROP TABLE ${name}`);
    await superuser.query(`DELETE FROM flows_default WHERE end_time < '2000-03-01'`);
    const a = await newTenant('retention-a');
    const b = await newTenant('retention-b');
    const dir = await mkdtemp(join(tmpdir(), 'clarion-archive-'));
    try {
      for (const day of ['2000-02-01', '2000-02-02', '2000-02-03']) {
        const { rows } = await app.query(`SELECT clarion_ensure_flow_partition($1::date) AS name`, [day]);
        await insertFlow(rows[0].name, `${day}T08:00:00Z`, 100 + Number(day.slice(-2)), a.id);
        await insertFlow(rows[0].name, `${day}T09:00:00Z`, 200 + Number(day.slice(-2)), b.id);
      }
      await insertFlow('flows_default', '2000-01-20T10:00:00Z', 120, a.id); // a day that never had a partition
      const now = Date.parse('2000-02-10T12:00:00Z');

      // An archive directory that cannot be created (a file is in the way): the run fails and removes nothing.
      const blocked = join(dir, 'blocked');
      await writeFile(blocked, 'a file, not a directory');
      const failing = serviceWith(8, blocked);
      await expect(failing.service.runOnce(now)).rejects.toThrow();
      expect(await partitionsOf2000()).toEqual(['flows_p20000201', 'flows_p20000202', 'flows_p20000203']);
      expect(await storedPorts(a.id)).toEqual([101, 102, 103, 120]);
      expect((await failing.registry.getSingleMetric('clarion_retention_runs_total')?.get())?.values).toEqual([{ value: 1, labels: { outcome: 'failure' } }]);

      // Left by writers: one that died long ago (older than the statement timeout, 600 s here), one still writing.
      await mkdir(join(dir, 'flows', '2000-02-01'), { recursive: true });
      const abandoned = join(dir, 'flows', '2000-02-01', 'x.csv.gz.1-dead.partial');
      const live = join(dir, 'flows', '2000-02-01', 'x.csv.gz.2-live.partial');
      await writeFile(abandoned, 'half a file');
      await writeFile(live, 'half a file');
      const hourAgo = new Date(Date.now() - 3_600_000);
      await utimes(abandoned, hourAgo, hourAgo);

      const { service, registry } = serviceWith(8, dir); // on 2000-02-10: keeps 2000-02-02 and later
      const run = await service.runOnce(now);
      const fileOf = (tenant: { slug: string }) => join(dir, 'flows', '2000-02-01', `${tenant.slug}.csv.gz`);
      expect(run).toEqual({ firstKeptDay: '2000-02-02', partitions: ['flows_p20000201'], defaultRows: 1, archived: { files: [fileOf(a), fileOf(b)].sort(), rows: 3 } });
      expect(await partitionsOf2000()).toEqual(['flows_p20000202', 'flows_p20000203']);
      expect(await storedPorts(a.id)).toEqual([102, 103]);
      expect(await storedPorts(b.id)).toEqual([202, 203]);

      const readCsv = async (tenant: { slug: string }) => gunzipSync(await readFile(fileOf(tenant))).toString('utf8').trim().split('\n');
      const [header, ...rowsOfA] = await readCsv(a);
      expect(header.split(',').slice(0, 3)).toEqual(['tenant_id', 'end_time', 'start_time']);
      // Oldest first, each row its tenant's: the partition-less day's flow, then the day's own.
      expect(rowsOfA.map((r) => [r.split(',')[0], r.split(',')[8]])).toEqual([
        [a.id, '120'],
        [a.id, '101'],
      ]);
      expect((await readCsv(b)).slice(1).map((r) => [r.split(',')[0], r.split(',')[8]])).toEqual([[b.id, '201']]);
      expect((await readdir(join(dir, 'flows', '2000-02-01'))).sort()).toEqual([`${a.slug}.csv.gz`, `${b.slug}.csv.gz`, 'x.csv.gz.2-live.partial'].sort());
      expect((await registry.getSingleMetric('clarion_retention_archived_flows_total')?.get())?.values[0]?.value).toBe(3);
      expect((await registry.getSingleMetric('clarion_retention_archive_files_total')?.get())?.values[0]?.value).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await superuser.query(`DELETE FROM tenants WHERE id = ANY($1::uuid[])`, [[a.id, b.id]]);
    }
  });

  it('waits a bounded time for the lock that detaching needs, fails the run (retried later) and drops nothing meanwhile', async () => {
    const { rows } = await app.query(`SELECT clarion_ensure_flow_partition('2000-04-01'::date) AS name`);
    await insertFlow(rows[0].name, '2000-04-01T10:00:00Z', 401);
    // A long read of flows (an export, say) holds the parent table against the detach.
    const reader = new Client({ connectionString: TestInfra.superuserUrl });
    await reader.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM flows WHERE false');
      const { service } = serviceWith(8, undefined, { RETENTION_LOCK_TIMEOUT_MS: 300 }); // statements may take 10 s here
      const started = Date.now();
      await expect(service.runOnce(Date.parse('2000-04-10T12:00:00Z'))).rejects.toThrow(/lock timeout/);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await partitionsOf2000()).toContain('flows_p20000401');
    } finally {
      await reader.query('ROLLBACK');
      await reader.end();
    }
    const { service } = serviceWith(8);
    expect((await service.runOnce(Date.parse('2000-04-10T12:00:00Z')))?.partitions).toContain('flows_p20000401');
  });

  it('archives a day that takes longer to copy than the service\'s statement timeout allows an API read', async () => {
    const tenant = await newTenant('retention-big');
    const dir = await mkdtemp(join(tmpdir(), 'clarion-archive-big-'));
    const strict = new Database({ url: TestInfra.serviceUrl('retention'), poolSize: 2, statementTimeoutMs: 400, applicationName: 'retention-test-strict' }, testLogger());
    await strict.start();
    try {
      const { rows } = await app.query(`SELECT clarion_ensure_flow_partition('2000-05-01'::date) AS name`);
      await app.query(
        `INSERT INTO ${rows[0].name} (tenant_id, end_time, start_time, exporter, observation_domain, version, src_address, dst_address, src_port, dst_port,
           protocol, tcp_flags, bytes, packets, sampling_rate, input_interface, output_interface)
         SELECT $1, '2000-05-01T00:00:00Z'::timestamptz + g * interval '100 ms', '2000-05-01T00:00:00Z', '192.0.2.1', 0, 10, '10.0.0.1', '10.0.0.2',
                g % 65536, 443, 6, 0, 100, 1, 1, 0, 0
         FROM generate_series(1, 400000) g`,
        [tenant.id],
      );
      const { service } = serviceWith(8, dir, { RETENTION_STATEMENT_TIMEOUT_S: 600 }, strict);
      const run = await service.runOnce(Date.parse('2000-05-10T12:00:00Z'));
      expect(run?.partitions).toContain('flows_p20000501');
      const lines = gunzipSync(await readFile(join(dir, 'flows', '2000-05-01', `${tenant.slug}.csv.gz`))).toString('utf8').trim().split('\n');
      expect(lines).toHaveLength(400_001);
    } finally {
      await strict.close();
      await rm(dir, { recursive: true, force: true });
      await superuser.query(`DELETE FROM tenants WHERE id = $1`, [tenant.id]);
    }
  });

  it('never expires today or later, whoever asks: the function refuses, and the application role cannot drop a partition itself', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await expect(app.query(`SELECT * FROM clarion_expire_flows($1::date)`, [tomorrow])).rejects.toThrow(/today or later are never expired/);
    const { rows } = await app.query(`SELECT clarion_ensure_flow_partition($1::date) AS name`, [today]);
    await expect(app.query(`DROP TABLE ${rows[0].name}`)).rejects.toMatchObject({ code: '42501' });
    await expect(app.query(`ALTER TABLE flows DETACH PARTITION ${rows[0].name}`)).rejects.toMatchObject({ code: '42501' });
  });

  it('counts a failed run and lets it fail, and skips (counted) while the database is unavailable', async () => {
    const closed = new Database({ url: TestInfra.serviceUrl('retention'), poolSize: 1, statementTimeoutMs: 1_000, applicationName: 'retention-test-down' }, testLogger());
    const { service: skipped, registry } = serviceWith(8, undefined, {}, closed);
    expect(await skipped.runOnce(NOW)).toBeUndefined();
    expect((await registry.getSingleMetric('clarion_retention_runs_total')?.get())?.values).toEqual([{ value: 1, labels: { outcome: 'skipped' } }]);

    // A retention of today (0 days) on a day in the future of the database's clock: the function refuses it.
    const { service, registry: failing } = serviceWith(1);
    await expect(service.runOnce(Date.now() + 3 * 86_400_000)).rejects.toThrow(/never expired/);
    expect((await failing.getSingleMetric('clarion_retention_runs_total')?.get())?.values).toEqual([{ value: 1, labels: { outcome: 'failure' } }]);
  });
});
