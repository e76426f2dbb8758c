import { ErrorCode, type ActorDto, type ClustersUpdatedEvent, type Permission } from '@clarion/contracts';
import { NatsConnectionHolder, natsConnectionOptions } from '@clarion/messaging';
import { Database } from '@clarion/persistence';
import { TestInfra, testLogger, waitFor } from '@clarion/testing';
import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { EndpointQueryService } from '../endpoints/endpoint-query.service';
import { ClustersUpdatedPublisher } from '../shared/clusters-updated.publisher';
import { QueryMetrics } from '../shared/query-metrics';
import { seedCluster, seedEndpoint, seedMembership, seedSgt, seedTenant } from '../testing/query-seed';
import { MembershipService } from './membership.service';
import { collectClustersUpdated } from '../testing/clusters-updated.listener';

/** Manual overrides and their history against the real PostgreSQL and NATS. */
describe('membership overrides (PostgreSQL, NATS)', () => {
  const superuser = new Client({ connectionString: TestInfra.superuserUrl });
  const db = new Database({ url: TestInfra.serviceUrl('clustering'), poolSize: 2, statementTimeoutMs: 10_000, applicationName: 'clustering-membership-test' }, testLogger());
  const nats = new NatsConnectionHolder(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'clustering-membership-test' }), testLogger());
  const metrics = new QueryMetrics(new Registry());
  const service = new MembershipService(db, new ClustersUpdatedPublisher(nats, metrics, testLogger()));
  const endpoints = new EndpointQueryService(db, metrics, testLogger());
  const suffix = `${Date.now().toString(36)}-${process.pid}`;
  const events: ClustersUpdatedEvent[] = [];
  let listener: NatsConnection;
  let tenantA: string;
  let tenantB: string;
  const actor = (tenantId: string, permissions: Permission[] = ['clusters:write', 'endpoints:read']): ActorDto => ({ kind: 'user', tenantId, id: 'u-42', permissions });

  beforeAll(async () => {
    await superuser.connect();
    tenantA = await seedTenant(superuser, `mem-a-${suffix}`);
    tenantB = await seedTenant(superuser, `mem-b-${suffix}`);
    await seedCluster(superuser, tenantA, { id: 'c-ws', label: 'Workstations', size: 2 });
    await seedSgt(superuser, tenantA, 2, 'STAFF', 'c-ws');
    await seedSgt(superuser, tenantA, 30, 'QUARANTINE');
    await seedEndpoint(superuser, tenantA, { key: 'ip:10.4.0.1', address: '10.4.0.1', role: 'workstation', seed: 1 });
    await seedEndpoint(superuser, tenantA, { key: 'ip:10.4.0.2', address: '10.4.0.2', role: 'workstation', seed: 2 });
    await seedMembership(superuser, tenantA, { key: 'ip:10.4.0.1', clusterId: 'c-ws', confidence: 0.9, band: 'very_high' });
    // No membership row yet: never clustered.
    await seedEndpoint(superuser, tenantA, { key: 'ip:10.4.0.3', address: '10.4.0.3', role: 'workstation', seed: 3 });
    await seedEndpoint(superuser, tenantB, { key: 'ip:10.9.0.1', address: '10.9.0.1', role: 'camera', seed: 4 });
    await seedSgt(superuser, tenantB, 30, 'B_QUARANTINE');
    await db.start();
    await nats.start();
    listener = await collectClustersUpdated(events);
  });
  afterAll(async () => {
    await listener.close();
    await nats.close();
    await db.close();
    await superuser.end();
  });

  it('overrides the SGT of known endpoints (creating memberships), reports unknown ones, and records history', async () => {
    const result = await service.assign({
      actor: actor(tenantA),
      endpoints: ['ip:10.4.0.1', 'ip:10.4.0.3', 'ip:10.4.0.3', 'ip:10.9.0.1', 'mac:02:00:00:00:00:01'],
      sgt: 30,
      reason: 'suspicious scanning',
    });
    // 10.9.0.1 exists only in tenant B.
    expect(result).toEqual({ updated: 2, unknown: ['ip:10.9.0.1', 'mac:02:00:00:00:00:01'] });
    expect(await endpoints.get({ actor: actor(tenantA), id: 'ip:10.4.0.1' })).toMatchObject({
      clusterId: 'c-ws',
      sgt: 30,
      sgtName: 'QUARANTINE',
      override: { sgt: 30, by: 'u-42', reason: 'suspicious scanning' },
    });
    expect(await endpoints.get({ actor: actor(tenantA), id: 'ip:10.4.0.3' })).toMatchObject({ clusterId: null, sgt: 30, override: { sgt: 30 } });
    const history = await service.history({ actor: actor(tenantA), endpoint: 'ip:10.4.0.1' });
    expect(history.items).toEqual([
      expect.objectContaining({ kind: 'override', clusterId: 'c-ws', sgt: 30, actor: 'u-42', reason: 'suspicious scanning', jobId: null }),
    ]);
    // Tenant B's endpoint was not touched.
    expect((await endpoints.get({ actor: actor(tenantB), id: 'ip:10.9.0.1' })).override).toBeNull();
    await waitFor(() => events.some((e) => e.tenantId === tenantA && e.reason === 'membership'), 5000, 'membership event');
  });

  it('refuses an SGT the registry does not hold', async () => {
    await expect(service.assign({ actor: actor(tenantA), endpoints: ['ip:10.4.0.2'], sgt: 77 })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    expect((await endpoints.get({ actor: actor(tenantA), id: 'ip:10.4.0.2' })).override).toBeNull();
  });

  it('clears overrides so the cluster SGT applies again, and pages the history newest first', async () => {
    await service.assign({ actor: actor(tenantA), endpoints: ['ip:10.4.0.1'], sgt: 2, reason: 'back to staff' });
    const cleared = await service.clear({ actor: actor(tenantA), endpoints: ['ip:10.4.0.1', 'ip:10.4.0.2', 'ip:10.0.0.99'] });
    // 10.4.0.2 had no override: nothing to clear.
    expect(cleared).toEqual({ updated: 1, unknown: ['ip:10.0.0.99'] });
    expect(await endpoints.get({ actor: actor(tenantA), id: 'ip:10.4.0.1' })).toMatchObject({ sgt: 2, sgtName: 'STAFF', override: null, clusterId: 'c-ws' });

    const kinds: Array<[string, number | null, string | null]> = [];
    let cursor: string | undefined;
    do {
      const page = await service.history({ actor: actor(tenantA), endpoint: 'ip:10.4.0.1', limit: 1, cursor });
      kinds.push(...page.items.map((e) => [e.kind, e.sgt, e.reason] as [string, number | null, string | null]));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(kinds).toEqual([
      ['override_cleared', 2, null],
      ['override', 2, 'back to staff'],
      ['override', 30, 'suspicious scanning'],
    ]);
    const other = await service.history({ actor: actor(tenantA), endpoint: 'ip:10.4.0.3', limit: 1 });
    await expect(service.history({ actor: actor(tenantA), endpoint: 'ip:10.4.0.1', cursor: other.nextCursor ?? 'WyJ4Il0' })).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
    });
    expect((await service.history({ actor: actor(tenantB), endpoint: 'ip:10.4.0.1' })).items).toEqual([]);
  });

  it('requires clusters:write to change and endpoints:read for the history', async () => {
    await expect(service.assign({ actor: actor(tenantA, ['endpoints:read']), endpoints: ['ip:10.4.0.2'], sgt: 30 })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(service.clear({ actor: actor(tenantA, ['endpoints:read']), endpoints: ['ip:10.4.0.3'] })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(service.history({ actor: actor(tenantA, ['clusters:write']), endpoint: 'ip:10.4.0.3' })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    expect((await endpoints.get({ actor: actor(tenantA), id: 'ip:10.4.0.3' })).override).toMatchObject({ sgt: 30 });
  });
});
