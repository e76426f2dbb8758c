import { TestInfra, testLogger } from '@clarion/testing';
import { Client } from 'pg';
import { FeatureFlagRepository } from '../repositories/feature-flag.repository';
import { Database } from './database';
import { preparedQuery } from './prepared-query';

/** Named statements on the real PostgreSQL, inside tenant transactions (row-level security applies as usual). */
describe('preparedQuery', () => {
  const owner = new Client({ connectionString: TestInfra.ownerUrl });
  const db = new Database({ url: TestInfra.appUrl, poolSize: 1, statementTimeoutMs: 5000, applicationName: 'prepared-test' }, testLogger());
  const text = 'SELECT key AS flag, enabled FROM feature_flags WHERE enabled = $1 ORDER BY key';
  let tenantA: string;
  let tenantB: string;

  beforeAll(async () => {
    await owner.connect();
    const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    tenantA = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'A') RETURNING id`, [`pa-${suffix}`])).rows[0].id;
    tenantB = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'B') RETURNING id`, [`pb-${suffix}`])).rows[0].id;
    await db.start();
    await db.withTenant(tenantA, (m) => new FeatureFlagRepository(m).upsert(tenantA, 'sso', true));
    await db.withTenant(tenantB, (m) => new FeatureFlagRepository(m).upsert(tenantB, 'streaming-export', true));
  });

  afterAll(async () => {
    await db.close();
    await owner.end();
  });

  it('runs as a named statement on the transaction connection and answers what an ordinary query answers', async () => {
    const { rows, prepared } = await db.withTenant(tenantA, async (m) => ({
      rows: await preparedQuery<{ flag: string; enabled: boolean }>(m, text, [true]),
      prepared: (await m.query('SELECT name, statement FROM pg_prepared_statements')) as Array<{ name: string; statement: string }>,
    }));
    expect(rows).toEqual(await db.withTenant(tenantA, (m) => m.query(text, [true])));
    expect(prepared).toEqual(expect.arrayContaining([{ name: expect.stringMatching(/^clarion_[0-9a-f]{32}$/), statement: text }]));
  });

  it('keeps row-level security per transaction: the same statement shows each tenant its own rows', async () => {
    // One pooled connection: the statement prepared for tenant A is reused for tenant B.
    const a = await db.withTenant(tenantA, (m) => preparedQuery<{ flag: string }>(m, text, [true]));
    const b = await db.withTenant(tenantB, (m) => preparedQuery<{ flag: string }>(m, text, [true]));
    expect(a.map((r) => r.flag)).toEqual(['sso']);
    expect(b.map((r) => r.flag)).toEqual(['streaming-export']);
  });

  it('falls back to an ordinary query outside a transaction', async () => {
    const rows = await db.withoutTenant((m) => preparedQuery<{ one: number }>(m, 'SELECT 1 AS one', []));
    expect(rows).toEqual([{ one: 1 }]);
  });
});
