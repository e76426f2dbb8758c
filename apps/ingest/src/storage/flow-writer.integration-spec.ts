import { queryAsTenant, TestInfra, testLogger, waitFor } from '@clarion/testing';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { IngestMetrics } from '../metrics/ingest-metrics';
import { FlowSpool } from '../spool/flow-spool';
import { flowRecord } from '../testing/flow-records';
import { TcpProxy } from '../testing/tcp-proxy';
import { FlowBatcher } from './flow-batcher';
import { FlowWriter } from './flow-writer';
import { DAY_MS, dayOf, type SealedBatch } from './sealed-batch';

/** The COPY writer against the real PostgreSQL, as the ingest service's role (clarion_ingest). */
describe('flow writer (PostgreSQL, COPY into day partitions)', () => {
  const owner = new Client({ connectionString: TestInfra.ownerUrl });
  const suffix = `${Date.now().toString(36)}-${process.pid}`;
  let tenantA: string;
  let tenantB: string;
  let dir: string;

  beforeAll(async () => {
    await owner.connect();
    tenantA = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'Flows A') RETURNING id`, [`flows-a-${suffix}`])).rows[0].id;
    tenantB = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'Flows B') RETURNING id`, [`flows-b-${suffix}`])).rows[0].id;
  });
  afterAll(() => owner.end());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clarion-writer-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Counts rows through the parent table, as the application role in the tenant's context. */
  async function countAs(tenantId: string, where = 'true', params: unknown[] = []): Promise<number> {
    return (await queryAsTenant<{ n: number }>(tenantId, `SELECT count(*)::int AS n FROM flows WHERE ${where}`, params))[0].n;
  }

  async function writerWith(options: { url?: string; retryMs?: number; queueMaxRows?: number } = {}) {
    const metrics = new IngestMetrics(new Registry());
    const spool = await FlowSpool.open(join(dir, 'spool'), 256 * 1024 * 1024);
    const committed: Array<{ batch: SealedBatch; outcome: string }> = [];
    const writer = new FlowWriter(
      {
        databaseUrl: options.url ?? TestInfra.serviceUrl('ingest'),
        connections: 2,
        queueMaxRows: options.queueMaxRows ?? 100_000,
        commitTimeoutMs: 3_000,
        retryMs: options.retryMs ?? 100,
        partitionsAheadDays: 2,
        partitionMaxPastDays: 7,
        applicationName: 'ingest-writer-test',
      },
      spool,
      metrics,
      testLogger(),
      (batch, outcome) => committed.push({ batch, outcome }),
      { connectionTimeoutMillis: 1_000 },
    );
    writer.start();
    const sealed: SealedBatch[] = [];
    const batcher = new FlowBatcher({ maxRows: 50, maxDelayMs: 20, eventPartMaxBytes: 512 * 1024 }, (b) => {
      sealed.push(b);
      writer.submit(b);
    });
    return { writer, spool, metrics, committed, batcher, sealed };
  }

  it('stores a batch in its day partition, visible to its tenant only, and names the batch in the ledger', async () => {
    const { writer, spool, committed, batcher } = await writerWith();
    const now = Date.now();
    batcher.add(tenantA, Array.from({ length: 120 }, (_, i) => flowRecord({ srcPort: i, endMs: now - i, startMs: now - 1000 })), now);
    batcher.sealAll();
    await waitFor(() => committed.length === 3, 10_000, 'three batches committed');
    expect(committed.map((c) => c.outcome)).toEqual(['committed', 'committed', 'committed']);
    expect(await countAs(tenantA, 'src_port < 120')).toBe(120);
    expect(await countAs(tenantB)).toBe(0);
    const ids = committed.map((c) => c.batch.batchId);
    const ledger = `SELECT row_count FROM flow_batches WHERE batch_id = ANY($1::uuid[]) ORDER BY row_count`;
    expect(await queryAsTenant(tenantA, ledger, [ids])).toEqual([{ row_count: 20 }, { row_count: 50 }, { row_count: 50 }]);
    expect(await queryAsTenant(tenantB, ledger, [ids])).toEqual([]);
    await writer.drain(Date.now() + 5_000);
    await spool.close();
  });

  it('forgets ledger rows past their retention, per tenant, leaving the flows', async () => {
    const { writer, spool, committed, batcher } = await writerWith();
    const tenant = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'Ledger') RETURNING id`, [`ledger-${suffix}`])).rows[0].id;
    batcher.add(tenant, [flowRecord({ endMs: Date.now() })], Date.now());
    batcher.sealAll();
    await waitFor(() => committed.length === 1, 10_000, 'batch committed');
    expect(await writer.pruneLedger([tenant], Date.now() - 60_000)).toBe(0);
    expect(await writer.pruneLedger([tenant], Date.now() + 60_000)).toBe(1);
    expect(await queryAsTenant(tenant, 'SELECT 1 FROM flow_batches')).toEqual([]);
    expect(await countAs(tenant)).toBe(1);
    await writer.drain(Date.now() + 5_000);
    await spool.close();
  });

  it("gives ingest's role INSERT only on partitions: reads go through the parent and its policy", async () => {
    const app = new Client({ connectionString: TestInfra.serviceUrl('ingest') });
    await app.connect();
    try {
      const { rows } = await app.query(`SELECT clarion_ensure_flow_partition(current_date) AS name`);
      await expect(app.query(`SELECT count(*) FROM ${rows[0].name}`)).rejects.toMatchObject({ code: '42501' });
      await expect(app.query(`SELECT count(*) FROM flows_default`)).rejects.toMatchObject({ code: '42501' });
      await expect(app.query(`DELETE FROM flows`)).rejects.toMatchObject({ code: '42501' });
    } finally {
      await app.end();
    }
  });

  it('creates partitions on demand; days outside the window go to the default partition and move when theirs is made', async () => {
    const { writer, spool, committed, batcher } = await writerWith();
    const today = dayOf(Date.now());
    const old = (today - 30) * DAY_MS + 3_600_000;
    const soon = (today + 1) * DAY_MS + 60_000;
    batcher.add(tenantB, [flowRecord({ endMs: old, startMs: old, srcPort: 1 }), flowRecord({ endMs: soon, startMs: soon, srcPort: 2 })], Date.now());
    batcher.sealAll();
    await waitFor(() => committed.length === 1, 10_000, 'batch committed');
    const superuser = new Client({ connectionString: TestInfra.superuserUrl });
    await superuser.connect();
    try {
      const oldDay = new Date(old).toISOString().slice(0, 10);
      const inDefault = async () =>
        (await superuser.query(`SELECT count(*)::int AS n FROM flows_default WHERE tenant_id = $1`, [tenantB])).rows[0].n as number;
      expect(await inDefault()).toBe(1);
      const soonPartition = `flows_p${new Date(soon).toISOString().slice(0, 10).replace(/-/g, '')}`;
      expect((await superuser.query(`SELECT count(*)::int AS n FROM ${soonPartition} WHERE tenant_id = $1`, [tenantB])).rows[0].n).toBe(1);
      // An operator (or a wider window) creates the old day's partition: the row moves out of the default partition.
      await superuser.query(`SELECT clarion_ensure_flow_partition($1::date)`, [oldDay]);
      expect(await inDefault()).toBe(0);
      expect(await countAs(tenantB, 'src_port IN (1, 2)')).toBe(2);
    } finally {
      await superuser.end();
    }
    await writer.drain(Date.now() + 5_000);
    await spool.close();
  });

  it('stores a batch submitted twice once (the second is a duplicate by its ledger row)', async () => {
    const { writer, spool, committed, batcher, sealed } = await writerWith();
    batcher.add(tenantA, [flowRecord({ srcPort: 55_555, endMs: Date.now() })], Date.now());
    batcher.sealAll();
    await waitFor(() => committed.length === 1, 10_000, 'first commit');
    writer.submit({ ...sealed[0], origin: 'spool' });
    await waitFor(() => committed.length === 2, 10_000, 'second attempt');
    expect(committed.map((c) => c.outcome)).toEqual(['committed', 'duplicate']);
    expect(await countAs(tenantA, 'src_port = 55555')).toBe(1);
    await writer.drain(Date.now() + 5_000);
    await spool.close();
  });

  it('keeps a batch PostgreSQL refuses for its data aside, counted, without blocking the next ones', async () => {
    const { writer, spool, committed, metrics, batcher } = await writerWith();
    const broken: SealedBatch = {
      batchId: randomUUID(),
      tenantId: tenantA,
      sealedAtMs: Date.now(),
      rowCount: 5,
      firstEndMs: Date.now(),
      lastEndMs: Date.now(),
      sections: [{ day: dayOf(Date.now()), rows: 5, data: Buffer.from('PGCOPY\n\xff\r\n\0garbage', 'latin1') }],
      eventParts: [],
      origin: 'memory',
    };
    writer.submit(broken);
    batcher.add(tenantA, [flowRecord({ srcPort: 44_444, endMs: Date.now() })], Date.now());
    batcher.sealAll();
    await waitFor(() => committed.length === 1, 10_000, 'the good batch');
    await waitFor(async () => (await metrics.recordsDropped.get()).values.some((v) => v.labels.reason === 'rejected_by_database' && v.value === 5), 5_000, 'rejection counted');
    expect(await readdir(join(dir, 'spool', 'rejected'))).toEqual([`${broken.batchId}.batch`]);
    expect(await countAs(tenantA, 'src_port = 44444')).toBe(1);
    await writer.drain(Date.now() + 5_000);
    await spool.close();
  });

  it('spools while PostgreSQL is unreachable and replays in order once it is back: every row stored exactly once', async () => {
    const proxy = new TcpProxy(TestInfra.pgHost, TestInfra.pgPort);
    await proxy.open();
    const url = new URL(TestInfra.serviceUrl('ingest'));
    url.host = `127.0.0.1:${proxy.port}`;
    const { writer, spool, committed, metrics, batcher } = await writerWith({ url: url.toString(), retryMs: 100 });
    const tenant = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'Outage') RETURNING id`, [`outage-${suffix}`])).rows[0].id;
    let port = 0;
    const send = (n: number) => {
      for (let i = 0; i < n; i++) batcher.add(tenant, [flowRecord({ srcPort: port++, endMs: Date.now() })], Date.now());
    };
    send(500);
    await waitFor(() => committed.length >= 3, 10_000, 'some batches committed');
    await proxy.close();
    send(1_000); // 20 batches while the database is away
    await waitFor(async () => (await metrics.databaseUp.get()).values[0].value === 0, 10_000, 'outage noticed');
    send(500);
    await waitFor(() => spool.pendingBatches > 0, 10_000, 'batches spooled');
    await proxy.open();
    await waitFor(async () => (await countAs(tenant)) === 2_000, 30_000, 'all 2000 rows stored');
    await waitFor(() => spool.isEmpty, 10_000, 'spool replayed');
    expect(await countAs(tenant)).toBe(2_000);
    const distinct = await countAs(tenant, 'src_port IN (SELECT generate_series(0, 1999))');
    expect(distinct).toBe(2_000);
    expect(await queryAsTenant(tenant, `SELECT src_port, count(*) FROM flows GROUP BY src_port HAVING count(*) > 1`)).toEqual([]);
    await writer.drain(Date.now() + 5_000);
    await spool.close();
    await proxy.close();
  });
});
