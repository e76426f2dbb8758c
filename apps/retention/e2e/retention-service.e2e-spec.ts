import { NatsServerProcess, ServiceProcess, TestInfra, freePort, httpGet, insertFlowRow, metricValue, waitFor, waitForReady } from '@clarion/testing';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Client } from 'pg';

const DAY_MS = 86_400_000;
const dayText = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The built retention service on its own schedule: its first run, right after start (tried again every 5 s until
 * PostgreSQL is connected), archives and removes a day of flows past FLOW_RETENTION_DAYS and keeps the recent ones;
 * SIGTERM ends it cleanly. NATS is a private nats-server as deployed (TLS, retention's own nkey).
 */
describe('retention service (built process, real PostgreSQL)', () => {
  const owner = new Client({ connectionString: TestInfra.ownerUrl });
  const app = new Client({ connectionString: TestInfra.appUrl });
  const nats = new NatsServerProcess({ secure: true });
  let work: string;
  let tenant: { id: string; slug: string };
  const oldDay = dayText(Date.now() - 45 * DAY_MS);
  const recentDay = dayText(Date.now() - 2 * DAY_MS);

  const insertFlow = async (day: string, srcPort: number) => {
    const partition = (await app.query(`SELECT clarion_ensure_flow_partition($1::date) AS name`, [day])).rows[0].name as string;
    await insertFlowRow(app, partition, { tenantId: tenant.id, endTime: `${day}T12:00:00Z`, srcPort });
    return partition;
  };
  const partitionExists = async (name: string) => (await owner.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [name])).rows[0].present as boolean;

  beforeAll(async () => {
    await owner.connect();
    await app.connect();
    await nats.start();
    work = await mkdtemp(join(tmpdir(), 'clarion-retention-e2e-'));
    const slug = `retention-e2e-${Date.now().toString(36)}`;
    tenant = { id: (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'retention e2e') RETURNING id`, [slug])).rows[0].id, slug };
  });

  afterAll(async () => {
    await app.end();
    await owner.end();
    await nats.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('archives and removes the flows past the retention right after start (once PostgreSQL is connected), keeps the recent ones, and stops cleanly', async () => {
    const oldPartition = await insertFlow(oldDay, 4500);
    const recentPartition = await insertFlow(recentDay, 4501);
    const opsPort = await freePort();
    const proc = new ServiceProcess('retention', {
      CLARION_ENV: 'test',
      LOG_LEVEL: 'info',
      OPS_PORT: String(opsPort),
      OPS_HOST: '127.0.0.1',
      DATABASE_URL: TestInfra.serviceUrl('retention'),
      ...nats.envOf('retention'),
      REDIS_URL: TestInfra.redisUrl,
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      FLOW_RETENTION_DAYS: '30',
      RETENTION_FIRST_RUN_DELAY_S: '0',
      RETENTION_ARCHIVE_DIR: work,
    }).start();
    try {
      const metrics = async () => String((await httpGet(`http://127.0.0.1:${opsPort}/metrics`, 2_000)).body);
      await waitFor(async () => metricValue(await metrics(), 'clarion_retention_runs_total', { outcome: 'success' }) >= 1, 30_000, 'a successful retention run');
      const text = await metrics();
      expect(metricValue(text, 'clarion_retention_flow_retention_days')).toBe(30);
      expect(metricValue(text, 'clarion_retention_flow_partitions_dropped_total')).toBeGreaterThanOrEqual(1);
      expect(metricValue(text, 'clarion_database_size_bytes')).toBeGreaterThan(0);
      expect(await partitionExists(oldPartition)).toBe(false);
      expect(await partitionExists(recentPartition)).toBe(true);

      const archived = gunzipSync(await readFile(join(work, 'flows', oldDay, `${tenant.slug}.csv.gz`))).toString('utf8').trim().split('\n');
      expect(archived).toHaveLength(2); // header and the one flow
      expect(archived[1]).toContain(`${tenant.id},${oldDay} 12:00:00+00`);
      const line = proc.logs.find((l) => l.msg === 'flow retention run');
      expect(line).toMatchObject({ droppedPartitions: expect.arrayContaining([oldPartition]), archivedRows: expect.any(Number) });
      // Ready means NATS too: connected over TLS with retention's nkey and its handlers subscribed in its queue group.
      await waitForReady(opsPort, 10_000);
    } finally {
      expect(await proc.stop()).toBe(0);
    }
    expect(proc.logs.some((l) => l.msg === 'stopped')).toBe(true);
  });
});
