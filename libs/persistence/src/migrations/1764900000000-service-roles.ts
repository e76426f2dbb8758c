import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_ROLE, SERVICE_ROLES } from '../lib/roles';
import { DEFINER_SEARCH_PATH } from './1764800000000-definer-hardening';

/**
 * One login role per service (issue 12, item 3), each granted only what that service's queries use, so a service
 * that is taken over reaches only its own tables: the gateway cannot read users, ingest cannot read signing keys,
 * retention can read flows and expire them and nothing else. What each service runs was read from its repositories
 * (libs/persistence/src/repositories, used from apps/<service>) and its own SQL; `service-grants.integration-spec.ts`
 * tries every operation on every table as every role against the same matrix.
 *
 * - The roles are created here when missing and the migration may (a superuser, or CREATEROLE): LOGIN without a
 *   password, so only trust authentication (local development) lets them in until the operator sets one. On
 *   PostgreSQL 15 and earlier CREATEROLE is close to superuser, so clarion_owner does not have it: the roles come
 *   from tools/infra/db-setup.sh, run as a superuser by every setup path (npm start, the tests, compose, the
 *   Kubernetes instructions), and this migration stops with that advice when one is missing.
 * - A role that is a superuser or has BYPASSRLS is refused: the tenant policies (created without a TO clause, so
 *   for PUBLIC) must apply to every service as they do to clarion_app.
 * - Table grants are table-wide (no column lists): a write needs the columns it reads in WHERE and RETURNING anyway.
 *   No service may TRUNCATE, and none holds DELETE where its code deletes nothing (users, sessions, API keys and the
 *   audit log are never deleted by a service).
 * - Day partitions get INSERT for ingest (and clarion_app) from `clarion_ensure_flow_partition`, replaced here with
 *   the same body and one more grantee; existing partitions are granted now.
 * - Signing keys are written by clarion_auth alone (and the owner): clarion_app keeps SELECT only. A role that could
 *   write that table could add a public key of its own to the JWKS, which is why the auth service also publishes
 *   only keys it can decrypt.
 * - clarion_app keeps its other grants for deployments whose DATABASE_URL still names it; nothing in this
 *   repository connects a service as clarion_app any more.
 */
type Privilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

const READ_WRITE: Privilege[] = ['SELECT', 'INSERT', 'UPDATE'];

/** Per role: the privileges on each table (flow day partitions are granted by the partition function). */
export const SERVICE_TABLE_GRANTS: Record<string, Record<string, Privilege[]>> = {
  [SERVICE_ROLES.gateway]: {
    feature_flags: READ_WRITE,
  },
  [SERVICE_ROLES.auth]: {
    tenants: ['SELECT', 'INSERT'],
    feature_flags: ['SELECT'],
    users: READ_WRITE,
    sessions: READ_WRITE,
    refresh_tokens: READ_WRITE,
    api_keys: READ_WRITE,
    signing_keys: READ_WRITE,
    sso_configs: READ_WRITE,
    audit_events: ['SELECT', 'INSERT'],
    audit_chain_heads: READ_WRITE,
  },
  [SERVICE_ROLES.ingest]: {
    tenants: ['SELECT'],
    flows: ['SELECT'],
    flows_default: ['INSERT'],
    flow_batches: ['SELECT', 'INSERT', 'DELETE'],
    exporters: READ_WRITE,
    netflow_templates: ['SELECT', 'INSERT', 'DELETE'],
  },
  [SERVICE_ROLES.clustering]: {
    tenants: ['SELECT'],
    endpoint_profiles: READ_WRITE,
    clustering_batches: ['SELECT', 'INSERT', 'DELETE'],
    endpoint_edges: READ_WRITE,
    clustering_jobs: READ_WRITE,
    cluster_models: READ_WRITE,
    clusters: READ_WRITE,
    sgts: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    endpoint_memberships: READ_WRITE,
    membership_history: ['SELECT', 'INSERT'],
    endpoint_identities: READ_WRITE,
  },
  [SERVICE_ROLES.retention]: {
    tenants: ['SELECT'],
    flows: ['SELECT'],
  },
};

