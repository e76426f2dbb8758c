import { httpGet, metricValue, waitFor } from '@clarion/testing';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the netflow library's packet builders, test-only by design (libs/netflow/README.md)
import { buildV5Packet } from '../../../libs/netflow/src/testing/packet-builders';
import { bearer, call, createAdminWithCli, login, RELAXED_LIMITS, randomClientAddress, speakFrom, startStack, type GatewayStack } from './support/gateway-stack';

/**
 * Tenants and exporters managed through the API, applied by ingest at once (issue 13, item 5): the built gateway,
 * auth, ingest and clustering on a private NATS. Ingest starts with no exporter mapping at all (no
 * INGEST_EXPORTER_TENANTS, no INGEST_DEFAULT_TENANT), so every flow it stores is there because of the API: a tenant
 * a superadmin created after ingest started, an exporter its admin registered, decoded within a second; disabling
 * the exporter and suspending the tenant take effect within a second too, through the events (ingest's periodic
 * refresh is 30 s away).
 */

const strongPassword = () => `e2e-${randomBytes(9).toString('base64url')}-Harbor-57`;

/** Sends datagrams to the ingest port from `source` (a loopback address of its own: an exporter nobody else uses). */
async function sendFrom(source: string, port: number, packets: readonly Uint8Array[]): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => socket.bind({ address: source, port: 0 }, () => resolve()).once('error', reject));
  try {
    for (const p of packets) await new Promise<void>((done, fail) => socket.send(p, port, '127.0.0.1', (err) => (err ? fail(err) : done())));
  } finally {
    socket.close();
  }
}

/** A NetFlow v5 packet of `count` flows that ended a minute ago, with no sampling interval in its header. */
function v5(sequence: number, count: number, srcPort: number): Uint8Array {
  const uptime = 3_600_000;
  return buildV5Packet({
    sysUptimeMs: uptime,
    unixSecs: Math.floor(Date.now() / 1000),
    sequence,
    records: Array.from({ length: count }, (_, i) => ({
      srcAddress: `10.50.0.${i + 1}`,
      dstAddress: '10.50.1.1',
      inputInterface: 1,
      outputInterface: 2,
      packets: 3,
      bytes: 1500,
      firstUptimeMs: uptime - 62_000,
      lastUptimeMs: uptime - 60_000,
      srcPort: srcPort + i,
      dstPort: 443,
      tcpFlags: 0x1b,
      protocol: 6,
    })),
  });
}

