import { NatsServerProcess, TestInfra, httpGet, waitFor } from '@clarion/testing';
import { createSocket } from 'node:dgram';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TcpProxy } from '../src/testing/tcp-proxy';
import { IngestUnderTest, createTenant, type IngestOptions, queryAsTenant, sendUdp, storedFlowCount } from './support/ingest-harness';
import { SyntheticExporter } from './support/ipfix-stream';

/** What must survive: a restart between template and data, PostgreSQL going away mid-stream, SIGTERM, garbage. */
describe('ingest resilience (built service, real PostgreSQL)', () => {
  let work: string;
  const running: IngestUnderTest[] = [];
  // NATS as deployed (TLS, ingest's own nkey), private to this suite.
  const nats = new NatsServerProcess({ secure: true });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'clarion-ingest-resilience-'));
    await nats.start();
  });
  afterAll(async () => {
    for (const ingest of running) await ingest.stop().catch(() => undefined);
    await nats.stop();
    await rm(work, { recursive: true, force: true });
  });

  const start = async (options: Omit<IngestOptions, 'nats'>, waitReady = true) => {
    const ingest = await IngestUnderTest.start({ nats, ...options }, waitReady);
    running.push(ingest);
    return ingest;
  };

  /** Each stored flow of the tenant by source port, and how many times it is stored. */
  const duplicates = (tenantId: string) =>
    queryAsTenant<{ src_port: number; n: string }>(tenantId, 'SELECT src_port, count(*) AS n FROM flows GROUP BY src_port HAVING count(*) > 1');

  it('decodes data sent after a restart with the template learned before it (templates persisted and restored)', async () => {
    const tenant = await createTenant('restart');
    const spoolDir = join(work, 'restart-spool');
    const first = await start({ tenantSlug: tenant.slug, spoolDir });
    const exporter = new SyntheticExporter(42);
    await sendUdp(first.netflowPort, [exporter.templatePacket()]);
    await waitFor(
      async () => (await queryAsTenant(tenant.id, `SELECT 1 FROM netflow_templates WHERE exporter = '127.0.0.1' AND observation_domain = 42`)).length === 1,
      10_000,
      'template persisted',
    );
    await first.kill(); // SIGKILL: nothing is flushed on the way out

    const second = await start({ tenantSlug: tenant.slug, spoolDir, udpPorts: first.udpPorts });
    expect(second.proc.logs.find((l) => l.msg === 'templates restored')).toMatchObject({ templates: 1 });
    await sendUdp(second.netflowPort, [exporter.dataPacket(exporter.flows(10))]);
    await waitFor(async () => (await storedFlowCount(tenant.id)) === 10, 10_000, '10 flows stored');
    expect(await second.metric('clarion_ingest_template_misses_total')).toBe(0);
    expect(await second.metric('clarion_ingest_records_total', { version: '10' })).toBe(10);
  });

  it('stores every record exactly once when PostgreSQL becomes unreachable mid-stream and comes back', async () => {
    const tenant = await createTenant('outage');
    const proxy = new TcpProxy(TestInfra.pgHost, TestInfra.pgPort);
    await proxy.open();
    const url = new URL(TestInfra.serviceUrl('ingest'));
    url.host = `127.0.0.1:${proxy.port}`;
    const ingest = await start({ tenantSlug: tenant.slug, spoolDir: join(work, 'outage-spool'), databaseUrl: url.toString(), env: { INGEST_BATCH_MAX_ROWS: '200' } });
    const exporter = new SyntheticExporter(7);
    const packets = 300;
    const perPacket = 10;
    const socket = createSocket('udp4');
    const send = (p: Uint8Array) => new Promise<void>((r, j) => socket.send(p, ingest.netflowPort, '127.0.0.1', (e) => (e ? j(e) : r())));
    try {
      await send(exporter.templatePacket());
      for (let i = 0; i < packets; i++) {
        if (i === 100) await proxy.close();
        if (i === 220) {
          await waitFor(async () => (await ingest.metric('clarion_ingest_spooled_batches_total')) > 0, 10_000, 'batches spooled');
          await proxy.open();
        }
        await send(exporter.dataPacket(exporter.flows(perPacket)));
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      socket.close();
    }
    await waitFor(async () => (await storedFlowCount(tenant.id)) >= packets * perPacket, 60_000, `${packets * perPacket} flows stored`, 250);
    await waitFor(async () => (await ingest.metric('clarion_ingest_spool_batches')) === 0, 10_000, 'spool replayed');
    expect(await storedFlowCount(tenant.id)).toBe(packets * perPacket);
    expect(await duplicates(tenant.id)).toEqual([]);
    expect(await ingest.metric('clarion_ingest_spool_replayed_batches_total')).toBeGreaterThan(0);
    expect(await ingest.metric('clarion_ingest_database_up')).toBe(1);
    expect(await ingest.metric('clarion_ingest_records_dropped_total')).toBe(0);
    await proxy.close();
  });

  it('flushes open batches on SIGTERM, and spools them when PostgreSQL is away so the next start stores them', async () => {
    const tenant = await createTenant('sigterm');
    const spoolDir = join(work, 'sigterm-spool');
    // Batches that would otherwise wait a minute: only the shutdown can write them.
    const env = { INGEST_BATCH_MAX_DELAY_MS: '60000', INGEST_BATCH_MAX_ROWS: '100000' };
    const exporter = new SyntheticExporter(9);
    const first = await start({ tenantSlug: tenant.slug, spoolDir, env });
    await sendUdp(first.netflowPort, [exporter.templatePacket(), ...Array.from({ length: 20 }, () => exporter.dataPacket(exporter.flows(10)))]);
    await first.waitForMetric('clarion_ingest_records_total', 200);
    expect(await storedFlowCount(tenant.id)).toBe(0);
    expect(await first.stop()).toBe(0);
    expect(await storedFlowCount(tenant.id)).toBe(200);

    const proxy = new TcpProxy(TestInfra.pgHost, TestInfra.pgPort);
    await proxy.open();
    const url = new URL(TestInfra.serviceUrl('ingest'));
    url.host = `127.0.0.1:${proxy.port}`;
    const second = await start({ tenantSlug: tenant.slug, spoolDir, env, databaseUrl: url.toString() });
    await proxy.close();
    await sendUdp(second.netflowPort, [exporter.templatePacket(), ...Array.from({ length: 30 }, () => exporter.dataPacket(exporter.flows(10)))]);
    await second.waitForMetric('clarion_ingest_records_total', 300);
    expect(await second.stop()).toBe(0);
    expect((await readdir(spoolDir)).some((f) => f.endsWith('.spool'))).toBe(true);

    const third = await start({ tenantSlug: tenant.slug, spoolDir });
    await waitFor(async () => (await storedFlowCount(tenant.id)) >= 500, 20_000, '500 flows stored');
    await waitFor(async () => (await third.metric('clarion_ingest_spool_batches')) === 0, 10_000, 'spool empty');
    expect(await storedFlowCount(tenant.id)).toBe(500);
    expect(await duplicates(tenant.id)).toEqual([]);
    await proxy.close();
  });

  it('counts garbage and refused packets by reason, keeps running, and still stores the good flows around them', async () => {
    const tenant = await createTenant('garbage');
    // Only the IPv4 loopback maps to the tenant: the same exporter over IPv6 (::1) has none and is refused.
    const ingest = await start({ spoolDir: join(work, 'garbage-spool'), env: { INGEST_EXPORTER_TENANTS: `127.0.0.1=${tenant.slug}` } });
    const exporter = new SyntheticExporter(3);
    const good = [exporter.templatePacket(), exporter.dataPacket(exporter.flows(10))];
    let seed = 12_345;
    const random = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0);
    const garbage: Uint8Array[] = [new Uint8Array(0), new Uint8Array([0]), new Uint8Array([0, 5]), new Uint8Array([0, 9, 0, 1]), new Uint8Array([0, 10, 0xff, 0xff])];
    for (let i = 0; i < 200; i++) garbage.push(Uint8Array.from({ length: random() % 1500 }, () => random() & 0xff));
    for (let i = 0; i < 100; i++) {
      const p = good[1].slice(0, random() % good[1].length);
      garbage.push(p);
    }
    await sendUdp(ingest.netflowPort, [good[0], ...garbage.slice(0, 150), good[1], ...garbage.slice(150)]);
    const v6 = createSocket('udp6');
    await new Promise<void>((r, j) => v6.send(exporter.dataPacket(exporter.flows(5)), ingest.netflowPort, '::1', (e) => (e ? j(e) : r())));
    v6.close();
    await waitFor(async () => (await storedFlowCount(tenant.id)) >= 10, 10_000, 'good flows stored');
    await ingest.waitForMetric('clarion_ingest_packets_refused_total', 1, { reason: 'no_tenant' });
    const metrics = await ingest.metrics();
    expect(metrics).toMatch(/clarion_ingest_decode_errors_total\{reason="UNSUPPORTED_VERSION"[^}]*\} \d+/);
    expect(metrics).toMatch(/clarion_ingest_decode_errors_total\{reason="TRUNCATED_HEADER"[^}]*\} \d+/);
    expect(metrics).not.toMatch(/reason="DECODER_FAULT"/);
    expect((await httpGet(`http://127.0.0.1:${ingest.opsPort}/healthz`)).status).toBe(200);
    expect(await storedFlowCount(tenant.id)).toBeGreaterThanOrEqual(10);
    expect(await ingest.stop()).toBe(0);
  });
});
