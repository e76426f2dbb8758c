import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_ROLE, SERVICE_ROLES } from '../lib/roles';
import { enableTenantIsolation } from '../lib/tenant-isolation.sql';
import { DEFINER_SEARCH_PATH } from './1764800000000-definer-hardening';

/**
 * The network inventory and tenants through the API (issue 13, items 1 and 5).
 *
 * - `sites`, `address_spaces`, `subnets` belong to the clustering service, which classifies endpoints with them
 *   (docs/ARCHITECTURE.md, "Network inventory"). Tenant tables under the usual policy. Site names and the CIDRs of
 *   address spaces and of subnets are unique per tenant: they are the keys an import upserts by.
 * - `exporters` (the ingest service's registry) gains a registration: name, site, the sampling rate to apply when the
 *   exporter announces none, enabled. A registered exporter may not have been seen yet, so the seen times become
 *   nullable. A registered address belongs to one tenant across the platform (ingest picks the tenant by the source
 *   address): a unique index over registered rows, which row-level security does not hide.
 * - `exporters.site_id` references `sites`: a reference across the two services' tables that the database keeps sound
 *   without either service reading the other's table (referential checks run as the owner and are not filtered by
 *   row-level security); a site with exporters cannot be deleted.
 * - `clarion_exporter_registrations(address)` lets ingest find the tenant of a registered address before it has a
 *   tenant context (boot, and an address it meets first), like the auth service's tenant lookups: SECURITY DEFINER,
 *   the hardened search path, returning only what routing needs.
 * - `tenants.status` ('active' | 'suspended'): superadmins suspend a tenant; the auth service writes it.
 */
type Privilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

/** Per role: the privileges this migration adds (on top of SERVICE_TABLE_GRANTS of 1764900000000). */
export const INVENTORY_TABLE_GRANTS: Record<string, Record<string, Privilege[]>> = {
  [SERVICE_ROLES.auth]: {
    tenants: ['UPDATE'],
  },
  [SERVICE_ROLES.clustering]: {
    sites: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    address_spaces: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    subnets: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  },
  [SERVICE_ROLES.ingest]: {
    // Unregistering an exporter that never sent anything removes its row.
    exporters: ['DELETE'],
  },
};

const REGISTRATIONS_FUNCTION = 'clarion_exporter_registrations(inet)';

