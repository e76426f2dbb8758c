import { DomainException, ErrorCode } from '@clarion/contracts';
import { TestInfra, testLogger } from '@clarion/testing';
import { Client } from 'pg';
import { FeatureFlagRepository } from '../repositories/feature-flag.repository';
import { Database } from './database';

/**
 * Row-level security, proven as the application role against the real PostgreSQL: no tenant context, no rows;
 * one tenant never reads or writes another's.
 */
describe('tenant isolation (row-level security as clarion_app)', () => {
  const owner = new Client({ connectionString: TestInfra.ownerUrl });
  const db = new Database({ url: TestInfra.appUrl, poolSize: 2, statementTimeoutMs: 5000, applicationName: 'rls-test' }, testLogger());
  let tenantA: string;
  let tenantB: string;

  beforeAll(async () => {
    await owner.connect();
    const suffix = Date.now().toString(36);
    tenantA = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'A') RETURNING id`, [`a-${suffix}`])).rows[0].id;
    tenantB = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'B') RETURNING id`, [`b-${suffix}`])).rows[0].id;
    await db.start();
    await db.withTenant(tenantA, (m) => new FeatureFlagRepository(m).upsert(tenantA, 'sso', true));
    await db.withTenant(tenantA, (m) => new FeatureFlagRepository(m).upsert(tenantA, 'streaming-export', false));
    await db.withTenant(tenantB, (m) => new FeatureFlagRepository(m).upsert(tenantB, 'sso', false));
  });

  afterAll(async () => {
    await db.close();
    await owner.end();
  });

  it('connects as a role that is neither superuser, owner nor allowed to bypass RLS', async () => {
    const [role] = await db.withoutTenant((m) =>
      m.query(
        `SELECT current_user AS name, r.rolsuper, r.rolbypassrls,
                (SELECT tableowner FROM pg_tables WHERE tablename = 'feature_flags') AS owner
           FROM pg_roles r WHERE r.rolname = current_user`,
      ),
    );
    expect(role).toEqual({ name: 'clarion_app', rolsuper: false, rolbypassrls: false, owner: 'clarion_owner' });
  });

  it('sees no rows of a tenant-owned table without a tenant context', async () => {
    const rows = await db.withoutTenant((m) => m.query('SELECT * FROM feature_flags'));
    expect(rows).toHaveLength(0);
    // A superuser sees all three (FORCE ROW LEVEL SECURITY hides them even from the owner), so the empty answer
    // above is RLS, not an empty table.
    const superuser = new Client({ connectionString: TestInfra.superuserUrl });
    await superuser.connect();
    const all = await superuser.query('SELECT count(*)::int AS n FROM feature_flags WHERE tenant_id = ANY($1)', [[tenantA, tenantB]]);
    await superuser.end();
    expect(all.rows[0].n).toBe(3);
    const asOwner = await owner.query('SELECT count(*)::int AS n FROM feature_flags');
    expect(asOwner.rows[0].n).toBe(0);
  });

  it('shows each tenant only its own rows', async () => {
    const a = await db.withTenant(tenantA, (m) => new FeatureFlagRepository(m).findAllOfCurrentTenant());
    const b = await db.withTenant(tenantB, (m) => new FeatureFlagRepository(m).findAllOfCurrentTenant());
    expect(a.map((f) => [f.tenantId, f.key, f.enabled])).toEqual([
      [tenantA, 'sso', true],
      [tenantA, 'streaming-export', false],
    ]);
    expect(b.map((f) => [f.tenantId, f.key, f.enabled])).toEqual([[tenantB, 'sso', false]]);
  });

  it("refuses to write a row into another tenant's space", async () => {
    await expect(db.withTenant(tenantA, (m) => new FeatureFlagRepository(m).upsert(tenantB, 'sso', true))).rejects.toThrow(
      /row-level security/,
    );
    const b = await db.withTenant(tenantB, (m) => new FeatureFlagRepository(m).findAllOfCurrentTenant());
    expect(b.map((f) => f.enabled)).toEqual([false]);
  });

  it("cannot update or delete another tenant's rows even by naming them", async () => {
    const updated = await db.withTenant(tenantA, (m) => m.query(`UPDATE feature_flags SET enabled = true WHERE tenant_id = $1`, [tenantB]));
    const deleted = await db.withTenant(tenantA, (m) => m.query(`DELETE FROM feature_flags WHERE tenant_id = $1`, [tenantB]));
    expect(updated[1]).toBe(0);
    expect(deleted[1]).toBe(0);
    const b = await db.withTenant(tenantB, (m) => new FeatureFlagRepository(m).findAllOfCurrentTenant());
    expect(b).toHaveLength(1);
  });

  it('does not leak the tenant setting to the next use of a pooled connection', async () => {
    await db.withTenant(tenantA, (m) => m.query('SELECT 1'));
    for (let i = 0; i < 4; i++) {
      const rows = await db.withoutTenant((m) => m.query('SELECT * FROM feature_flags'));
      expect(rows).toHaveLength(0);
    }
  });

  it('rejects a malformed tenant id before it reaches SQL', async () => {
    const attempt = db.withTenant("x' OR '1'='1", (m) => m.query('SELECT * FROM feature_flags'));
    await expect(attempt).rejects.toBeInstanceOf(DomainException);
    await expect(attempt).rejects.toMatchObject({ code: ErrorCode.TenantContextMissing });
  });
});
