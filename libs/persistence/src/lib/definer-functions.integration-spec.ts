import { TestInfra } from '@clarion/testing';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DEFINER_SEARCH_PATH } from '../migrations/1764800000000-definer-hardening';

/**
 * SECURITY DEFINER functions against a caller's temporary objects (issue 12, attack 2): as the application role, a
 * temporary table named like a relation the function uses, with a trigger, must never be what the owner touches.
 * The database revokes TEMPORARY from PUBLIC, so the application role cannot even create one; the shadow cases grant
 * it back for the duration of the test (as on a TimescaleDB database, where the writer needs it) to prove that the
 * functions would not use the shadow anyway.
 */
describe('SECURITY DEFINER functions (as clarion_app, against temporary shadows)', () => {
  const superuser = new Client({ connectionString: TestInfra.superuserUrl });
  let app: Client;
  let tenantId: string;
  const grantTemporary = (to: 'clarion_app'): Promise<unknown> =>
    superuser.query(`DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO ${to}', current_database()); END $$`);
  const revokeTemporary = (from: 'clarion_app'): Promise<unknown> =>
    superuser.query(`DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM ${from}', current_database()); END $$`);

  /** A temporary table shadowing `name`, whose statement trigger records every time it fires. */
  async function shadowWithTrigger(client: Client, name: string, columns: string): Promise<void> {
    await client.query(`CREATE TEMP TABLE ${name} (${columns})`);
    await client.query(`CREATE TEMP TABLE fired (who text, at timestamptz DEFAULT now())`);
    // The attacker opens both to everyone, so the definer's owner may use them.
    await client.query(`GRANT ALL ON pg_temp.${name}, pg_temp.fired TO PUBLIC`);
    await client.query(`CREATE FUNCTION pg_temp.record_fire() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO pg_temp.fired (who) VALUES (current_user); RETURN NULL; END $$`);
    for (const event of ['INSERT', 'DELETE', 'UPDATE']) {
      await client.query(`CREATE TRIGGER shadow_${event.toLowerCase()} AFTER ${event} ON pg_temp.${name} FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.record_fire()`);
    }
  }
  const firedAs = async (client: Client): Promise<string[]> => (await client.query(`SELECT who FROM pg_temp.fired`)).rows.map((r) => r.who as string);

  beforeAll(async () => {
    await superuser.connect();
    tenantId = (await superuser.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'definer') RETURNING id`, [`definer-${Date.now().toString(36)}`])).rows[0].id;
  });

  beforeEach(async () => {
    app = new Client({ connectionString: TestInfra.appUrl });
    await app.connect();
  });

  afterEach(async () => {
    await app.end(); // the session's temporary objects go with it
    await revokeTemporary('clarion_app');
  });

  afterAll(async () => {
    await superuser.query(`DROP TABLE IF EXISTS public.flows_p19990301`);
    await superuser.end();
  });

  it('every SECURITY DEFINER function in the schema puts pg_catalog first and pg_temp last', async () => {
    const { rows } = await superuser.query(
      `SELECT p.proname AS name, array_to_string(p.proconfig, ';') AS config
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND p.prosecdef ORDER BY 1`,
    );
    expect(rows.map((r) => r.name)).toEqual(
      expect.arrayContaining(['clarion_ensure_flow_partition', 'clarion_expire_flows', 'clarion_exporter_registrations', 'clarion_tenant_of_api_key', 'clarion_tenant_of_session']),
    );
    for (const row of rows) expect({ name: row.name, config: row.config }).toEqual({ name: row.name, config: `search_path=${DEFINER_SEARCH_PATH}` });
  });

  it('the application role may not create temporary tables', async () => {
    await expect(app.query(`CREATE TEMP TABLE flows_default (end_time timestamptz)`)).rejects.toMatchObject({ code: '42501' });
  });

  it('a shadow with a trigger does fire for a definer function on the earlier search path (the attack is real)', async () => {
    await superuser.query(`CREATE FUNCTION public.clarion_test_old_path() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = public AS $$ BEGIN DELETE FROM flows_default WHERE false; END $$`);
    try {
      await superuser.query(`ALTER FUNCTION public.clarion_test_old_path() OWNER TO clarion_owner`);
      await superuser.query(`GRANT EXECUTE ON FUNCTION public.clarion_test_old_path() TO clarion_app`);
      await grantTemporary('clarion_app');
      await shadowWithTrigger(app, 'flows_default', 'end_time timestamptz');
      await app.query(`SELECT public.clarion_test_old_path()`);
      expect(await firedAs(app)).toEqual(['clarion_owner']);
    } finally {
      await superuser.query(`DROP FUNCTION public.clarion_test_old_path()`);
    }
  });

  it('clarion_expire_flows never touches a temporary flows_default', async () => {
    await grantTemporary('clarion_app');
    await shadowWithTrigger(app, 'flows_default', 'end_time timestamptz');
    await app.query(`INSERT INTO pg_temp.flows_default VALUES ('1999-01-01')`);
    await app.query(`DELETE FROM pg_temp.fired`);
    await app.query(`SELECT * FROM clarion_expire_flows('1999-01-02')`);
    expect(await firedAs(app)).toEqual([]);
    expect((await app.query(`SELECT count(*)::int AS n FROM pg_temp.flows_default`)).rows[0].n).toBe(1);
  });

  it('clarion_ensure_flow_partition creates the real partition and never touches a temporary shadow', async () => {
    await grantTemporary('clarion_app');
    await shadowWithTrigger(app, 'flows_default', 'end_time timestamptz');
    const { rows } = await app.query(`SELECT clarion_ensure_flow_partition('1999-03-01') AS name`);
    expect(rows[0].name).toBe('flows_p19990301');
    expect(await firedAs(app)).toEqual([]);
    const attached = await superuser.query(
      `SELECT n.nspname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE i.inhparent = 'public.flows'::regclass AND c.relname = 'flows_p19990301'`,
    );
    expect(attached.rows).toEqual([{ nspname: 'public' }]);
  });

  it('the tenant lookups read the real sessions and api_keys, not temporary ones', async () => {
    await grantTemporary('clarion_app');
    const session = randomUUID();
    await app.query(`CREATE TEMP TABLE sessions (id uuid, tenant_id uuid)`);
    await app.query(`INSERT INTO pg_temp.sessions VALUES ($1, $2)`, [session, tenantId]);
    await app.query(`CREATE TEMP TABLE api_keys (prefix text, tenant_id uuid)`);
    await app.query(`INSERT INTO pg_temp.api_keys VALUES ('forged', $1)`, [tenantId]);
    expect((await app.query(`SELECT clarion_tenant_of_session($1) AS t`, [session])).rows[0].t).toBeNull();
    expect((await app.query(`SELECT clarion_tenant_of_api_key('forged') AS t`)).rows[0].t).toBeNull();
  });

  it('the exporter lookup reads the real exporters, not a temporary one, and answers registered exporters only', async () => {
    await superuser.query(`INSERT INTO exporters (tenant_id, address, first_seen_at, last_seen_at) VALUES ($1, '192.0.2.201', now(), now())`, [tenantId]);
    await superuser.query(`INSERT INTO exporters (tenant_id, address, registered_at, enabled, sampling_override) VALUES ($1, '192.0.2.202', now(), false, 64)`, [tenantId]);
    await grantTemporary('clarion_app');
    await app.query(`CREATE TEMP TABLE exporters (tenant_id uuid, address inet, enabled boolean, sampling_override integer, registered_at timestamptz)`);
    await app.query(`INSERT INTO pg_temp.exporters VALUES ($1, '192.0.2.203', true, NULL, now())`, [tenantId]);
    const lookup = async (address: string) => (await app.query(`SELECT * FROM clarion_exporter_registrations($1)`, [address])).rows;
    expect(await lookup('192.0.2.203')).toEqual([]);
    expect(await lookup('192.0.2.201')).toEqual([]);
    expect(await lookup('192.0.2.202')).toEqual([{ tenant_id: tenantId, address: '192.0.2.202', enabled: false, sampling_override: 64 }]);
    const all = (await app.query(`SELECT address FROM clarion_exporter_registrations(NULL)`)).rows.map((r) => r.address as string);
    expect(all).toContain('192.0.2.202');
    expect(all).not.toContain('192.0.2.201');
  });

  it('refuses days out of range and answers nothing for oversize key prefixes', async () => {
    await expect(app.query(`SELECT clarion_ensure_flow_partition('9999-01-01')`)).rejects.toThrow(/out of range/);
    await expect(app.query(`SELECT clarion_ensure_flow_partition('1900-01-01')`)).rejects.toThrow(/out of range/);
    await expect(app.query(`SELECT clarion_ensure_flow_partition(NULL)`)).rejects.toThrow(/a day is required/);
    expect((await app.query(`SELECT clarion_tenant_of_api_key(repeat('a', 100000)) AS t`)).rows[0].t).toBeNull();
  });
});