/** Per role: the functions it calls. */
const SERVICE_FUNCTION_GRANTS: Record<string, string[]> = {
  [SERVICE_ROLES.gateway]: [],
  [SERVICE_ROLES.auth]: ['clarion_tenant_of_session(uuid)', 'clarion_tenant_of_api_key(text)'],
  [SERVICE_ROLES.ingest]: ['clarion_ensure_flow_partition(date)', 'clarion_flow_storage()'],
  [SERVICE_ROLES.clustering]: [],
  [SERVICE_ROLES.retention]: ['clarion_expire_flows(date)'],
};

/** Who may COPY into a new day partition. */
const FLOW_WRITERS = [SERVICE_ROLES.ingest, APP_ROLE];

const DAY_BOUNDS = `
          IF p_day IS NULL THEN RAISE EXCEPTION 'a day is required'; END IF;
          IF p_day < DATE '1970-01-01' OR p_day > (now() AT TIME ZONE 'UTC')::date + 31 THEN
            RAISE EXCEPTION 'day % is out of range (1970-01-01 to 31 days ahead)', p_day;
          END IF;`;

/** The hardened partition creator (1764800000000), granting INSERT on the new partition to `writers`. */
function partitionFunction(writers: readonly string[]): string {
  return `CREATE OR REPLACE FUNCTION public.clarion_ensure_flow_partition(p_day date) RETURNS text
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = ${DEFINER_SEARCH_PATH} AS $$
        DECLARE
          v_name text;
          v_from timestamptz;
          v_to timestamptz;
        BEGIN${DAY_BOUNDS}
          v_name := 'flows_p' || to_char(p_day, 'YYYYMMDD');
          v_from := p_day::timestamp AT TIME ZONE 'UTC';
          v_to := (p_day + 1)::timestamp AT TIME ZONE 'UTC';
          IF to_regclass('public.' || quote_ident(v_name)) IS NOT NULL THEN RETURN v_name; END IF;
          -- One creator at a time across every ingest instance; the loser finds the table made.
          PERFORM pg_advisory_xact_lock(hashtext('clarion_ensure_flow_partition'));
          IF to_regclass('public.' || quote_ident(v_name)) IS NOT NULL THEN RETURN v_name; END IF;
          EXECUTE format('CREATE TABLE public.%I (LIKE public.flows INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', v_name);
          -- Rows of this day that arrived while it had no partition sit in the default partition: move them first.
          EXECUTE format(
            'WITH moved AS (DELETE FROM public.flows_default WHERE end_time >= %L AND end_time < %L RETURNING *) INSERT INTO public.%I SELECT * FROM moved',
            v_from, v_to, v_name);
          EXECUTE format('ALTER TABLE public.flows ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)', v_name, v_from, v_to);
          EXECUTE format('GRANT INSERT ON public.%I TO ${writers.join(', ')}', v_name);
          RETURN v_name;
        END $$`;
}

/** GRANT (or REVOKE) a privilege on every existing day partition. */
function onDayPartitions(statement: string): string {
  return `DO $$
      DECLARE v_name text;
      BEGIN
        FOR v_name IN
          SELECT c.relname FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'public.flows'::regclass AND c.relname ~ '^flows_p[0-9]{8}$'
        LOOP
          EXECUTE format('${statement}', v_name);
        END LOOP;
      END $$`;
}

export class ServiceRoles1764900000000 implements MigrationInterface {
  name = 'ServiceRoles1764900000000';

