import { DomainException } from '@clarion/contracts';
import { TestInfra, testLogger } from '@clarion/testing';
import { Client } from 'pg';
import { FeatureFlagRepository } from '../repositories/feature-flag.repository';
import { Database } from './database';
import { statementName } from './tenant-read';

/** Tenant reads in one round trip, on the real PostgreSQL as the application role (row-level security applies). */
describe('Database.readAsTenant', () => {
  const owner = new Client({ connectionString: TestInfra.ownerUrl });
  // One pooled connection: every read below reuses it, so what one leaves behind the next would see.
  const db = new Database({ url: TestInfra.appUrl, poolSize: 1, statementTimeoutMs: 5000, applicationName: 'tenant-read-test' }, testLogger());
  const text = 'SELECT key AS flag, enabled FROM feature_flags WHERE enabled = $1 ORDER BY key';
  let tenantA: string;
  let tenantB: string;

  beforeAll(async () => {
    await owner.connect();
    const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    tenantA = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'A') RETURNING id`, [`ra-${suffix}`])).rows[0].id;
    tenantB = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'B') RETURNING id`, [`rb-${suffix}`])).rows[0].id;
    await db.start();
    await db.withTenant(tenantA, (m) => new FeatureFlagRepository(m).upsert(tenantA, 'sso', true));
    await db.withTenant(tenantB, (m) => new FeatureFlagRepository(m).upsert(tenantB, 'streaming-export', true));
  });

  afterAll(async () => {
    await db.close();
    await owner.end();
  });

  it('answers what the same statement answers in a tenant transaction', async () => {
    expect(await db.readAsTenant(tenantA, text, [true])).toEqual(await db.withTenant(tenantA, (m) => m.query(text, [true])));
    expect(await db.readAsTenant(tenantA, text, [true])).toEqual([{ flag: 'sso', enabled: true }]);
  });

  it("shows each tenant only its own rows, and leaves no tenant set on the connection afterwards", async () => {
    expect((await db.readAsTenant<{ flag: string }>(tenantA, text, [true])).map((r) => r.flag)).toEqual(['sso']);
    expect((await db.readAsTenant<{ flag: string }>(tenantB, text, [true])).map((r) => r.flag)).toEqual(['streaming-export']);
    const after = await db.withoutTenant((m) => m.query(`SELECT coalesce(current_setting('app.tenant_id', true), '') AS tenant, (SELECT count(*) FROM feature_flags)::int AS visible`));
    expect(after).toEqual([{ tenant: '', visible: 0 }]);
  });

  it('keeps tenants apart under concurrent reads on a shared pool', async () => {
    const pooled = new Database({ url: TestInfra.appUrl, poolSize: 3, statementTimeoutMs: 5000, applicationName: 'tenant-read-test' }, testLogger());
    await pooled.start();
    try {
      const reads = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? tenantA : tenantB)).map(async (tenant) => ({
        tenant,
        flags: (await pooled.readAsTenant<{ flag: string }>(tenant, text, [true])).map((r) => r.flag),
      }));
      for (const { tenant, flags } of await Promise.all(reads)) expect(flags).toEqual(tenant === tenantA ? ['sso'] : ['streaming-export']);
    } finally {
      await pooled.close();
    }
  });

  it('prepares the statement once per connection, under a name derived from its text', async () => {
    await db.readAsTenant(tenantA, text, [true]);
    const prepared = await db.withoutTenant((m) => m.query('SELECT name, statement FROM pg_prepared_statements WHERE name = $1', [statementName(text)]));
    expect(prepared).toEqual([{ name: statementName(text), statement: text }]);
  });

  it('rejects with the database error, and the connection serves the next read', async () => {
    await expect(db.readAsTenant(tenantA, 'SELECT 1 / $1::int AS x', [0])).rejects.toThrow(/division by zero/);
    // A statement that does not parse fails the same way each time (it is not remembered as prepared).
    for (let i = 0; i < 2; i++) await expect(db.readAsTenant(tenantA, 'SELEC key FROM feature_flags WHERE $1::bool', [true])).rejects.toThrow(/syntax error/);
    expect(await db.readAsTenant(tenantA, text, [true])).toEqual([{ flag: 'sso', enabled: true }]);
    expect(await db.readAsTenant(tenantA, 'SELECT 6 / $1::int AS x', [3])).toEqual([{ x: 2 }]);
  });

  it('refuses a malformed tenant id before touching the database', async () => {
    await expect(db.readAsTenant("' OR 1=1 --", text, [true])).rejects.toBeInstanceOf(DomainException);
  });
});