export class NetworkInventory1765000000000 implements MigrationInterface {
  name = 'NetworkInventory1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tenants
        ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`);

    await q.query(`
      CREATE TABLE sites (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        kind text NOT NULL CHECK (kind IN ('campus', 'branch', 'building', 'closet')),
        parent_id uuid,
        time_zone text CHECK (length(time_zone) BETWEEN 1 AND 64),
        description text CHECK (length(description) <= 500),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, name),
        CHECK (parent_id IS DISTINCT FROM id),
        FOREIGN KEY (tenant_id, parent_id) REFERENCES sites (tenant_id, id)
      )`);
    await q.query(`CREATE INDEX sites_parent_idx ON sites (tenant_id, parent_id) WHERE parent_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE address_spaces (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        cidr cidr NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        kind text NOT NULL CHECK (kind IN ('internal', 'external')),
        description text CHECK (length(description) <= 500),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, cidr)
      )`);

    await q.query(`
      CREATE TABLE subnets (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        cidr cidr NOT NULL,
        name text CHECK (length(name) BETWEEN 1 AND 200),
        site_id uuid,
        vlan integer CHECK (vlan BETWEEN 1 AND 4094),
        purpose text CHECK (purpose IN ('user', 'server', 'iot', 'guest', 'voice', 'management')),
        description text CHECK (length(description) <= 500),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, cidr),
        FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id)
      )`);
    await q.query(`CREATE INDEX subnets_site_idx ON subnets (tenant_id, site_id) WHERE site_id IS NOT NULL`);

    await q.query(`
      ALTER TABLE exporters
        ALTER COLUMN first_seen_at DROP NOT NULL,
        ALTER COLUMN last_seen_at DROP NOT NULL,
        ADD COLUMN registered_at timestamptz,
        ADD COLUMN name text CHECK (length(name) BETWEEN 1 AND 200),
        ADD COLUMN site_id uuid,
        ADD COLUMN sampling_override integer CHECK (sampling_override >= 1),
        ADD COLUMN enabled boolean NOT NULL DEFAULT true,
        ADD CONSTRAINT exporters_seen_or_registered CHECK (registered_at IS NOT NULL OR first_seen_at IS NOT NULL),
        ADD CONSTRAINT exporters_site_fk FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id)`);
    await q.query(`CREATE UNIQUE INDEX exporters_registered_address_idx ON exporters (address) WHERE registered_at IS NOT NULL`);
    await q.query(`CREATE INDEX exporters_site_idx ON exporters (tenant_id, site_id) WHERE site_id IS NOT NULL`);

    await q.query(`
      CREATE FUNCTION public.clarion_exporter_registrations(p_address inet)
        RETURNS TABLE (tenant_id uuid, address text, enabled boolean, sampling_override integer)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ${DEFINER_SEARCH_PATH} AS
        $$ SELECT e.tenant_id, pg_catalog.host(e.address), e.enabled, e.sampling_override
             FROM public.exporters e
            WHERE e.registered_at IS NOT NULL AND (p_address IS NULL OR e.address = p_address) $$`);
    // As for the auth lookups: FORCE RLS filters the definer's owner too, so the function reads through a policy
    // that admits the owner alone.
    await q.query(`CREATE POLICY owner_lookup ON exporters FOR SELECT TO CURRENT_USER USING (true)`);
    await q.query(`REVOKE ALL ON FUNCTION public.${REGISTRATIONS_FUNCTION} FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION public.${REGISTRATIONS_FUNCTION} TO ${SERVICE_ROLES.ingest}, ${APP_ROLE}`);

    for (const table of ['sites', 'address_spaces', 'subnets']) {
      for (const sql of enableTenantIsolation(table)) await q.query(sql);
    }
    for (const [role, tables] of Object.entries(INVENTORY_TABLE_GRANTS)) {
      for (const [table, privileges] of Object.entries(tables)) await q.query(`GRANT ${privileges.join(', ')} ON public.${table} TO ${role}`);
    }
    // Deployments still connecting as the shared role keep working (it held every table's DML before).
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON sites, address_spaces, subnets TO ${APP_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS public.${REGISTRATIONS_FUNCTION}`);
    await q.query(`DROP POLICY IF EXISTS owner_lookup ON exporters`);
    await q.query(`REVOKE DELETE ON exporters FROM ${SERVICE_ROLES.ingest}`);
    await q.query(`DROP INDEX IF EXISTS exporters_site_idx`);
    await q.query(`DROP INDEX IF EXISTS exporters_registered_address_idx`);
    // Registered exporters that never sent anything cannot keep a row without seen times (every tenant's: the owner
    // is held to the policies too until FORCE is lifted for the statement).
    await q.query(`ALTER TABLE exporters NO FORCE ROW LEVEL SECURITY`);
    await q.query(`DELETE FROM exporters WHERE first_seen_at IS NULL`);
    await q.query(`ALTER TABLE exporters FORCE ROW LEVEL SECURITY`);
    await q.query(`
      ALTER TABLE exporters
        DROP CONSTRAINT IF EXISTS exporters_site_fk,
        DROP CONSTRAINT IF EXISTS exporters_seen_or_registered,
        DROP COLUMN IF EXISTS enabled,
        DROP COLUMN IF EXISTS sampling_override,
        DROP COLUMN IF EXISTS site_id,
        DROP COLUMN IF EXISTS name,
        DROP COLUMN IF EXISTS registered_at,
        ALTER COLUMN first_seen_at SET NOT NULL,
        ALTER COLUMN last_seen_at SET NOT NULL`);
    await q.query('DROP TABLE IF EXISTS subnets, address_spaces, sites');
    await q.query(`REVOKE UPDATE ON tenants FROM ${SERVICE_ROLES.auth}`);
    await q.query(`ALTER TABLE tenants DROP COLUMN IF EXISTS updated_at, DROP COLUMN IF EXISTS status`);
  }
}
