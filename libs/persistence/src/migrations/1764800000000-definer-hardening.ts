import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_ROLE } from '../lib/roles';

/**
 * SECURITY DEFINER functions run as their owner, with the caller's session. The earlier definitions set
 * `search_path = public`, and PostgreSQL then searches the caller's temporary schema *first* for relations (pg_temp is
 * implicitly in front unless the path names it). A caller with the TEMPORARY privilege could create a temporary
 * `flows_default` (or `sessions`, `api_keys`) with a trigger and have the owner run it (issue 12, attack 2).
 *
 * Here every definer function is replaced with:
 * - `SET search_path = pg_catalog, public, pg_temp`: built-ins cannot be shadowed, and temporary objects come last;
 * - every relation schema-qualified (`public.flows`), so nothing is looked up through the path at all;
 * - bounded arguments (days from 1970 to a month ahead; an API-key prefix of at most 64 characters).
 * And TEMPORARY is revoked from PUBLIC on this database: the application role needs it only with TimescaleDB, whose
 * writer stages rows in a session-local table (libs/persistence flow.repository.ts), so it is granted back there alone.
 * A test lists every definer function in the schema and fails on one without this search path.
 */
export const DEFINER_SEARCH_PATH = 'pg_catalog, public, pg_temp';

const DAY_BOUNDS = `
          IF p_day IS NULL THEN RAISE EXCEPTION 'a day is required'; END IF;
          IF p_day < DATE '1970-01-01' OR p_day > (now() AT TIME ZONE 'UTC')::date + 31 THEN
            RAISE EXCEPTION 'day % is out of range (1970-01-01 to 31 days ahead)', p_day;
          END IF;`;

const EXPIRE_GUARD = `
          IF p_before IS NULL THEN RAISE EXCEPTION 'a day is required'; END IF;
          IF p_before > (now() AT TIME ZONE 'UTC')::date THEN
            RAISE EXCEPTION 'flows of today or later are never expired (asked to expire before %)', p_before;
          END IF;
          PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('clarion_ensure_flow_partition'));`;

function partitionFunctions(): string[] {
  return [
    `CREATE OR REPLACE FUNCTION public.clarion_ensure_flow_partition(p_day date) RETURNS text
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
          EXECUTE format('GRANT INSERT ON public.%I TO ${APP_ROLE}', v_name);
          RETURN v_name;
        END $$`,
    `CREATE OR REPLACE FUNCTION public.clarion_expire_flows(p_before date, OUT partitions text[], OUT default_rows bigint)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = ${DEFINER_SEARCH_PATH} AS $$
        DECLARE
          v_name text;
        BEGIN${EXPIRE_GUARD}
          partitions := '{}';
          -- Day partitions are named flows_pYYYYMMDD and hold [day, day + 1): all of it is before p_before when day is.
          FOR v_name IN
            SELECT c.relname FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'public.flows'::regclass AND c.relname ~ '^flows_p[0-9]{8}$'
              AND to_date(substr(c.relname, 8), 'YYYYMMDD') < p_before
            ORDER BY c.relname
          LOOP
            EXECUTE format('ALTER TABLE public.flows DETACH PARTITION public.%I', v_name);
            EXECUTE format('DROP TABLE public.%I', v_name);
            partitions := partitions || v_name;
          END LOOP;
          DELETE FROM public.flows_default WHERE end_time < p_before::timestamp AT TIME ZONE 'UTC';
          GET DIAGNOSTICS default_rows = ROW_COUNT;
        END $$`,
  ];
}

function hypertableFunctions(): string[] {
  return [
    `CREATE OR REPLACE FUNCTION public.clarion_expire_flows(p_before date, OUT partitions text[], OUT default_rows bigint)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = ${DEFINER_SEARCH_PATH} AS $$
        BEGIN${EXPIRE_GUARD}
          partitions := ARRAY(SELECT drop_chunks('public.flows'::regclass, older_than => p_before::timestamp AT TIME ZONE 'UTC')::text);
          default_rows := 0;
        END $$`,
  ];
}

const LOOKUP_FUNCTIONS = [
  `CREATE OR REPLACE FUNCTION public.clarion_tenant_of_session(p_session uuid) RETURNS uuid
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ${DEFINER_SEARCH_PATH} AS
      $$ SELECT tenant_id FROM public.sessions WHERE id = p_session $$`,
  `CREATE OR REPLACE FUNCTION public.clarion_tenant_of_api_key(p_prefix text) RETURNS uuid
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ${DEFINER_SEARCH_PATH} AS
      $$ SELECT tenant_id FROM public.api_keys WHERE prefix = p_prefix AND length(p_prefix) <= 64 $$`,
];

export class DefinerHardening1764800000000 implements MigrationInterface {
  name = 'DefinerHardening1764800000000';

  async up(q: QueryRunner): Promise<void> {
    const storage = ((await q.query(`SELECT clarion_flow_storage() AS storage`)) as Array<{ storage: string }>)[0]?.storage;
    const statements = [...(storage === 'hypertable' ? hypertableFunctions() : partitionFunctions()), ...LOOKUP_FUNCTIONS];
    for (const sql of statements) await q.query(sql);
    // Only the database's owner (or a superuser) can revoke it; db-setup.sh makes the schema owner the database owner.
    await q.query(`DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database()); END $$`);
    if (storage === 'hypertable') {
      await q.query(`DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO ${APP_ROLE}', current_database()); END $$`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', current_database()); END $$`);
    // The functions keep their qualified bodies; only the earlier search path comes back.
    const storage = ((await q.query(`SELECT clarion_flow_storage() AS storage`)) as Array<{ storage: string }>)[0]?.storage;
    const functions = ['clarion_expire_flows(date)', 'clarion_tenant_of_session(uuid)', 'clarion_tenant_of_api_key(text)'];
    if (storage !== 'hypertable') functions.push('clarion_ensure_flow_partition(date)');
    for (const fn of functions) await q.query(`ALTER FUNCTION public.${fn} SET search_path = public`);
  }
}