describe('tenants and exporters through the API, applied by ingest within a second', () => {
  let stack: GatewayStack;
  let base = '';
  const run = randomUUID().slice(0, 8);
  const platform = { slug: `platform-${run}`, email: `root@platform-${run}.e2e.example`, password: strongPassword() };
  const acme = { slug: `acme-${run}`, email: `admin@acme-${run}.e2e.example`, password: strongPassword(), id: '' };
  // 127.0.0.0/8 is loopback on Linux: an address of its own, so no other suite's registration or mapping touches it.
  const exporter = `127.${randomInt(20, 250)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  let superToken = '';
  let adminToken = '';
  let sequence = 0;
  let nextPort = 20_000;
  /** How long each change took to apply, from the first packet after the answer (printed at the end). */
  const took: Record<string, number> = {};

  const ingestMetric = async (name: string, labels: Record<string, string> = {}) => metricValue(String((await httpGet(`http://127.0.0.1:${stack.opsPortOf.ingest}/metrics`)).body), name, labels);
  const decoded = () => ingestMetric('clarion_ingest_records_total', { exporter });
  const refused = (reason: string) => ingestMetric('clarion_ingest_packets_refused_total', { reason });

  /** Sends a packet every 50 ms until `until` holds; the time from the first packet, in ms. */
  async function sendUntil(until: () => Promise<boolean>, limitMs = 5_000): Promise<number> {
    const started = Date.now();
    for (;;) {
      await sendFrom(exporter, stack.ingestUdpPort!, [v5(sequence, 2, nextPort)]);
      sequence += 2;
      nextPort += 2;
      if (await until()) return Date.now() - started;
      if (Date.now() - started > limitMs) throw new Error(`not within ${limitMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    speakFrom(randomClientAddress());
    createAdminWithCli(platform.slug, platform.email, platform.password, 'superadmin');
    stack = await startStack({ gatewayEnv: { ...RELAXED_LIMITS, HTTP_TRUST_PROXY: 'true' }, authEnv: { LOGIN_IP_LIMIT_PER_MIN: '100000' }, ingest: {}, clustering: true });
    base = stack.bases[0]!;
    superToken = (await login(base, platform.slug, platform.email, platform.password)).accessToken;
  });

  afterAll(async () => {
    process.stdout.write(`applied within (ms): ${JSON.stringify(took)}\n`);
    await stack?.stop();
  });

  it('refuses an exporter nobody registered (no mapping at all), after looking it up once', async () => {
    const before = await refused('no_tenant');
    await sendFrom(exporter, stack.ingestUdpPort!, [v5(sequence++, 1, 10_000)]);
    await waitFor(async () => (await refused('no_tenant')) > before, 5_000, 'the packet to be refused');
    expect(await decoded()).toBe(0);
    expect(await ingestMetric('clarion_ingest_tenant_lookups_total', { kind: 'address', outcome: 'absent' })).toBeGreaterThanOrEqual(1);
  });

  it('decodes, within a second, the flows of an exporter registered through the API in a tenant created through the API', async () => {
    const created = await call(base, '/api/v1/tenants', { method: 'POST', headers: bearer(superToken), body: { slug: acme.slug, name: 'Acme' } });
    expect(created.status).toBe(201);
    acme.id = (created.json as { id: string }).id;
    createAdminWithCli(acme.slug, acme.email, acme.password);
    adminToken = (await login(base, acme.slug, acme.email, acme.password)).accessToken;
    const site = await call(base, '/api/v1/sites', { method: 'POST', headers: bearer(adminToken), body: { name: 'Main Campus', kind: 'campus' } });
    expect(site.status).toBe(201);

    const refusedBefore = (await refused('no_tenant')) + (await refused('tenant_unresolved'));
    const registered = await call(base, '/api/v1/exporters', {
      method: 'POST',
      headers: bearer(adminToken),
      body: { address: exporter, name: 'branch-router', siteId: (site.json as { id: string }).id, samplingOverride: 100 },
    });
    expect(registered.status).toBe(201);
    expect(registered.json).toMatchObject({ address: exporter, name: 'branch-router', samplingOverride: 100, enabled: true, firstSeenAt: null });
    took['registered'] = await sendUntil(async () => (await decoded()) >= 2);
    expect(took['registered']).toBeLessThan(1_000);
    expect((await refused('no_tenant')) + (await refused('tenant_unresolved'))).toBe(refusedBefore);

    // Stored for the tenant, with the registration's sampling rate (the v5 header announced none).
    const from = new Date(Date.now() - 3_600_000).toISOString();
    await waitFor(
      async () => ((await call(base, '/api/v1/flows', { headers: bearer(adminToken), query: { from, exporter } })).json as { items: unknown[] }).items.length >= 2,
      5_000,
      'the flows to be queryable',
    );
    const flows = (await call(base, '/api/v1/flows', { headers: bearer(adminToken), query: { from, exporter } })).json as { items: Array<{ exporter: string; samplingRate: number }> };
    expect(new Set(flows.items.map((f) => [f.exporter, f.samplingRate].join()))).toEqual(new Set([`${exporter},100`]));
    await waitFor(async () => ((await call(base, `/api/v1/exporters/${exporter}`, { headers: bearer(adminToken) })).json as { firstSeenAt: string | null }).firstSeenAt !== null, 5_000, 'the registry to show it seen');
  });

  it('refuses the exporter within a second of disabling it, and decodes it again within a second of enabling it', async () => {
    const before = await refused('exporter_disabled');
    expect((await call(base, `/api/v1/exporters/${exporter}`, { method: 'PATCH', headers: bearer(adminToken), body: { enabled: false } })).status).toBe(200);
    took['disabled'] = await sendUntil(async () => (await refused('exporter_disabled')) > before);
    expect(took['disabled']).toBeLessThan(1_000);
    const decodedBefore = await decoded();
    expect((await call(base, `/api/v1/exporters/${exporter}`, { method: 'PATCH', headers: bearer(adminToken), body: { enabled: true } })).status).toBe(200);
    took['enabled'] = await sendUntil(async () => (await decoded()) > decodedBefore);
    expect(took['enabled']).toBeLessThan(1_000);
  });

  it("suspends the tenant: its flows are refused within a second, its admin's token and sign-in at once; resuming restores both", async () => {
    const before = await refused('tenant_suspended');
    const suspended = await call(base, `/api/v1/tenants/${acme.id}`, { method: 'PATCH', headers: bearer(superToken), body: { status: 'suspended' } });
    expect(suspended.json).toMatchObject({ id: acme.id, status: 'suspended' });
    took['suspended'] = await sendUntil(async () => (await refused('tenant_suspended')) > before);
    expect(took['suspended']).toBeLessThan(1_000);
    await waitFor(async () => (await call(base, '/api/v1/exporters', { headers: bearer(adminToken) })).status === 401, 2_000, 'the session to be refused');
    expect((await call(base, '/api/v1/auth/login', { method: 'POST', body: { tenant: acme.slug, email: acme.email, password: acme.password } })).status).toBe(401);

    expect((await call(base, `/api/v1/tenants/${acme.id}`, { method: 'PATCH', headers: bearer(superToken), body: { status: 'active' } })).status).toBe(200);
    const decodedBefore = await decoded();
    took['resumed'] = await sendUntil(async () => (await decoded()) > decodedBefore);
    expect(took['resumed']).toBeLessThan(1_000);
    adminToken = (await login(base, acme.slug, acme.email, acme.password)).accessToken;
    // Both tenants' audit logs say who did it.
    const audit = (await call(base, '/api/v1/audit', { headers: bearer(adminToken), query: { action: 'tenant.status_change', limit: '10' } })).json as { items: Array<{ details: Record<string, unknown> }> };
    expect(audit.items.map((e) => [e.details['from'], e.details['to']])).toEqual([
      ['suspended', 'active'],
      ['active', 'suspended'],
    ]);
  });

  it('unregisters the exporter: its packets are refused again, its counters stay', async () => {
    const before = await refused('no_tenant');
    const gone = await call(base, `/api/v1/exporters/${exporter}`, { method: 'DELETE', headers: bearer(adminToken) });
    expect(gone.json).toMatchObject({ address: exporter, name: 'branch-router' });
    took['unregistered'] = await sendUntil(async () => (await refused('no_tenant')) > before);
    expect(took['unregistered']).toBeLessThan(1_000);
    expect(((await call(base, `/api/v1/exporters/${exporter}`, { headers: bearer(adminToken) })).json as { registeredAt: string | null; records: number })).toMatchObject({ registeredAt: null });
  });
});
