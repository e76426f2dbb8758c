import { ErrorCode, EventSubjects, type ActorDto, type ExporterChangedEvent, type Permission } from '@clarion/contracts';
import { NatsConnectionHolder, natsConnectionOptions } from '@clarion/messaging';
import { Database } from '@clarion/persistence';
import { TestInfra, testLogger, waitFor } from '@clarion/testing';
import { parse } from 'csv-parse/sync';
import { connect, type NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ExporterRepository } from '../data';
import type { IngestEnv } from '../ingest.env';
import { DatabaseDirectorySource } from '../tenancy/directory-source';
import { ExporterTenantMap } from '../tenancy/exporter-tenant-map';
import { TenantDirectory, type TenantLookup } from '../tenancy/tenant-directory';
import { ExporterAdminService } from './exporter-admin.service';
import { ExporterQueryService } from './exporter-query.service';

/** Exporter registrations against the real PostgreSQL (as clarion_ingest) and NATS: the API side and the routing side. */
describe('exporter registrations (PostgreSQL, NATS)', () => {
  const superuser = new Client({ connectionString: TestInfra.superuserUrl });
  const db = new Database({ url: TestInfra.serviceUrl('ingest'), poolSize: 2, statementTimeoutMs: 5000, applicationName: 'exporter-admin-test' }, testLogger());
  const nats = new NatsConnectionHolder(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'exporter-admin-test' }), testLogger());
  const suffix = `${Date.now().toString(36)}-${process.pid}`;
  const slug = { a: `xa-${suffix}`, b: `xb-${suffix}` };
  const tenant = { a: '', b: '' };
  const site = { a: '', b: '' };
  // 172.16.0.0/12 is tenant B's by the operator's configuration.
  const env = { INGEST_EXPORTER_TENANTS: `172.16.0.0/12=${slug.b}` } as IngestEnv;
  const admin = new ExporterAdminService(db, env, nats, testLogger());
  const query = new ExporterQueryService(db);
  const events: ExporterChangedEvent[] = [];
  let listener: NatsConnection;
  let dir: string;
  const actor = (tenantId: string, permissions: Permission[] = ['exporters:read', 'exporters:write']): ActorDto => ({ kind: 'user', tenantId, id: 'u-x', permissions });
  const settled = async (answer: TenantLookup) => ('pending' in answer ? answer.pending : undefined);
  const eventsFor = (address: string) => events.filter((e) => e.address === address);

  beforeAll(async () => {
    await superuser.connect();
    for (const k of ['a', 'b'] as const) {
      tenant[k] = (await superuser.query(`INSERT INTO tenants (slug, name) VALUES ($1, $1) RETURNING id`, [slug[k]])).rows[0].id;
      site[k] = (await superuser.query(`INSERT INTO sites (tenant_id, name, kind) VALUES ($1, 'HQ', 'campus') RETURNING id`, [tenant[k]])).rows[0].id;
    }
    await db.start();
    await nats.start();
    listener = await connect(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'exporter-admin-listener' }));
    listener.subscribe(EventSubjects.exportersChanged, { callback: (_err, msg) => events.push(JSON.parse(Buffer.from(msg.data).toString('utf8')) as ExporterChangedEvent) });
    await listener.flush();
    dir = await mkdtemp(join(tmpdir(), 'clarion-exporter-admin-'));
  });
  afterAll(async () => {
    await listener.close();
    await nats.close();
    await db.close();
    await superuser.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('registers, changes and unregisters an exporter, announcing each change', async () => {
    const a = actor(tenant.a);
    const registered = await admin.register({ actor: a, address: '198.51.100.10', name: 'core-sw-1', siteId: site.a, samplingOverride: 100 });
    expect(registered).toMatchObject({ address: '198.51.100.10', name: 'core-sw-1', siteId: site.a, samplingOverride: 100, enabled: true, firstSeenAt: null, packets: 0 });
    expect(registered.registeredAt).toEqual(expect.any(String));
    expect((await query.list({ actor: a })).items.map((e) => e.address)).toContain('198.51.100.10');
    const disabled = await admin.update({ actor: a, address: '198.51.100.10', enabled: false, name: null });
    expect(disabled).toMatchObject({ enabled: false, name: null, siteId: site.a, samplingOverride: 100 });
    expect(await admin.unregister({ actor: a, address: '198.51.100.10' })).toMatchObject({ address: '198.51.100.10', enabled: false });
    await expect(query.get({ actor: a, address: '198.51.100.10' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(admin.unregister({ actor: a, address: '198.51.100.10' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(admin.update({ actor: a, address: '198.51.100.10', enabled: true })).rejects.toMatchObject({ code: ErrorCode.NotFound });

    await waitFor(() => eventsFor('198.51.100.10').length === 3, 5_000, 'three exporter events');
    expect(eventsFor('198.51.100.10').map((e) => [e.tenantId, e.registration])).toEqual([
      [tenant.a, { enabled: true, samplingOverride: 100 }],
      [tenant.a, { enabled: false, samplingOverride: 100 }],
      [tenant.a, null],
    ]);
  });

  it('keeps the counters of an exporter that sent flows when its registration goes, and names addresses canonically', async () => {
    const a = actor(tenant.a);
    await db.withTenant(tenant.a, (m) =>
      new ExporterRepository(m).recordActivity(tenant.a, [
        { address: '2001:db8::7', firstSeenMs: 1_764_000_000_000, lastSeenMs: 1_764_000_001_000, packets: 5, records: 9, lostRecords: 0, decodeErrors: {}, samplingRate: null, domains: [], samplingState: [] },
      ]),
    );
    expect(await admin.register({ actor: a, address: '2001:DB8:0:0::7', name: 'edge-v6' })).toMatchObject({ address: '2001:db8::7', packets: 5, records: 9, name: 'edge-v6' });
    await admin.unregister({ actor: a, address: '2001:db8::7' });
    expect(await query.get({ actor: a, address: '2001:db8::7' })).toMatchObject({ packets: 5, registeredAt: null, name: null, enabled: true });
    expect((await admin.register({ actor: a, address: '::ffff:198.51.100.20' })).address).toBe('198.51.100.20');
  });

  it('gives an address to one tenant only, honours the configuration, and checks the site is the tenant\'s', async () => {
    await admin.register({ actor: actor(tenant.a), address: '198.51.100.30' });
    await expect(admin.register({ actor: actor(tenant.b), address: '198.51.100.30' })).rejects.toMatchObject({ code: ErrorCode.Conflict, details: [{ field: 'address' }] });
    await expect(query.get({ actor: actor(tenant.b), address: '198.51.100.30' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(admin.unregister({ actor: actor(tenant.b), address: '198.51.100.30' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(admin.register({ actor: actor(tenant.a), address: '172.20.0.1' })).rejects.toMatchObject({ code: ErrorCode.Conflict });
    expect(await admin.register({ actor: actor(tenant.b), address: '172.20.0.1', siteId: site.b })).toMatchObject({ siteId: site.b });
    await expect(admin.register({ actor: actor(tenant.a), address: '198.51.100.31', siteId: site.b })).rejects.toMatchObject({ code: ErrorCode.NotFound, details: [{ field: 'siteId' }] });
    await expect(admin.register({ actor: actor(tenant.a), address: '198.51.100.31', siteId: randomUUID() })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(admin.register({ actor: actor(tenant.a, ['exporters:read']), address: '198.51.100.32' })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
  });

  it('routes a registration made after the directory loaded: through the event, or on first sight without it', async () => {
    const source = new DatabaseDirectorySource(db);
    const viaEvent = new TenantDirectory(new ExporterTenantMap([], undefined), source, join(dir, 'event.json'), testLogger());
    const viaLookup = new TenantDirectory(new ExporterTenantMap([], undefined), source, join(dir, 'lookup.json'), testLogger());
    await viaEvent.refresh();
    await viaLookup.refresh();
    await settled(viaEvent.lookup('198.51.100.40'));
    expect(viaEvent.lookup('198.51.100.40')).toEqual({ refused: 'no_tenant' });

    await admin.register({ actor: actor(tenant.b), address: '198.51.100.40', samplingOverride: 512 });
    await waitFor(() => eventsFor('198.51.100.40').length === 1, 5_000, 'the registration event');
    viaEvent.applyExporterEvent(eventsFor('198.51.100.40')[0]!);
    expect(viaEvent.lookup('198.51.100.40')).toEqual({ tenantId: tenant.b, slug: slug.b });
    // The other instance missed the event: the first packet's lookup finds the registration.
    const first = viaLookup.lookup('198.51.100.40');
    expect('pending' in first).toBe(true);
    await settled(first);
    expect(viaLookup.lookup('198.51.100.40')).toEqual({ tenantId: tenant.b, slug: slug.b });
    // And the periodic refresh reads every registration, across tenants.
    const fresh = new TenantDirectory(new ExporterTenantMap([], undefined), source, join(dir, 'fresh.json'), testLogger());
    await fresh.refresh();
    expect(fresh.lookup('198.51.100.40', false)).toEqual({ tenantId: tenant.b, slug: slug.b });
    expect(fresh.lookup('198.51.100.30', false)).toEqual({ tenantId: tenant.a, slug: slug.a });
    expect(fresh.tenants().map((t) => t.tenantId)).toEqual(expect.arrayContaining([tenant.a, tenant.b]));
  });

  it('imports registrations all or nothing with a reason per line, and exports them so that they import back unchanged', async () => {
    const a = actor(tenant.a);
    const missingSite = randomUUID();
    const bad = [
      'address,name,site_id,sampling_override,enabled',
      `198.51.100.50,dist-1,${site.a},1000,true`, // line 2: fine
      `198.51.100.51,dist-2,${missingSite},,`, // line 3: no such site
      '198.51.100.30,taken,,,', // line 4: A's own already: fine (an update)
      '172.16.5.5,ruled,,,', // line 5: B's by configuration
      '198.51.100.40,theirs,,,', // line 6: registered by B
      'not-an-ip,x,,,', // line 7
      '198.51.100.52,x,,0,', // line 8: bad rate
      '198.51.100.53,x,,,maybe', // line 9: bad flag
      '198.51.100.50,again,,,', // line 10: duplicate
    ].join('\r\n');
    const refused = await admin.import({ actor: a, format: 'csv', content: bad });
    expect(refused).toMatchObject({ kind: 'exporters', applied: false, records: 9, rejectedCount: 7 });
    expect(refused.rejected.map((r) => [r.at, r.reason])).toEqual([
      [3, expect.stringContaining(`no site ${missingSite}`)],
      [5, expect.stringMatching(/INGEST_EXPORTER_TENANTS gives 172\.16\.5\.5 to another tenant/)],
      [6, expect.stringMatching(/another tenant has registered 198\.51\.100\.40/)],
      [7, expect.stringMatching(/is not an IPv4 or IPv6 address/)],
      [8, expect.stringMatching(/sampling_override must be a 1-in-N rate/)],
      [9, expect.stringMatching(/enabled must be true or false/)],
      [10, expect.stringMatching(/is also on line 2/)],
    ]);
    await expect(query.get({ actor: a, address: '198.51.100.50' })).rejects.toMatchObject({ code: ErrorCode.NotFound });

    const good = JSON.stringify([
      { address: '198.51.100.50', name: 'dist-1', siteId: site.a, samplingOverride: 1000, enabled: true },
      { address: '198.51.100.54', name: '=cmd|calc', enabled: false },
    ]);
    expect(await admin.import({ actor: a, format: 'json', content: good, dryRun: true })).toMatchObject({ dryRun: true, applied: false, created: 2, rejectedCount: 0 });
    await expect(query.get({ actor: a, address: '198.51.100.54' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    expect(await admin.import({ actor: a, format: 'json', content: good })).toMatchObject({ applied: true, created: 2, updated: 0 });
    expect(await query.get({ actor: a, address: '198.51.100.50' })).toMatchObject({ name: 'dist-1', siteId: site.a, samplingOverride: 1000, enabled: true });
    await waitFor(() => eventsFor('198.51.100.54').length === 1, 5_000, 'an event per imported registration');

    for (const format of ['csv', 'json'] as const) {
      const exported = await admin.export({ actor: a, format });
      const again = await admin.import({ actor: a, format, content: exported.content });
      expect({ format, ...again }).toMatchObject({ format, applied: true, created: 0, updated: 0, unchanged: exported.records, rejectedCount: 0 });
    }
    const rows = parse((await admin.export({ actor: a, format: 'csv' })).content, { columns: true }) as Array<Record<string, string>>;
    expect(rows.find((r) => r['address'] === '198.51.100.54')).toEqual({ address: '198.51.100.54', name: "'=cmd|calc", site_id: '', sampling_override: '', enabled: 'false' });
    // Another tenant's registrations are not in the export.
    expect(rows.map((r) => r['address'])).not.toContain('198.51.100.40');
  });
});