  async up(q: QueryRunner): Promise<void> {
    const roles = Object.values(SERVICE_ROLES);
    await this.ensureRoles(q, roles);
    const storage = ((await q.query(`SELECT clarion_flow_storage() AS storage`)) as Array<{ storage: string }>)[0]?.storage;

    await q.query(`GRANT USAGE ON SCHEMA public TO ${roles.join(', ')}`);
    for (const [role, tables] of Object.entries(SERVICE_TABLE_GRANTS)) {
      for (const [table, privileges] of Object.entries(tables)) {
        // A hypertable has no default partition: ingest writes through `flows` itself (under RLS).
        if (table === 'flows_default' && storage === 'hypertable') continue;
        await q.query(`GRANT ${privileges.join(', ')} ON public.${table} TO ${role}`);
      }
    }
    for (const [role, functions] of Object.entries(SERVICE_FUNCTION_GRANTS)) {
      for (const fn of functions) await q.query(`GRANT EXECUTE ON FUNCTION public.${fn} TO ${role}`);
    }

    if (storage === 'hypertable') {
      // The writer stages rows in a session-local table and inserts through the hypertable (see 1764800000000).
      await q.query(`GRANT INSERT ON public.flows TO ${SERVICE_ROLES.ingest}`);
      await q.query(`DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO ${SERVICE_ROLES.ingest}', current_database()); END $$`);
    } else {
      await q.query(partitionFunction(FLOW_WRITERS));
      await q.query(onDayPartitions(`GRANT INSERT ON public.%I TO ${SERVICE_ROLES.ingest}`));
    }

    await q.query(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.signing_keys FROM ${APP_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    const roles = Object.values(SERVICE_ROLES);
    const storage = ((await q.query(`SELECT clarion_flow_storage() AS storage`)) as Array<{ storage: string }>)[0]?.storage;
    await q.query(`GRANT INSERT, UPDATE ON public.signing_keys TO ${APP_ROLE}`);
    // The roles stay (they belong to the cluster, and other databases may use them); their grants here go.
    const existing = ((await q.query(`SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY($1::text[])`, [roles])) as Array<{ rolname: string }>).map(
      (r) => r.rolname,
    );
    if (storage !== 'hypertable') await q.query(partitionFunction([APP_ROLE]));
    if (existing.length === 0) return;
    const list = existing.join(', ');
    if (storage !== 'hypertable') await q.query(onDayPartitions(`REVOKE ALL ON public.%I FROM ${list}`));
    await q.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${list}`);
    await q.query(`REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM ${list}`);
    await q.query(`REVOKE ALL ON SCHEMA public FROM ${list}`);
    await q.query(`DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM ${list}', current_database()); END $$`);
  }

  /** Creates the missing roles where this session may, and refuses any role row-level security would not bind. */
  private async ensureRoles(q: QueryRunner, roles: readonly string[]): Promise<void> {
    const found = (await q.query(`SELECT rolname, rolsuper, rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = ANY($1::text[])`, [roles])) as Array<{
      rolname: string;
      rolsuper: boolean;
      rolbypassrls: boolean;
    }>;
    const unbound = found.filter((r) => r.rolsuper || r.rolbypassrls).map((r) => r.rolname);
    if (unbound.length > 0) {
      throw new Error(`${unbound.join(', ')} must not be SUPERUSER or BYPASSRLS: row-level security would not apply to ${unbound.length === 1 ? 'it' : 'them'}`);
    }
    const missing = roles.filter((role) => !found.some((r) => r.rolname === role));
    if (missing.length === 0) return;
    const [self] = (await q.query(`SELECT rolsuper OR rolcreaterole AS may FROM pg_catalog.pg_roles WHERE rolname = current_user`)) as Array<{ may: boolean }>;
    if (!self?.may) {
      throw new Error(
        `the database roles ${missing.join(', ')} do not exist and the migration role may not create roles: ` +
          `run tools/infra/db-setup.sh <database> as a PostgreSQL superuser first (it creates them), then migrate again`,
      );
    }
    for (const role of missing) await q.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION`);
  }
}
