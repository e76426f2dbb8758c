import { ErrorCode, type ActorDto, type ClustersUpdatedEvent, type Permission } from '@clarion/contracts';
import { NatsConnectionHolder, natsConnectionOptions } from '@clarion/messaging';
import { Database } from '@clarion/persistence';
import { TestInfra, testLogger, waitFor } from '@clarion/testing';
import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { ClusteringEnv } from '../../clustering.env';
import { EndpointQueryService } from '../endpoints/endpoint-query.service';
import { ClustersUpdatedPublisher } from '../shared/clusters-updated.publisher';
import { QueryMetrics } from '../shared/query-metrics';
import { seedEndpoint, seedTenant } from '../testing/query-seed';
import { IdentityImportService } from './identity-import.service';
import { collectClustersUpdated } from '../testing/clusters-updated.listener';

/** Identity import against the real PostgreSQL and NATS. */
describe('identity import (PostgreSQL, NATS)', () => {
  const superuser = new Client({ connectionString: TestInfra.superuserUrl });
  const db = new Database({ url: TestInfra.serviceUrl('clustering'), poolSize: 2, statementTimeoutMs: 10_000, applicationName: 'clustering-identity-test' }, testLogger());
  const nats = new NatsConnectionHolder(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'clustering-identity-test' }), testLogger());
  const metrics = new QueryMetrics(new Registry());
  const env = Object.assign(new ClusteringEnv(), { CLUSTERING_IDENTITY_IMPORT_MAX_RECORDS: 500 });
  const service = new IdentityImportService(db, env, new ClustersUpdatedPublisher(nats, metrics, testLogger()), metrics, testLogger());
  const endpoints = new EndpointQueryService(db, metrics, testLogger());
  const suffix = `${Date.now().toString(36)}-${process.pid}`;
  const events: ClustersUpdatedEvent[] = [];
  let listener: NatsConnection;
  let tenantA: string;
  let tenantB: string;
  const actor = (tenantId: string, permissions: Permission[] = ['identity:import', 'endpoints:read']): ActorDto => ({ kind: 'api_key', tenantId, id: 'key-5', permissions });
  const identityRows = async (tenantId: string) =>
    (
      await superuser.query(`SELECT endpoint_key, device_type, user_name, groups, imported_by FROM endpoint_identities WHERE tenant_id = $1 ORDER BY endpoint_key`, [tenantId])
    ).rows;

  beforeAll(async () => {
    await superuser.connect();
    tenantA = await seedTenant(superuser, `id-a-${suffix}`);
    tenantB = await seedTenant(superuser, `id-b-${suffix}`);
    await seedEndpoint(superuser, tenantA, { key: 'mac:00:1b:21:aa:bb:01', address: '10.5.0.1', mac: '00:1b:21:aa:bb:01', role: 'workstation', seed: 1 });
    await seedEndpoint(superuser, tenantA, { key: 'ip:10.5.0.2', address: '10.5.0.2', role: 'printer', seed: 2 });
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

  it('imports CSV with quoted fields and a BOM, rejecting bad rows with their line and reason', async () => {
    const csv = [
      '\ufeffmac,ip,device_type,user,groups',
      '00:1B:21:AA:BB:01,,laptop,"Doe, ""JD"" John","Staff;VPN Users"',
      ',10.5.0.2,printer,,"Printers"',
      'not-a-mac,,laptop,,',
      ',,orphan,,',
      '"02:00:00:00:00:07","10.5.0.7","camera, PTZ",,',
    ].join('\r\n');
    const result = await service.import({ actor: actor(tenantA), format: 'csv', content: csv });
    expect(result).toEqual({
      records: 5,
      imported: 3,
      rejectedCount: 2,
      rejected: [
        { at: 4, reason: expect.stringContaining('invalid MAC') },
        { at: 5, reason: 'a MAC or an IP address is required' },
      ],
    });
    expect(await identityRows(tenantA)).toEqual([
      { endpoint_key: 'ip:10.5.0.2', device_type: 'printer', user_name: null, groups: ['Printers'], imported_by: 'key-5' },
      { endpoint_key: 'ip:10.5.0.7', device_type: 'camera, PTZ', user_name: null, groups: [], imported_by: 'key-5' },
      { endpoint_key: 'mac:00:1b:21:aa:bb:01', device_type: 'laptop', user_name: 'Doe, "JD" John', groups: ['Staff', 'VPN Users'], imported_by: 'key-5' },
      { endpoint_key: 'mac:02:00:00:00:00:07', device_type: 'camera, PTZ', user_name: null, groups: [], imported_by: 'key-5' },
    ]);
    expect((await endpoints.get({ actor: actor(tenantA), id: 'mac:00:1b:21:aa:bb:01' })).identity).toMatchObject({
      deviceType: 'laptop',
      user: 'Doe, "JD" John',
      groups: ['Staff', 'VPN Users'],
    });
    await waitFor(() => events.some((e) => e.tenantId === tenantA && e.reason === 'identity'), 5000, 'identity event');
    expect(await identityRows(tenantB)).toEqual([]);
  });

  it('refuses a CSV without its header, and imports nothing', async () => {
    await expect(service.import({ actor: actor(tenantB), format: 'csv', content: '00:1b:21:aa:bb:09,10.0.0.9,laptop,,\n' })).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
    });
    expect(await identityRows(tenantB)).toEqual([]);
  });

  it('imports a JSON array, replacing earlier identities, and reports bad items by index', async () => {
    const result = await service.import({
      actor: actor(tenantA),
      format: 'json',
      content: JSON.stringify([{ ip: '10.5.0.2', deviceType: 'mfp', groups: ['Printers', 'Floor 3'] }, { mac: 'ff:ff:ff:ff:ff:ff' }, 'nope', { ip: '10.5.0.8', user: 'svc' }]),
    });
    expect(result).toMatchObject({ records: 4, imported: 2, rejectedCount: 2 });
    expect(result.rejected.map((r) => r.at)).toEqual([1, 2]);
    expect((await endpoints.get({ actor: actor(tenantA), id: 'ip:10.5.0.2' })).identity).toMatchObject({ deviceType: 'mfp', user: null, groups: ['Printers', 'Floor 3'] });
  });

  it('lists the first 100 rejections and counts all of them; refuses imports over the record limit', async () => {
    const bad = Array.from({ length: 150 }, () => ({ mac: 'bad' }));
    const result = await service.import({ actor: actor(tenantB), format: 'json', content: JSON.stringify(bad) });
    expect(result).toMatchObject({ records: 150, imported: 0, rejectedCount: 150 });
    expect(result.rejected).toHaveLength(100);
    const tooMany = ['ip', ...Array.from({ length: 501 }, (_, i) => `10.6.${i >> 8}.${i & 255}`)].join('\n');
    await expect(service.import({ actor: actor(tenantB), format: 'csv', content: tooMany })).rejects.toMatchObject({ code: ErrorCode.PayloadTooLarge });
    expect(await identityRows(tenantB)).toEqual([]);
  });

  it('requires identity:import', async () => {
    await expect(service.import({ actor: actor(tenantA, ['endpoints:read']), format: 'json', content: '[]' })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
  });
});
