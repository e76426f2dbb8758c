import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_ROLE, SERVICE_ROLES } from '../lib/roles';
import { enableTenantIsolation } from '../lib/tenant-isolation.sql';

/**
 * Endpoints are internal hosts (issue 13, item 2).
 *
 * - `router_interfaces`: MACs the clustering service found to front more than one host (seen in front of external
 *   addresses, or with too many internal addresses); flows through them are keyed by the internal address, never by
 *   the MAC. Tenant table under the usual policy.
 * - Endpoint rows that are external under the default classification (RFC 1918, 100.64.0.0/10 and fc00::/7 are
 *   internal; an IPv4-mapped IPv6 address counts as its IPv4 address) are removed: profiles keyed `ip:<external>` or
 *   keyed by a MAC last seen with an external address, their memberships, and the edges touching them. The counts
 *   removed per tenant are recorded in `endpoint_removals`, which the clustering service reads with its job history.
 * - The clustering role may DELETE profiles, memberships and edges: an endpoint stored under a MAC that later shows
 *   itself to be a router interface is removed.
 *
 * Down drops the two tables and the DELETE grants; removed rows are not restored (the next flows rebuild internal ones).
 */
type Privilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

/** Per role: the privileges this migration adds (on top of SERVICE_TABLE_GRANTS of 1764900000000 and 1765000000000). */
export const INTERNAL_ENDPOINT_GRANTS: Record<string, Record<string, Privilege[]>> = {
  [SERVICE_ROLES.clustering]: {
    router_interfaces: ['SELECT', 'INSERT', 'UPDATE'],
    endpoint_removals: ['SELECT'],
    endpoint_profiles: ['DELETE'],
    endpoint_memberships: ['DELETE'],
    endpoint_edges: ['DELETE'],
  },
};

/** The reason recorded for the removal this migration makes. */
export const DEFAULT_EXTERNAL_REMOVAL = 'external_by_default_classification';

const DEFAULT_INTERNAL = `ARRAY['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7']::inet[]`;

export class InternalEndpoints1765100000000 implements MigrationInterface {
  name = 'InternalEndpoints1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE router_interfaces (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        mac macaddr NOT NULL,
        reason text NOT NULL CHECK (reason IN ('external', 'addresses')),
        internal_addresses integer NOT NULL DEFAULT 0 CHECK (internal_addresses >= 0),
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz,
        PRIMARY KEY (tenant_id, mac)
      )`);
    await q.query(`
      CREATE TABLE endpoint_removals (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        reason text NOT NULL,
        migration text,
        profiles integer NOT NULL DEFAULT 0,
        memberships integer NOT NULL DEFAULT 0,
        edges integer NOT NULL DEFAULT 0,
        removed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX endpoint_removals_tenant_idx ON endpoint_removals (tenant_id, removed_at DESC)`);
    for (const table of ['router_interfaces', 'endpoint_removals']) {
      for (const sql of enableTenantIsolation(table)) await q.query(sql);
    }
    for (const [role, tables] of Object.entries(INTERNAL_ENDPOINT_GRANTS)) {
      for (const [table, privileges] of Object.entries(tables)) await q.query(`GRANT ${privileges.join(', ')} ON public.${table} TO ${role}`);
    }
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON router_interfaces TO ${APP_ROLE}`);
    await q.query(`GRANT SELECT ON endpoint_removals TO ${APP_ROLE}`);
    await this.removeExternalEndpoints(q);
  }

  private async removeExternalEndpoints(q: QueryRunner): Promise<void> {
    // Not internal under the defaults: an address that does not parse is no host of the tenant's either.
    await q.query(`
      CREATE FUNCTION pg_temp.clarion_default_external(address text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
      DECLARE a inet;
      BEGIN
        IF address IS NULL THEN RETURN false; END IF;
        BEGIN
          a := address::inet;
        EXCEPTION WHEN others THEN
          RETURN true;
        END;
        IF family(a) = 6 AND a <<= '::ffff:0.0.0.0/96'::inet THEN a := substring(host(a) FROM 8)::inet; END IF;
        RETURN NOT (a <<= ANY (${DEFAULT_INTERNAL}));
      END $$`);
    const tables = ['endpoint_profiles', 'endpoint_memberships', 'endpoint_edges'];
    // The owner is held to the policies too while FORCE is set: lifted for these statements over every tenant.
    for (const table of tables) await q.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
    await q.query(`
      CREATE TEMPORARY TABLE clarion_external_endpoints AS
        SELECT tenant_id, endpoint_key FROM endpoint_profiles
        WHERE pg_temp.clarion_default_external(CASE WHEN endpoint_key LIKE 'ip:%' THEN substr(endpoint_key, 4) ELSE host(address) END)`);
    const externalKey = (column: string, alias: string) =>
      `((${column} LIKE 'ip:%' AND pg_temp.clarion_default_external(substr(${column}, 4)))
        OR EXISTS (SELECT 1 FROM clarion_external_endpoints g WHERE g.tenant_id = ${alias}.tenant_id AND g.endpoint_key = ${column}))`;
    await q.query(`
      CREATE TEMPORARY TABLE clarion_endpoint_removals AS
      WITH memberships AS (
        DELETE FROM endpoint_memberships m WHERE ${externalKey('m.endpoint_key', 'm')} RETURNING m.tenant_id
      ), edges AS (
        DELETE FROM endpoint_edges e WHERE ${externalKey('e.client_key', 'e')} OR ${externalKey('e.server_key', 'e')} RETURNING e.tenant_id
      ), profiles AS (
        DELETE FROM endpoint_profiles p USING clarion_external_endpoints g
        WHERE p.tenant_id = g.tenant_id AND p.endpoint_key = g.endpoint_key RETURNING p.tenant_id
      ), counted AS (
        SELECT tenant_id, 1 AS profiles, 0 AS memberships, 0 AS edges FROM profiles
        UNION ALL SELECT tenant_id, 0, 1, 0 FROM memberships
        UNION ALL SELECT tenant_id, 0, 0, 1 FROM edges
      )
      SELECT tenant_id, sum(profiles)::int AS profiles, sum(memberships)::int AS memberships, sum(edges)::int AS edges
      FROM counted GROUP BY tenant_id`);
    for (const table of tables) await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE endpoint_removals NO FORCE ROW LEVEL SECURITY`);
    await q.query(
      `INSERT INTO endpoint_removals (tenant_id, reason, migration, profiles, memberships, edges)
       SELECT tenant_id, $1, $2, profiles, memberships, edges FROM clarion_endpoint_removals ORDER BY tenant_id`,
      [DEFAULT_EXTERNAL_REMOVAL, this.name],
    );
    await q.query(`ALTER TABLE endpoint_removals FORCE ROW LEVEL SECURITY`);
    await q.query('DROP TABLE clarion_endpoint_removals, clarion_external_endpoints');
    await q.query('DROP FUNCTION pg_temp.clarion_default_external(text)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`REVOKE DELETE ON endpoint_profiles, endpoint_memberships, endpoint_edges FROM ${SERVICE_ROLES.clustering}`);
    await q.query('DROP TABLE IF EXISTS endpoint_removals, router_interfaces');
  }
}
