import { ErrorCode, type ActorDto, type ClustersUpdatedEvent, type Permission } from '@clarion/contracts';
import { NatsConnectionHolder, natsConnectionOptions } from '@clarion/messaging';
import { Database } from '@clarion/persistence';
import { TestInfra, testLogger, waitFor } from '@clarion/testing';
import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { ClustersUpdatedPublisher } from '../shared/clusters-updated.publisher';
import { QueryMetrics } from '../shared/query-metrics';
import { seedCluster, seedEndpoint, seedMembership, seedTenant } from '../testing/query-seed';
import { SgtRegistryService } from './sgt-registry.service';
import { collectClustersUpdated } from '../testing/clusters-updated.listener';

/** The SGT registry against the real PostgreSQL and NATS. */
describe('SGT registry (PostgreSQL, NATS)', () => {
  const superuser = new Client({ connectionString: TestInfra.superuserUrl });
  const db = new Database({ url: TestInfra.serviceUrl('clustering'), poolSize: 2, statementTimeoutMs: 10_000, applicationName: 'clustering-sgt-test' }, testLogger());
  const nats = new NatsConnectionHolder(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'clustering-sgt-test' }), testLogger());
  const service = new SgtRegistryService(db, new ClustersUpdatedPublisher(nats, new QueryMetrics(new Registry()), testLogger()));
  const suffix = `${Date.now().toString(36)}-${process.pid}`;
  const events: ClustersUpdatedEvent[] = [];
  let listener: NatsConnection;
  let tenantA: string;
  let tenantB: string;
  const actor = (tenantId: string, permissions: Permission[] = ['sgts:read', 'sgts:write']): ActorDto => ({ kind: 'user', tenantId, id: 'u-7', permissions });
  const eventsOf = (tenantId: string) => events.filter((e) => e.tenantId === tenantId);

  beforeAll(async () => {
    await superuser.connect();
    tenantA = await seedTenant(superuser, `sgt-a-${suffix}`);
    tenantB = await seedTenant(superuser, `sgt-b-${suffix}`);
    await seedCluster(superuser, tenantA, { id: 'c-1', label: 'Printers', size: 3 });
    await seedCluster(superuser, tenantA, { id: 'c-2', label: 'Cameras', size: 2 });
    await seedCluster(superuser, tenantA, { id: 'c-old', label: 'Gone', size: 1, retired: true });
    for (let i = 1; i <= 3; i++) {
      await seedEndpoint(superuser, tenantA, { key: `ip:10.1.0.${i}`, address: `10.1.0.${i}`, role: 'printer', seed: i });
      await seedMembership(superuser, tenantA, { key: `ip:10.1.0.${i}`, clusterId: 'c-1', confidence: 0.9, band: 'very_high' });
    }
    for (let i = 1; i <= 2; i++) {
      await seedEndpoint(superuser, tenantA, { key: `ip:10.3.0.${i}`, address: `10.3.0.${i}`, role: 'camera', seed: 10 + i });
      await seedMembership(superuser, tenantA, { key: `ip:10.3.0.${i}`, clusterId: 'c-2', confidence: 0.9, band: 'very_high' });
    }
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

  it('creates SGTs with a given value or the lowest free one of the category, and refuses duplicates', async () => {
    const a = actor(tenantA);
    expect(await service.create({ actor: a, name: 'PRINTERS', value: 20, category: 'devices', description: 'Printers and MFPs', clusterId: 'c-1' })).toMatchObject({
      value: 20,
      name: 'PRINTERS',
      category: 'devices',
      description: 'Printers and MFPs',
      clusterId: 'c-1',
      members: 3,
    });
    expect((await service.create({ actor: a, name: 'CAMERAS', category: 'devices' })).value).toBe(21);
    expect((await service.create({ actor: a, name: 'STAFF', category: 'users' })).value).toBe(2);
    expect((await service.create({ actor: a, name: 'QUARANTINE', category: 'restricted' })).value).toBe(30);
    expect(await service.create({ actor: a, name: 'LAB' })).toMatchObject({ value: 40, category: 'custom', clusterId: null, members: 0 });

    await expect(service.create({ actor: a, name: 'PRINTERS', value: 25 })).rejects.toMatchObject({ code: ErrorCode.Conflict });
    await expect(service.create({ actor: a, name: 'OTHER', value: 21 })).rejects.toMatchObject({ code: ErrorCode.Conflict });
    await expect(service.create({ actor: a, name: 'OTHER', clusterId: 'c-1' })).rejects.toMatchObject({ code: ErrorCode.Conflict });
    await expect(service.create({ actor: a, name: 'OTHER', clusterId: 'c-none' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(service.create({ actor: a, name: 'OTHER', clusterId: 'c-old' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    // Names and values are per tenant.
    expect(await service.create({ actor: actor(tenantB), name: 'PRINTERS', value: 20 })).toMatchObject({ value: 20, members: 0 });
    await expect(service.get({ actor: actor(tenantB), value: 21 })).rejects.toMatchObject({ code: ErrorCode.NotFound });

    // Five creates in A: five events, none for the refused ones. Events of one connection arrive in order, so once
    // B's (published last) is here, any event of a refused change would be too.
    await waitFor(() => eventsOf(tenantB).length === 1, 5000, 'clusters-updated events');
    expect(eventsOf(tenantA)).toHaveLength(5);
    expect(eventsOf(tenantA).every((e) => e.reason === 'sgt' && e.jobId === null)).toBe(true);
  });

  it('counts members through the cluster and through overrides', async () => {
    const a = actor(tenantA);
    // One printer moved to QUARANTINE by hand, one camera moved to PRINTERS by hand.
    await superuser.query(`UPDATE endpoint_memberships SET override_sgt = 30, override_by = 'u-1', override_at = now() WHERE tenant_id = $1 AND endpoint_key = 'ip:10.1.0.3'`, [tenantA]);
    await superuser.query(`UPDATE endpoint_memberships SET override_sgt = 20, override_by = 'u-1', override_at = now() WHERE tenant_id = $1 AND endpoint_key = 'ip:10.3.0.1'`, [tenantA]);
    expect((await service.get({ actor: a, value: 20 })).members).toBe(3);
    expect((await service.get({ actor: a, value: 30 })).members).toBe(1);
    await service.update({ actor: a, value: 21, clusterId: 'c-2' });
    // The camera overriding to PRINTERS no longer counts for CAMERAS.
    expect((await service.get({ actor: a, value: 21 })).members).toBe(1);
  });

  it('updates name, description and binding; clusterId null unbinds', async () => {
    const a = actor(tenantA);
    expect(await service.update({ actor: a, value: 40, name: 'LAB_DEVICES', description: 'The lab' })).toMatchObject({ name: 'LAB_DEVICES', description: 'The lab', clusterId: null });
    await expect(service.update({ actor: a, value: 40, name: 'PRINTERS' })).rejects.toMatchObject({ code: ErrorCode.Conflict });
    await expect(service.update({ actor: a, value: 40, clusterId: 'c-1' })).rejects.toMatchObject({ code: ErrorCode.Conflict });
    await expect(service.update({ actor: a, value: 40, clusterId: 'c-old' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(service.update({ actor: a, value: 41, name: 'NOPE' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    // Re-binding an SGT to its own cluster is not a conflict.
    expect((await service.update({ actor: a, value: 20, clusterId: 'c-1' })).clusterId).toBe('c-1');
    const unbound = await service.update({ actor: a, value: 21, clusterId: null });
    expect(unbound).toMatchObject({ clusterId: null, name: 'CAMERAS', members: 0 });
    expect((await service.update({ actor: a, value: 40, clusterId: 'c-2' })).members).toBe(1);
  });

  it('refuses to delete an SGT endpoints carry as an override, and deletes it once they do not', async () => {
    const a = actor(tenantA);
    await expect(service.delete({ actor: a, value: 30 })).rejects.toMatchObject({ code: ErrorCode.Conflict });
    await superuser.query(`UPDATE endpoint_memberships SET override_sgt = NULL, override_by = NULL, override_at = NULL WHERE tenant_id = $1 AND override_sgt = 30`, [tenantA]);
    expect((await service.delete({ actor: a, value: 30 })).name).toBe('QUARANTINE');
    await expect(service.get({ actor: a, value: 30 })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(service.delete({ actor: a, value: 30 })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    // A deleted value is free again.
    expect((await service.create({ actor: a, name: 'QUARANTINE_2', category: 'restricted' })).value).toBe(30);
  });

  it('lists by value with a cursor', async () => {
    const values: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await service.list({ actor: actor(tenantA), limit: 2, cursor });
      values.push(...page.items.map((s) => s.value));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(values).toEqual([2, 20, 21, 30, 40]);
    expect((await service.list({ actor: actor(tenantB) })).items.map((s) => s.value)).toEqual([20]);
  });

  it('requires sgts:read to read and sgts:write to change', async () => {
    const reader = actor(tenantA, ['sgts:read']);
    const writer = actor(tenantA, ['sgts:write']);
    await expect(service.list({ actor: writer })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(service.get({ actor: writer, value: 20 })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(service.create({ actor: reader, name: 'X' })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(service.update({ actor: reader, value: 20, name: 'X' })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(service.delete({ actor: reader, value: 40 })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    expect((await service.get({ actor: reader, value: 40 })).name).toBe('LAB_DEVICES');
  });
});
