import { DomainException, ErrorCode, type ActorDto } from '@clarion/contracts';
import { NetflowDecoder, SflowDecoder } from '@clarion/netflow';
import { Database } from '@clarion/persistence';
import { TestInfra, testLogger } from '@clarion/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the netflow library's packet builders, test-only by design (libs/netflow/README.md)
import { buildIpfixMessage, buildV5Packet, flowFieldValues, IPFIX_REALISTIC_FIELDS, sampleFlows } from '../../../../libs/netflow/src/testing/packet-builders';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the netflow library's sFlow encoder, test-only by design (libs/netflow/README.md)
import { buildSflowDatagram, sampledFrame, sampledHeaderRecord } from '../../../../libs/netflow/src/testing/sflow-builders';
import { TemplateStore } from '../templates/template-store';
import { ExporterTenantMap, parseExporterTenantMap } from '../tenancy/exporter-tenant-map';
import { DatabaseDirectorySource } from '../tenancy/directory-source';
import { TenantDirectory, type TenantLookup } from '../tenancy/tenant-directory';
import { ExporterQueryService, encodeExporterCursor } from './exporter-query.service';
import { ExporterRegistry } from './exporter-registry';

const NOW = 1_764_000_000_000;

const templatePacket = (sequence: number) =>
  buildIpfixMessage({ exportTimeSecs: NOW / 1000, sequence, observationDomain: 7, sets: [{ kind: 'template', templates: [{ templateId: 400, fields: [...IPFIX_REALISTIC_FIELDS] }] }] });
const dataPacket = (sequence: number) =>
  buildIpfixMessage({
    exportTimeSecs: NOW / 1000,
    sequence,
    observationDomain: 7,
    sets: [{ kind: 'data', templateId: 400, fields: [...IPFIX_REALISTIC_FIELDS], records: sampleFlows(4, sequence + 1, { baseMs: NOW }).map((f) => flowFieldValues(IPFIX_REALISTIC_FIELDS, f)) }],
  });

