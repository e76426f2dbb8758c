import { TestInfra } from '@clarion/testing';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createDataSource } from '../lib/database';
import { TENANT_SETTING } from '../lib/roles';
import { DEFAULT_EXTERNAL_REMOVAL, InternalEndpoints1765100000000 } from './1765100000000-internal-endpoints';

/** Migration 1765100000000 run again (down, seed, up) as the schema owner over rows stored before it. */
describe('migration 1765100000000: endpoints that are external by default are removed and counted per tenant', () => {
  const su = new Client({ connectionString: TestInfra.superuserUrl });
  const owner = createDataSource({ url: TestInfra.ownerUrl, poolSize: 1, statementTimeoutMs: 10_000, applicationName: 'internal-endpoints-migration-test' });

  beforeAll(async () => {
    await su.connect();
    await owner.initialize();
  });

  afterAll(async () => {
    await owner.destroy();
    await su.end();
  });

  const newTenant = async (): Promise<string> => {
    const slug = `ext-${randomUUID().slice(0, 12)}`;
    return (await su.query(`INSERT INTO tenants (slug, name) VALUES ($1, $1) RETURNING id`, [slug])).rows[0].id as string;
  };

  it('removes external profiles, memberships and edges of every tenant, keeps internal ones and records the counts', async () => {
    const [a, b, c] = [await newTenant(), await newTenant(), await newTenant()];
    const profiles: Record<string, Array<[string, string | null]>> = {
      [a]: [
        ['ip:10.0.0.5', '10.0.0.5'],
        ['ip:142.250.1.1', '142.250.1.1'],
        ['ip:::ffff:8.8.8.8', null],
        ['ip:::ffff:10.1.1.1', null],
        ['ip:fd00::1', 'fd00::1'],
        ['ip:2001:db8::1', null],
        ['ip:100.64.0.9', null],
        ['mac:00:00:0c:00:00:01', '8.8.4.4'],
        ['mac:02:00:00:00:00:01', '10.0.0.7'],
        ['mac:02:00:00:00:00:02', null],
      ],
      [b]: [
        ['ip:1.1.1.1', '1.1.1.1'],
        ['ip:192.168.1.1', '192.168.1.1'],
      ],
      [c]: [['ip:172.16.0.1', '172.16.0.1']],
    };
    const migration = new InternalEndpoints1765100000000();
    const q = owner.createQueryRunner();
    await q.connect();
    try {
      await q.startTransaction();
      await migration.down(q);
      for (const [tenantId, rows] of Object.entries(profiles)) {
        await q.query(`SELECT set_config('${TENANT_SETTING}', $1, true)`, [tenantId]);
        for (const [key, address] of rows) {
          await q.query(`INSERT INTO endpoint_profiles (tenant_id, endpoint_key, address, profile) VALUES ($1, $2, $3, '\\x00')`, [tenantId, key, address]);
        }
      }
      await q.query(`SELECT set_config('${TENANT_SETTING}', $1, true)`, [a]);
      for (const key of ['ip:10.0.0.5', 'ip:142.250.1.1', 'ip:203.0.113.9', 'mac:00:00:0c:00:00:01']) {
        await q.query(`INSERT INTO endpoint_memberships (tenant_id, endpoint_key) VALUES ($1, $2)`, [a, key]);
      }
      for (const [client, server] of [
        ['ip:10.0.0.5', 'ip:142.250.1.1'],
        ['mac:00:00:0c:00:00:01', 'ip:10.0.0.5'],
        ['ip:10.0.0.5', 'mac:02:00:00:00:00:01'],
      ]) {
        await q.query(`INSERT INTO endpoint_edges (tenant_id, client_key, server_key, protocol, port) VALUES ($1, $2, $3, 6, 443)`, [a, client, server]);
      }
      await migration.up(q);
      await q.commitTransaction();
    } catch (err) {
      await q.rollbackTransaction();
      throw err;
    } finally {
      await q.release();
    }

    const keys = async (table: string, column: string, tenantId: string) =>
      (await su.query(`SELECT ${column} AS k FROM ${table} WHERE tenant_id = $1 ORDER BY 1`, [tenantId])).rows.map((r) => r.k);
    expect(await keys('endpoint_profiles', 'endpoint_key', a)).toEqual(
      ['ip:10.0.0.5', 'ip:100.64.0.9', 'ip:::ffff:10.1.1.1', 'ip:fd00::1', 'mac:02:00:00:00:00:01', 'mac:02:00:00:00:00:02'].sort(),
    );
    expect(await keys('endpoint_profiles', 'endpoint_key', b)).toEqual(['ip:192.168.1.1']);
    expect(await keys('endpoint_profiles', 'endpoint_key', c)).toEqual(['ip:172.16.0.1']);
    expect(await keys('endpoint_memberships', 'endpoint_key', a)).toEqual(['ip:10.0.0.5']);
    expect(await keys('endpoint_edges', `client_key || '>' || server_key`, a)).toEqual(['ip:10.0.0.5>mac:02:00:00:00:00:01']);

    const removals = (
      await su.query(`SELECT tenant_id, reason, migration, profiles, memberships, edges FROM endpoint_removals WHERE tenant_id = ANY($1::uuid[])`, [[a, b, c]])
    ).rows;
    const reason = DEFAULT_EXTERNAL_REMOVAL;
    expect(removals.sort((x, y) => (x.tenant_id === a ? -1 : y.tenant_id === a ? 1 : 0))).toEqual([
      { tenant_id: a, reason, migration: migration.name, profiles: 4, memberships: 3, edges: 2 },
      { tenant_id: b, reason, migration: migration.name, profiles: 1, memberships: 0, edges: 0 },
    ]);

    // The clustering role reads the counts of its tenant only, and may now delete endpoints.
    const clustering = new Client({ connectionString: TestInfra.serviceUrl('clustering') });
    await clustering.connect();
    try {
      await clustering.query('BEGIN');
      await clustering.query(`SELECT set_config('${TENANT_SETTING}', $1, true)`, [b]);
      expect((await clustering.query(`SELECT profiles FROM endpoint_removals`)).rows).toEqual([{ profiles: 1 }]);
      expect((await clustering.query(`DELETE FROM endpoint_profiles WHERE endpoint_key = 'ip:192.168.1.1'`)).rowCount).toBe(1);
      await clustering.query('ROLLBACK');
    } finally {
      await clustering.end();
    }
  });
});
