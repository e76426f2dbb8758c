import { ServiceRole, serviceKey } from '@clarion/clustering-core';
import { ENDPOINT_SORT_FIELDS, ErrorCode, type ActorDto, type EndpointDto, type ListEndpointsRequestDto, type Permission } from '@clarion/contracts';
import { Database } from '@clarion/persistence';
import { TestInfra, testLogger } from '@clarion/testing';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { ClusterQueryService } from '../clusters/cluster-query.service';
import { encodeCursor } from '../shared/page-cursor';
import { QueryMetrics } from '../shared/query-metrics';
import { seedCluster, seedEndpoint, seedMembership, seedSgt, seedTenant } from '../testing/query-seed';
import { EndpointQueryService } from './endpoint-query.service';

interface Seeded {
  key: string;
  flows: number;
  lastSeenMs: number | null;
  confidence: number;
}

/** Endpoint and cluster queries against the real PostgreSQL, as clustering's role (row-level security on). */
describe('endpoint and cluster queries (PostgreSQL)', () => {
  const superuser = new Client({ connectionString: TestInfra.superuserUrl });
  const db = new Database({ url: TestInfra.serviceUrl('clustering'), poolSize: 2, statementTimeoutMs: 10_000, applicationName: 'clustering-query-test' }, testLogger());
  const endpoints = new EndpointQueryService(db, new QueryMetrics(new Registry()), testLogger());
  const clusters = new ClusterQueryService(db);
  const suffix = `${Date.now().toString(36)}-${process.pid}`;
  let tenantA: string;
  let tenantB: string;
  const seededA: Seeded[] = [];
  const actor = (tenantId: string, permissions: Permission[] = ['endpoints:read', 'clusters:read']): ActorDto => ({ kind: 'user', tenantId, id: 'u-1', permissions });

  beforeAll(async () => {
    await superuser.connect();
    tenantA = await seedTenant(superuser, `eq-a-${suffix}`);
    tenantB = await seedTenant(superuser, `eq-b-${suffix}`);
    const printerSummary = {
      size: 6,
      served: [
        { protocol: 6, port: 9100, service: 'tcp/9100', memberShare: 1, flowShare: 0.7 },
        { protocol: 17, port: 161, service: 'udp/161', memberShare: 0.8, flowShare: 0.2 },
      ],
      used: [{ protocol: 17, port: 53, service: 'udp/53', memberShare: 0.5, flowShare: 0.05 }],
    };
    await seedCluster(superuser, tenantA, { id: 'c-print', label: 'Printers: 100 % offer tcp/9100', size: 6, summary: printerSummary });
    await seedCluster(superuser, tenantA, { id: 'c-web', label: 'Servers offering tcp/443', size: 6 });
    await seedCluster(superuser, tenantA, { id: 'c-cam', label: 'Cameras', size: 3 });
    await seedCluster(superuser, tenantA, { id: 'c-old', label: 'Retired', size: 40, retired: true });
    await seedSgt(superuser, tenantA, 20, 'PRINTERS', 'c-print');
    await seedSgt(superuser, tenantA, 30, 'QUARANTINE');

    // 6 printers, 6 web servers, 3 cameras, 5 unassigned workstations; some MAC-keyed, some never seen.
    const plan: Array<{ key: string; address: string; mac?: string; role: string; cluster: string | null; confidence: number; band: string; lastSeenMs?: number | null }> = [];
    for (let i = 1; i <= 6; i++) plan.push({ key: `ip:10.1.0.${i}`, address: `10.1.0.${i}`, role: 'printer', cluster: 'c-print', confidence: i <= 3 ? 0.75 : 0.9375, band: i <= 3 ? 'high' : 'very_high' });
    for (let i = 1; i <= 6; i++) {
      const mac = `aa:bb:cc:00:00:0${i}`;
      plan.push({ key: `mac:${mac}`, address: `10.2.0.${i}`, mac, role: 'web-server', cluster: 'c-web', confidence: 0.5, band: 'medium', lastSeenMs: i === 6 ? null : undefined });
    }
    for (let i = 1; i <= 3; i++) plan.push({ key: `ip:10.3.0.${i}`, address: `10.3.0.${i}`, role: 'camera', cluster: 'c-cam', confidence: 0.25, band: 'very_low' });
    for (let i = 1; i <= 5; i++) plan.push({ key: `ip:10.4.0.${i}`, address: `10.4.0.${i}`, role: 'workstation', cluster: null, confidence: 0, band: 'very_low', lastSeenMs: i === 5 ? null : undefined });
    // Keys with LIKE metacharacters in them, to show they match only literally.
    plan.push({ key: 'ip:lit%_x', address: '10.9.0.1', role: 'iot-sensor', cluster: null, confidence: 0, band: 'very_low' });
    plan.push({ key: 'ip:litAAx', address: '10.9.0.2', role: 'iot-sensor', cluster: null, confidence: 0, band: 'very_low' });
    let seed = 1;
    for (const p of plan) {
      const flows = await seedEndpoint(superuser, tenantA, { key: p.key, address: p.address, mac: p.mac, role: p.role, seed: seed++, lastSeenMs: p.lastSeenMs });
      if (p.cluster !== null || p.key.startsWith('ip:10.4.0.1')) {
        await seedMembership(superuser, tenantA, { key: p.key, clusterId: p.cluster, confidence: p.confidence, band: p.band });
      }
      const lastSeen = await superuser.query(`SELECT (extract(epoch FROM last_seen_at) * 1000)::float8 AS ms FROM endpoint_profiles WHERE tenant_id = $1 AND endpoint_key = $2`, [tenantA, p.key]);
      seededA.push({ key: p.key, flows, lastSeenMs: lastSeen.rows[0].ms, confidence: p.confidence });
    }
    // Manual overrides: one printer to QUARANTINE, one web server to PRINTERS.
    await superuser.query(
      `UPDATE endpoint_memberships SET override_sgt = $3, override_by = 'u-9', override_reason = 'seed', override_at = now() WHERE tenant_id = $1 AND endpoint_key = $2`,
      [tenantA, 'ip:10.1.0.6', 30],
    );
    await superuser.query(
      `UPDATE endpoint_memberships SET override_sgt = $3, override_by = 'u-9', override_reason = NULL, override_at = now() WHERE tenant_id = $1 AND endpoint_key = $2`,
      [tenantA, 'mac:aa:bb:cc:00:00:01', 20],
    );
    // Identity imported by IP for a MAC-keyed endpoint, and by key for a printer.
    await superuser.query(
      `INSERT INTO endpoint_identities (tenant_id, endpoint_key, device_type, user_name, groups) VALUES ($1, 'ip:10.2.0.2', 'server', NULL, '{Servers}'), ($1, 'ip:10.1.0.1', 'printer', 'print-svc', '{Printers,Floor2}')`,
      [tenantA],
    );

    // Tenant B: a key that also exists in A, and keys only B has.
    await seedEndpoint(superuser, tenantB, { key: 'ip:10.1.0.1', address: '10.1.0.1', role: 'camera', seed: 99 });
    await seedEndpoint(superuser, tenantB, { key: 'ip:10.200.0.1', address: '10.200.0.1', role: 'camera', seed: 98 });
    await seedCluster(superuser, tenantB, { id: 'c-print', label: 'B printers', size: 99 });
    await db.start();
  });
  afterAll(async () => {
    await db.close();
    await superuser.end();
  });

  /** A page as the gateway's client reads it: the JSON text the service answers, parsed. */
  const listPage = async (request: ListEndpointsRequestDto) => (await endpoints.list(request)).parse();

  async function walk(request: Omit<ListEndpointsRequestDto, 'actor' | 'cursor'>, limit = 4): Promise<EndpointDto[]> {
    const seen: EndpointDto[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = await listPage({ actor: actor(tenantA), ...request, limit, cursor });
      expect(page.items.length).toBeLessThanOrEqual(limit);
      seen.push(...page.items);
      if (page.nextCursor === null) return seen;
      cursor = page.nextCursor;
    }
    throw new Error('the cursor walk did not end');
  }

  const byKey = (a: Seeded, b: Seeded) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const expectedOrder: Record<(typeof ENDPOINT_SORT_FIELDS)[number], (a: Seeded, b: Seeded) => number> = {
    id: byKey,
    flows: (a, b) => a.flows - b.flows || byKey(a, b),
    lastSeen: (a, b) => (a.lastSeenMs ?? -1) - (b.lastSeenMs ?? -1) || byKey(a, b),
    confidence: (a, b) => a.confidence - b.confidence || byKey(a, b),
  };

  it.each(ENDPOINT_SORT_FIELDS.flatMap((sort) => (['asc', 'desc'] as const).map((order) => [sort, order] as const)))(
    'walks every endpoint exactly once, in %s %s order, page by page',
    async (sort, order) => {
      const ids = (await walk({ sort, order })).map((e) => e.id);
      const expected = [...seededA].sort(expectedOrder[sort]).map((s) => s.key);
      if (order === 'desc') expected.reverse();
      expect(ids).toEqual(expected);
    },
  );

  it('filters by cluster, effective SGT, band, unassigned and overridden', async () => {
    const keys = async (request: Omit<ListEndpointsRequestDto, 'actor' | 'cursor'>) => (await walk(request, 50)).map((e) => e.id).sort();
    expect(await keys({ clusterId: 'c-print' })).toEqual([1, 2, 3, 4, 5, 6].map((i) => `ip:10.1.0.${i}`));
    // Printers without another override, plus the web server overridden to PRINTERS; not the printer moved to QUARANTINE.
    expect(await keys({ sgt: 20 })).toEqual(['ip:10.1.0.1', 'ip:10.1.0.2', 'ip:10.1.0.3', 'ip:10.1.0.4', 'ip:10.1.0.5', 'mac:aa:bb:cc:00:00:01']);
    expect(await keys({ sgt: 30 })).toEqual(['ip:10.1.0.6']);
    expect(await keys({ band: 'high' })).toEqual(['ip:10.1.0.1', 'ip:10.1.0.2', 'ip:10.1.0.3']);
    expect(await keys({ unassigned: true })).toEqual(['ip:10.4.0.1', 'ip:10.4.0.2', 'ip:10.4.0.3', 'ip:10.4.0.4', 'ip:10.4.0.5', 'ip:lit%_x', 'ip:litAAx']);
    expect(await keys({ overridden: true })).toEqual(['ip:10.1.0.6', 'mac:aa:bb:cc:00:00:01']);
    expect(await keys({ clusterId: 'c-web', overridden: false })).toHaveLength(5);
  });

  it('searches a literal, case-insensitive prefix of the id, the address or the MAC', async () => {
    const keys = async (search: string) => (await walk({ search }, 50)).map((e) => e.id).sort();
    expect(await keys('AA:BB:CC:00:00:0')).toHaveLength(6);
    expect(await keys('10.2.0.3')).toEqual(['mac:aa:bb:cc:00:00:03']);
    expect(await keys('IP:10.3.')).toEqual(['ip:10.3.0.1', 'ip:10.3.0.2', 'ip:10.3.0.3']);
    // As wildcards these would match every printer and the whole tenant; literally they match only the odd key.
    expect(await keys('ip:10.1.0._')).toEqual([]);
    expect(await keys('%')).toEqual([]);
    expect(await keys('ip:lit%_')).toEqual(['ip:lit%_x']);
    expect(await keys('ip:lit_')).toEqual([]);
  });

  it('shows one endpoint with its summary, cluster, effective SGT, override and identity', async () => {
    const printer = await endpoints.get({ actor: actor(tenantA), id: 'ip:10.1.0.1' });
    const seeded = seededA.find((s) => s.key === 'ip:10.1.0.1')!;
    expect(printer).toMatchObject({
      id: 'ip:10.1.0.1',
      address: '10.1.0.1',
      mac: null,
      clusterId: 'c-print',
      clusterLabel: 'Printers: 100 % offer tcp/9100',
      sgt: 20,
      sgtName: 'PRINTERS',
      confidence: 0.75,
      band: 'high',
      assignedBy: 'clustering',
      override: null,
      identity: { deviceType: 'printer', user: 'print-svc', groups: ['Printers', 'Floor2'] },
    });
    expect(printer.summary.flows).toBe(seeded.flows);
    expect(printer.summary.flowsAsServer).toBeGreaterThan(printer.summary.flowsAsClient);
    expect(printer.summary.topServices[0]).toMatchObject({ role: 'server', protocol: 6, port: 9100, service: 'jetdirect printing' });

    const web = await endpoints.get({ actor: actor(tenantA), id: 'mac:aa:bb:cc:00:00:01' });
    expect(web).toMatchObject({ mac: 'aa:bb:cc:00:00:01', address: '10.2.0.1', clusterId: 'c-web', sgt: 20, sgtName: 'PRINTERS', identity: null });
    expect(web.override).toMatchObject({ sgt: 20, by: 'u-9', reason: null });
    // The identity imported for its IP address applies to an endpoint keyed by MAC.
    expect((await endpoints.get({ actor: actor(tenantA), id: 'mac:aa:bb:cc:00:00:02' })).identity).toMatchObject({ deviceType: 'server', groups: ['Servers'] });
    const unassigned = await endpoints.get({ actor: actor(tenantA), id: 'ip:10.4.0.2' });
    expect(unassigned).toMatchObject({ clusterId: null, sgt: null, sgtName: null, confidence: 0, band: 'very_low', assignedBy: null, override: null });
  });

  it('returns the summary the flow consumer stored as it is, converts the older form, decodes the profile of a row that has neither', async () => {
    const key = 'ip:10.4.0.2';
    const set = (column: 'api_summary' | 'summary', value: unknown) =>
      superuser.query(`UPDATE endpoint_profiles SET ${column} = $3 WHERE tenant_id = $1 AND endpoint_key = $2`, [tenantA, key, value === null ? null : JSON.stringify(value)]);
    const read = async () => ({
      detail: (await endpoints.get({ actor: actor(tenantA), id: key })).summary,
      inPage: (await listPage({ actor: actor(tenantA), search: '10.4.0.2' })).items.map((e) => e.summary),
    });
    // Neither stored (rows older than both columns): decoded from the profile.
    const decoded = (await read()).detail;
    expect(decoded.flows).toBe(seededA.find((s) => s.key === key)!.flows);
    try {
      // What older consumers stored: the core's EndpointProfileSummary, services as encoded keys.
      const legacy = { ...decoded, flows: 987_654, topServices: [{ key: serviceKey(ServiceRole.SERVER, 6, 443), flows: 41 }] };
      await set('summary', legacy);
      const converted = { ...decoded, flows: 987_654, topServices: [{ role: 'server', protocol: 6, port: 443, service: 'https', flows: 41 }] };
      expect(await read()).toEqual({ detail: converted, inPage: [converted] });
      // What the consumer stores now: the API's summary, embedded by PostgreSQL as stored; it wins over the older one.
      const current = { ...decoded, flows: 123_456 };
      await set('api_summary', current);
      expect(await read()).toEqual({ detail: current, inPage: [current] });
    } finally {
      await set('api_summary', null);
      await set('summary', null);
    }
    expect((await read()).detail).toEqual(decoded);
  });

  it('writes times as Date#toISOString does and the same endpoint in a page as in its detail', async () => {
    const times = await superuser.query(
      `SELECT p.endpoint_key AS key, p.first_seen_at, p.last_seen_at, m.override_at, i.imported_at
       FROM endpoint_profiles p
       LEFT JOIN endpoint_memberships m ON m.tenant_id = p.tenant_id AND m.endpoint_key = p.endpoint_key
       LEFT JOIN endpoint_identities i ON i.tenant_id = p.tenant_id AND i.endpoint_key = p.endpoint_key
       WHERE p.tenant_id = $1`,
      [tenantA],
    );
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    const page = await walk({}, 7);
    expect(page).toHaveLength(seededA.length);
    for (const row of times.rows as Array<{ key: string; first_seen_at: Date | null; last_seen_at: Date | null; override_at: Date | null; imported_at: Date | null }>) {
      const detail = await endpoints.get({ actor: actor(tenantA), id: row.key });
      expect(page.find((e) => e.id === row.key)).toEqual(detail);
      expect([row.key, detail.firstSeenAt, detail.lastSeenAt]).toEqual([row.key, iso(row.first_seen_at), iso(row.last_seen_at)]);
      if (row.override_at !== null) expect([row.key, detail.override?.at]).toEqual([row.key, iso(row.override_at)]);
      if (row.imported_at !== null) expect([row.key, detail.identity?.importedAt]).toEqual([row.key, iso(row.imported_at)]);
    }
    expect(page.filter((e) => e.override !== null)).toHaveLength(2);
    expect(page.filter((e) => e.firstSeenAt === null).length).toBeLessThan(page.length);
  });

  it("never shows another tenant's endpoints or clusters", async () => {
    const all = (await walk({}, 50)).map((e) => e.id);
    expect(all).not.toContain('ip:10.200.0.1');
    expect(all).toHaveLength(seededA.length);
    await expect(endpoints.get({ actor: actor(tenantA), id: 'ip:10.200.0.1' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    const shared = await endpoints.get({ actor: actor(tenantB), id: 'ip:10.1.0.1' });
    expect(shared).toMatchObject({ clusterId: null, sgt: null, identity: null });
    expect(shared.summary.topServices[0]).toMatchObject({ protocol: 6, port: 554 });
    expect((await listPage({ actor: actor(tenantB) })).items.map((e) => e.id).sort()).toEqual(['ip:10.1.0.1', 'ip:10.200.0.1']);
    expect((await clusters.list({ actor: actor(tenantB) })).items.map((c) => [c.id, c.label])).toEqual([['c-print', 'B printers']]);
  });

  it('refuses malformed cursors and cursors of another sort or order', async () => {
    const first = await listPage({ actor: actor(tenantA), sort: 'flows', limit: 2 });
    expect(first.nextCursor).not.toBeNull();
    const cursor = first.nextCursor!;
    await expect(listPage({ actor: actor(tenantA), sort: 'lastSeen', cursor })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    await expect(listPage({ actor: actor(tenantA), sort: 'flows', order: 'desc', cursor })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    await expect(listPage({ actor: actor(tenantA), sort: 'flows', cursor: 'bm90LWpzb24' })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    await expect(listPage({ actor: actor(tenantA), sort: 'flows', cursor: encodeCursor('endpoints:flows:asc', ['12; DROP', 'ip:1']) })).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
    });
    expect((await listPage({ actor: actor(tenantA), sort: 'flows', cursor })).items).toHaveLength(Math.min(50, seededA.length - 2));
  });

  it('lists current clusters largest first with their SGT and services, retired ones only on request', async () => {
    const walkClusters = async (includeRetired: boolean) => {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await clusters.list({ actor: actor(tenantA), includeRetired, limit: 1, cursor });
        ids.push(...page.items.map((c) => c.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return ids;
    };
    expect(await walkClusters(false)).toEqual(['c-print', 'c-web', 'c-cam']);
    expect(await walkClusters(true)).toEqual(['c-old', 'c-print', 'c-web', 'c-cam']);

    const printers = await clusters.get({ actor: actor(tenantA), id: 'c-print' });
    const memberFlows = seededA.filter((s) => s.key.startsWith('ip:10.1.0.')).reduce((sum, s) => sum + s.flows, 0);
    expect(printers).toMatchObject({ id: 'c-print', size: 6, sgt: 20, sgtName: 'PRINTERS', retiredAt: null, jobId: null });
    expect(printers.topServices).toEqual([
      { role: 'server', protocol: 6, port: 9100, service: 'jetdirect printing', share: 1, flows: Math.round(0.7 * memberFlows) },
      { role: 'server', protocol: 17, port: 161, service: 'snmp', share: 0.8, flows: Math.round(0.2 * memberFlows) },
      { role: 'client', protocol: 17, port: 53, service: 'dns', share: 0.5, flows: Math.round(0.05 * memberFlows) },
    ]);
    expect((await clusters.get({ actor: actor(tenantA), id: 'c-web' })).topServices).toEqual([]);
    expect((await clusters.get({ actor: actor(tenantA), id: 'c-old' })).retiredAt).not.toBeNull();
    await expect(clusters.get({ actor: actor(tenantA), id: 'c-none' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  it('requires endpoints:read and clusters:read', async () => {
    await expect(listPage({ actor: actor(tenantA, ['clusters:read']) })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(endpoints.get({ actor: actor(tenantA, ['clusters:read']), id: 'ip:10.1.0.1' })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(clusters.list({ actor: actor(tenantA, ['endpoints:read']) })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(clusters.get({ actor: actor(tenantA, ['endpoints:read']), id: 'c-print' })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
  });
});