/** Exporter registry and template persistence against the real PostgreSQL, as ingest's role (clarion_ingest). */
describe('exporter registry and templates (PostgreSQL)', () => {
  const owner = new Client({ connectionString: TestInfra.ownerUrl });
  const db = new Database({ url: TestInfra.serviceUrl('ingest'), poolSize: 2, statementTimeoutMs: 5000, applicationName: 'ingest-registry-test' }, testLogger());
  const suffix = `${Date.now().toString(36)}-${process.pid}`;
  const slugA = `reg-a-${suffix}`;
  const slugB = `reg-b-${suffix}`;
  let tenantA: string;
  let tenantB: string;
  let dir: string;
  const actor = (tenantId: string, permissions: ActorDto['permissions'] = ['exporters:read']): ActorDto => ({ kind: 'user', tenantId, id: 'u1', permissions });

  beforeAll(async () => {
    await owner.connect();
    tenantA = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'A') RETURNING id`, [slugA])).rows[0].id;
    tenantB = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'B') RETURNING id`, [slugB])).rows[0].id;
    await db.start();
    dir = await mkdtemp(join(tmpdir(), 'clarion-registry-'));
  });
  afterAll(async () => {
    await db.close();
    await owner.end();
    await rm(dir, { recursive: true, force: true });
  });

  const directory = () => new TenantDirectory(new ExporterTenantMap(parseExporterTenantMap(`10.0.0.0/8=${slugA},192.0.2.0/24=${slugB}`), undefined), new DatabaseDirectorySource(db), join(dir, 'tenants.json'), testLogger());

  it('adds counters across flushes, merges decode errors by reason, and keeps each tenant to its exporters', async () => {
    const decoder = new NetflowDecoder();
    const registry = new ExporterRegistry(decoder, new SflowDecoder(), db, testLogger());
    const feed = (exporter: string, tenantId: string, packet: Uint8Array, at: number) => registry.record(exporter, tenantId, decoder.decode(packet, exporter, at), at);
    feed('10.0.0.1', tenantA, templatePacket(0), NOW);
    feed('10.0.0.1', tenantA, dataPacket(0), NOW + 1);
    feed('10.0.0.1', tenantA, new Uint8Array([0, 9, 0]), NOW + 2);
    feed('192.0.2.9', tenantB, dataPacket(0), NOW + 3);
    await registry.flush();
    feed('10.0.0.1', tenantA, dataPacket(4), NOW + 10_000);
    feed('10.0.0.1', tenantA, new Uint8Array([0, 42]), NOW + 10_001);
    await registry.flush();

    const service = new ExporterQueryService(db);
    const a = await service.get({ actor: actor(tenantA), address: '10.0.0.1' });
    expect(a).toMatchObject({
      address: '10.0.0.1',
      firstSeenAt: new Date(NOW).toISOString(),
      lastSeenAt: new Date(NOW + 10_001).toISOString(),
      packets: 5,
      records: 8,
      lostRecords: 0,
      decodeErrors: { TRUNCATED_HEADER: 1, UNSUPPORTED_VERSION: 1 },
    });
    expect(a.domains).toEqual([expect.objectContaining({ version: 10, observationDomain: 7, templates: 1 })]);
    expect((await service.list({ actor: actor(tenantB) })).items.map((e) => e.address)).toEqual(['192.0.2.9']);
    await expect(service.get({ actor: actor(tenantB), address: '10.0.0.1' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  it('registers an sFlow agent under its agent address, its sub-agents as domains of version 105 with their loss', async () => {
    const decoder = new NetflowDecoder();
    const sflow = new SflowDecoder();
    const registry = new ExporterRegistry(decoder, sflow, db, testLogger());
    const frame = sampledFrame({ srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', ipVersion: 4, srcAddress: '10.1.1.1', dstAddress: '10.2.2.2', protocol: 17, srcPort: 1, dstPort: 53, tcpFlags: 0, payloadLength: 20 });
    const datagram = (subAgentId: number, sequence: number, sampleSequences: number[]) =>
      buildSflowDatagram({
        agent: '10.7.7.7',
        subAgentId,
        sequence,
        uptimeMs: 1_000,
        samples: sampleSequences.map((n) => ({ kind: 'flow' as const, sequence: n, sourceIdIndex: 2, samplingRate: 256, samplePool: 0, drops: 0, input: 2, output: 3, records: [sampledHeaderRecord(frame)] })),
      });
    // The datagrams come from another address than the agent's: the agent address names the exporter.
    const feed = (packet: Uint8Array, at: number) => {
      const result = sflow.decode(packet, '10.0.0.250', at);
      registry.record(result.exporter ?? '10.0.0.250', tenantA, result, at);
    };
    feed(datagram(0, 1, [1, 2]), NOW);
    feed(datagram(0, 2, [6]), NOW + 1); // flow samples 3-5 lost
    feed(datagram(1, 1, [1]), NOW + 2);
    await registry.flush();
    const agent = await new ExporterQueryService(db).get({ actor: actor(tenantA), address: '10.7.7.7' });
    expect(agent).toMatchObject({ address: '10.7.7.7', packets: 3, records: 4, lostRecords: 3, samplingRate: 256, decodeErrors: {} });
    expect(agent.domains).toEqual([
      { version: 105, observationDomain: 0, templates: 0, optionsTemplates: 0, samplingRate: 256, lostRecords: 3 },
      { version: 105, observationDomain: 1, templates: 0, optionsTemplates: 0, samplingRate: 256, lostRecords: 0 },
    ]);
  });

  it('pages through exporters in address order with an opaque cursor', async () => {
    const decoder = new NetflowDecoder();
    const registry = new ExporterRegistry(decoder, new SflowDecoder(), db, testLogger());
    const v5 = buildV5Packet({ sysUptimeMs: 1000, unixSecs: NOW / 1000, sequence: 0, records: [] });
    for (const last of [3, 20, 100, 4, 5]) registry.record(`10.9.0.${last}`, tenantA, decoder.decode(v5, `10.9.0.${last}`, NOW), NOW);
    await registry.flush();
    const service = new ExporterQueryService(db);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await service.list({ actor: actor(tenantA), limit: 2, cursor });
      seen.push(...page.items.map((e) => e.address));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.filter((a) => a.startsWith('10.9.'))).toEqual(['10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.20', '10.9.0.100']);
    await expect(service.list({ actor: actor(tenantA), cursor: encodeExporterCursor('not-an-ip') })).rejects.toBeInstanceOf(DomainException);
  });

  it('restores persisted templates into a fresh decoder, for exporters that still map to the same tenant', async () => {
    const tenants = directory();
    await tenants.refresh();
    const first = new NetflowDecoder();
    const store = new TemplateStore(first, db, tenants, testLogger());
    for (const [exporter, tenantId] of [
      ['10.0.0.77', tenantA],
      ['192.0.2.77', tenantB],
    ] as const) {
      expect(first.decode(templatePacket(0), exporter, NOW).templatesChanged).toBe(true);
      store.markChanged(exporter, tenantId);
    }
    await store.flush();
    expect(store.pending).toBe(0);

    const restarted = new NetflowDecoder();
    const outcome = await new TemplateStore(restarted, db, tenants, testLogger()).restore();
    expect(outcome.rejected).toBe(0);
    expect(outcome.templates).toBeGreaterThanOrEqual(2);
    // Data with no template in the packet decodes at once after the restart.
    expect(restarted.decode(dataPacket(0), '10.0.0.77', NOW).records).toHaveLength(4);
    expect(restarted.decode(dataPacket(0), '192.0.2.77', NOW).records).toHaveLength(4);

    // A withdrawal is persisted too: the exporter's stored templates become exactly the decoder's.
    first.decode(buildIpfixMessage({ exportTimeSecs: NOW / 1000, sequence: 4, observationDomain: 7, sets: [{ kind: 'withdrawal', templateIds: [400] }] }), '10.0.0.77', NOW);
    store.markChanged('10.0.0.77', tenantA);
    await store.flush();
    const again = new NetflowDecoder();
    await new TemplateStore(again, db, tenants, testLogger()).restore();
    expect(again.decode(dataPacket(0), '10.0.0.77', NOW).records).toHaveLength(0);
  });

  it('refuses exporters without a tenant, and tenants that do not exist, naming the reason', async () => {
    const tenants = new TenantDirectory(new ExporterTenantMap(parseExporterTenantMap(`10.0.0.0/8=missing-${suffix}`), undefined), new DatabaseDirectorySource(db), join(dir, 't2.json'), testLogger());
    await tenants.refresh();
    // First sight: an unknown address's registration and an unknown slug are looked up before anything is refused.
    const settled = async (answer: TenantLookup) => ('pending' in answer ? answer.pending : undefined);
    await settled(tenants.lookup('192.0.2.1'));
    expect(tenants.lookup('192.0.2.1')).toEqual({ refused: 'no_tenant' });
    await settled(tenants.lookup('10.1.1.1'));
    expect(tenants.lookup('10.1.1.1')).toEqual({ refused: 'tenant_unresolved', slug: `missing-${suffix}` });
    const known = directory();
    await known.refresh();
    expect(known.lookup('10.1.1.1')).toEqual({ tenantId: tenantA, slug: slugA });
    // The cache file lets a collector that boots without PostgreSQL still map its exporters.
    const offline = new TenantDirectory(new ExporterTenantMap(parseExporterTenantMap(`10.0.0.0/8=${slugA}`), undefined), new DatabaseDirectorySource(db), join(dir, 'tenants.json'), testLogger());
    await offline.loadCache();
    expect(offline.lookup('10.1.1.1')).toEqual({ tenantId: tenantA, slug: slugA });
  });
});
