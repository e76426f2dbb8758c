import { ErrorCode, type ActorDto, type Permission } from '@clarion/contracts';
import { IP_PROTOCOL } from '@clarion/clustering-core';
import { Database } from '@clarion/persistence';
import { TestInfra, testLogger } from '@clarion/testing';
import { Client } from 'pg';
import { ClusteringEnv } from '../../clustering.env';
import { seedCluster, seedEdges, seedMembership, seedSgt, seedTenant, type SeedEdge } from '../testing/query-seed';
import { PolicyService } from './policy.service';

const TCP = IP_PROTOCOL.TCP;
const UDP = IP_PROTOCOL.UDP;
const T0 = Date.UTC(2025, 0, 6, 9);

/** Policy matrix, SGACL export and impact analysis over edges and memberships in the real PostgreSQL. */
describe('policy matrix, SGACLs and impact (PostgreSQL)', () => {
  const superuser = new Client({ connectionString: TestInfra.superuserUrl });
  const db = new Database({ url: TestInfra.serviceUrl('clustering'), poolSize: 2, statementTimeoutMs: 10_000, applicationName: 'clustering-policy-test' }, testLogger());
  const service = new PolicyService(db, new ClusteringEnv());
  const suffix = `${Date.now().toString(36)}-${process.pid}`;
  let tenantA: string;
  let tenantB: string;
  const actor = (tenantId: string, permissions: Permission[] = ['policy:read']): ActorDto => ({ kind: 'user', tenantId, id: 'u-3', permissions });

  const edge = (client: string, server: string, protocol: number, port: number, flows: number, extra: Partial<SeedEdge> = {}): SeedEdge => ({
    client,
    server,
    protocol,
    port,
    flows,
    bytes: flows * 100,
    firstSeenMs: T0,
    lastSeenMs: T0 + flows * 1000,
    ...extra,
  });
  const edgesA: SeedEdge[] = [
    edge('ip:10.4.0.1', 'ip:10.0.0.53', UDP, 53, 500),
    edge('ip:10.4.0.2', 'ip:10.0.0.53', UDP, 53, 300, { firstSeenMs: T0 - 60_000 }),
    edge('ip:10.4.0.1', 'ip:10.0.0.53', TCP, 88, 100),
    edge('ip:10.4.0.1', 'mac:00:11:22:33:44:55', TCP, 9100, 20),
    // An endpoint no run has placed: Unknown.
    edge('ip:10.7.7.7', 'ip:10.0.0.53', UDP, 53, 7),
    // The exporter tagged the client 30: the tag wins over the membership (STAFF).
    edge('ip:10.4.0.2', 'ip:10.0.0.53', TCP, 445, 40, { clientTag: 30 }),
    // A tag of 0 is Unknown, not a tag: the membership decides.
    edge('ip:10.4.0.1', 'ip:10.0.0.53', UDP, 123, 5, { serverTag: 0 }),
  ];

  beforeAll(async () => {
    await superuser.connect();
    tenantA = await seedTenant(superuser, `pol-a-${suffix}`);
    tenantB = await seedTenant(superuser, `pol-b-${suffix}`);
    await seedCluster(superuser, tenantA, { id: 'c-ws', label: 'Workstations', size: 2 });
    await seedCluster(superuser, tenantA, { id: 'c-dc', label: 'Domain controllers', size: 1 });
    await seedSgt(superuser, tenantA, 2, 'STAFF', 'c-ws');
    await seedSgt(superuser, tenantA, 10, 'DC', 'c-dc');
    await seedSgt(superuser, tenantA, 20, 'PRINTERS');
    await seedMembership(superuser, tenantA, { key: 'ip:10.4.0.1', clusterId: 'c-ws', confidence: 0.9, band: 'very_high' });
    await seedMembership(superuser, tenantA, { key: 'ip:10.4.0.2', clusterId: 'c-ws', confidence: 0.9, band: 'very_high' });
    await seedMembership(superuser, tenantA, { key: 'ip:10.0.0.53', clusterId: 'c-dc', confidence: 0.9, band: 'very_high' });
    await seedMembership(superuser, tenantA, { key: 'mac:00:11:22:33:44:55', clusterId: null });
    await superuser.query(`UPDATE endpoint_memberships SET override_sgt = 20, override_by = 'u-1', override_at = now() WHERE tenant_id = $1 AND endpoint_key = 'mac:00:11:22:33:44:55'`, [tenantA]);
    await seedEdges(superuser, tenantA, edgesA);
    await seedEdges(superuser, tenantB, [edge('ip:10.4.0.1', 'ip:10.0.0.53', TCP, 22, 999)]);
    await db.start();
  });
  afterAll(async () => {
    await db.close();
    await superuser.end();
  });

  it('aggregates the edges into cells by client and server SGT, tags first, then memberships, else Unknown', async () => {
    const matrix = await service.matrix({ actor: actor(tenantA) });
    const summary = matrix.cells.map((c) => ({ src: c.srcSgt, dst: c.dstSgt, flows: c.flows, services: c.services.map((s) => `${s.service}:${s.flows}`) }));
    expect(summary).toEqual([
      { src: 0, dst: 10, flows: 7, services: ['dns:7'] },
      { src: 2, dst: 10, flows: 905, services: ['dns:800', 'kerberos:100', 'ntp:5'] },
      { src: 2, dst: 20, flows: 20, services: ['jetdirect printing:20'] },
      { src: 30, dst: 10, flows: 40, services: ['smb:40'] },
    ]);
    const total = matrix.cells.reduce((sum, c) => sum + c.flows, 0);
    expect(total).toBe(edgesA.reduce((sum, e) => sum + e.flows, 0));
    expect(matrix.cells.reduce((sum, c) => sum + c.bytes, 0)).toBe(edgesA.reduce((sum, e) => sum + e.bytes, 0));
    const dns = matrix.cells[1].services[0];
    expect(dns).toEqual({
      protocol: UDP,
      port: 53,
      service: 'dns',
      flows: 800,
      bytes: 80_000,
      distinctSources: 2,
      distinctDestinations: 1,
      firstSeenAt: new Date(T0 - 60_000).toISOString(),
      lastSeenAt: new Date(T0 + 500_000).toISOString(),
    });
    expect(matrix.sgts).toEqual([
      { value: 0, name: 'Unknown' },
      { value: 2, name: 'STAFF' },
      { value: 10, name: 'DC' },
      { value: 20, name: 'PRINTERS' },
      { value: 30, name: 'SGT_30' },
    ]);
    // Tenant B's SSH never shows.
    expect(matrix.cells.flatMap((c) => c.services).some((s) => s.port === 22)).toBe(false);

    const heavy = await service.matrix({ actor: actor(tenantA), minFlows: 50 });
    expect(heavy.cells.map((c) => [c.srcSgt, c.dstSgt, c.flows])).toEqual([[2, 10, 900]]);
  });

  it('reports a proposal that denies DNS from STAFF to DC as a critical blocked service', async () => {
    const report = await service.impact({
      actor: actor(tenantA),
      proposal: {
        defaultAction: 'permit',
        sgacls: [{ srcSgt: 2, dstSgt: 10, name: 'STAFF_TO_DC', rules: [{ action: 'deny', protocol: UDP, port: 53 }, { action: 'permit' }] }],
      },
    });
    expect(report.totalFlows).toBe(972);
    expect(report.blockedFlows).toBe(800);
    expect(report.blockedByRisk).toEqual({ critical: 1, high: 0, medium: 0, low: 0 });
    expect(report.blocked).toEqual([
      expect.objectContaining({ srcSgt: 2, dstSgt: 10, protocol: UDP, port: 53, flows: 800, risk: 'critical', deniedBy: 'STAFF_TO_DC rule 1', distinctSources: 2 }),
    ]);

    // The derived proposal (>= 10 flows and >= 1 % of the cell per permit) blocks only the rare services: NTP (critical) and Unknown's DNS.
    const derived = await service.impact({ actor: actor(tenantA) });
    expect(derived.blocked.map((b) => [b.srcSgt, b.dstSgt, b.port, b.risk])).toEqual([
      [0, 10, 53, 'critical'],
      [2, 10, 123, 'critical'],
    ]);
    expect(derived.blockedFlows).toBe(12);
    // With every observed service permitted, nothing is blocked.
    expect((await service.impact({ actor: actor(tenantA), minFlows: 1, minShare: 0 })).blocked).toEqual([]);
  });

  it('exports the derived SGACLs as Cisco CLI with the registry names, and as JSON', async () => {
    const cli = await service.sgacl({ actor: actor(tenantA), format: 'cli' });
    const lines = cli.cli!.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'ip access-list role-based STAFF_TO_DC',
        ' permit udp dst eq 53',
        ' permit tcp dst eq 88',
        ' deny ip log',
        'cts role-based permissions from 0 to 10 UNKNOWN_TO_DC',
        'cts role-based permissions from 2 to 10 STAFF_TO_DC',
        'cts role-based permissions from 2 to 20 STAFF_TO_PRINTERS',
        'cts role-based permissions from 30 to 10 SGT_30_TO_DC',
      ]),
    );
    // NTP (5 flows) is under the default 10-flow threshold.
    expect(lines).not.toContain(' permit udp dst eq 123');
    expect(cli.json).toBeUndefined();
    expect(cli.proposal.sgacls.find((a) => a.name === 'STAFF_TO_DC')!.rules).toEqual([
      { action: 'permit', protocol: UDP, port: 53 },
      { action: 'permit', protocol: TCP, port: 88 },
      { action: 'deny', log: true },
    ]);

    const json = await service.sgacl({ actor: actor(tenantA), format: 'json', minFlows: 1, minShare: 0, logDeny: false, defaultAction: 'deny' });
    expect(json.cli).toBeUndefined();
    expect(json.json).toMatchObject({
      defaultAction: 'deny',
      sgacls: expect.arrayContaining([
        expect.objectContaining({
          source: { sgt: 2, name: 'STAFF' },
          destination: { sgt: 10, name: 'DC' },
          rules: expect.arrayContaining([expect.objectContaining({ protocol: 'udp', port: 123, text: 'permit udp dst eq 123' }), { action: 'deny', protocol: 'ip', text: 'deny ip' }]),
        }),
      ]),
    });
  });

  it('requires policy:read', async () => {
    const a = actor(tenantA, ['clusters:read', 'sgts:read']);
    await expect(service.matrix({ actor: a })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(service.sgacl({ actor: a, format: 'cli' })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(service.impact({ actor: a })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    expect((await service.matrix({ actor: actor(tenantB) })).cells.map((c) => c.services.map((s) => s.port))).toEqual([[22]]);
  });
});
