import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_ROLE } from '../lib/roles';
import { enableTenantIsolation } from '../lib/tenant-isolation.sql';

/**
 * Storage of the ingest service: flow records, the batch ledger that makes replays exactly-once, the exporter
 * registry and persisted NetFlow v9/IPFIX templates.
 *
 * `flows` is range-partitioned by day on end_time (UTC), or a TimescaleDB hypertable with one-day chunks when that
 * extension is installed. Indexes are chosen for COPY throughput: one BRIN index on end_time (a few pages per
 * partition, nearly free to maintain); no B-tree and no foreign key, each of which costs a large share of the insert
 * rate (see docs/PERFORMANCE.md). Clustering reads flows from the JetStream batch events, not from this table.
 *
 * Row-level security: PostgreSQL refuses COPY FROM into a table whose RLS policy applies to the caller, so the
 * application role cannot COPY into `flows` itself. It COPYs into the day partitions, on which it holds INSERT only
 * (no SELECT, UPDATE or DELETE): every read goes through the parent, where the tenant policy applies. Partitions are
 * created by `clarion_ensure_flow_partition(day)`, a SECURITY DEFINER function, because the application role owns
 * nothing and may not create tables. Rows whose day has no partition (a skewed exporter clock) go to `flows_default`;
 * creating a day's partition later moves that day's rows out of it first.
 */
export class Ingest1764300000000 implements MigrationInterface {
  name = 'Ingest1764300000000';

  async up(q: QueryRunner): Promise<void> {
    const timescale = ((await q.query(`SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`)) as unknown[]).length > 0;
    const columns = `
        tenant_id uuid NOT NULL,
        end_time timestamptz NOT NULL,
        start_time timestamptz NOT NULL,
        exporter inet NOT NULL,
        observation_domain bigint NOT NULL,
        version smallint NOT NULL,
        src_address inet,
        dst_address inet,
        src_port integer NOT NULL,
        dst_port integer NOT NULL,
        protocol smallint NOT NULL,
        tcp_flags integer NOT NULL,
        bytes bigint NOT NULL,
        packets bigint NOT NULL,
        sampling_rate integer NOT NULL,
        input_interface bigint NOT NULL,
        output_interface bigint NOT NULL,
        src_mac macaddr,
        dst_mac macaddr,
        src_vlan integer,
        dst_vlan integer,
        direction smallint,
        src_sgt integer,
        dst_sgt integer`;

    if (timescale) {
      await q.query(`CREATE TABLE flows (${columns})`);
      await q.query(`SELECT create_hypertable('flows', 'end_time', chunk_time_interval => interval '1 day')`);
      await q.query(`CREATE INDEX flows_end_time_brin ON flows USING brin (end_time)`);
      for (const sql of enableTenantIsolation('flows')) await q.query(sql);
      await q.query(`GRANT SELECT, INSERT ON flows TO ${APP_ROLE}`);
      // Chunks are created by TimescaleDB on insert; the writer inserts through the hypertable (under RLS).
      await q.query(`
        CREATE FUNCTION clarion_ensure_flow_partition(p_day date) RETURNS text
        LANGUAGE sql STABLE AS $$ SELECT 'flows'::text $$`);
      await q.query(`CREATE FUNCTION clarion_flow_storage() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'hypertable'::text $$`);
    } else {
      await q.query(`CREATE TABLE flows (${columns}) PARTITION BY RANGE (end_time)`);
      await q.query(`CREATE INDEX flows_end_time_brin ON flows USING brin (end_time)`);
      await q.query(`CREATE TABLE flows_default PARTITION OF flows DEFAULT`);
      for (const sql of enableTenantIsolation('flows')) await q.query(sql);
      await q.query(`GRANT SELECT ON flows TO ${APP_ROLE}`);
      await q.query(`GRANT INSERT ON flows_default TO ${APP_ROLE}`);
      await q.query(`
        CREATE FUNCTION clarion_ensure_flow_partition(p_day date) RETURNS text
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        DECLARE
          v_name text := 'flows_p' || to_char(p_day, 'YYYYMMDD');
          v_from timestamptz := p_day::timestamp AT TIME ZONE 'UTC';
          v_to timestamptz := (p_day + 1)::timestamp AT TIME ZONE 'UTC';
        BEGIN
          IF p_day IS NULL THEN RAISE EXCEPTION 'a day is required'; END IF;
          IF to_regclass(v_name) IS NOT NULL THEN RETURN v_name; END IF;
          -- One creator at a time across every ingest instance; the loser finds the table made.
          PERFORM pg_advisory_xact_lock(hashtext('clarion_ensure_flow_partition'));
          IF to_regclass(v_name) IS NOT NULL THEN RETURN v_name; END IF;
          EXECUTE format('CREATE TABLE %I (LIKE flows INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', v_name);
          -- Rows of this day that arrived while it had no partition sit in the default partition, and attaching
          -- would fail while they are there: move them first.
          EXECUTE format(
            'WITH moved AS (DELETE FROM flows_default WHERE end_time >= %L AND end_time < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
            v_from, v_to, v_name);
          -- ATTACH takes a weaker lock on the parent than CREATE TABLE ... PARTITION OF, so readers are not blocked.
          EXECUTE format('ALTER TABLE flows ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', v_name, v_from, v_to);
          EXECUTE format('GRANT INSERT ON %I TO ${APP_ROLE}', v_name);
          RETURN v_name;
        END $$`);
      await q.query(`CREATE FUNCTION clarion_flow_storage() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'partitions'::text $$`);
      await q.query(`REVOKE ALL ON FUNCTION clarion_ensure_flow_partition(date) FROM PUBLIC`);
    }
    await q.query(`GRANT EXECUTE ON FUNCTION clarion_ensure_flow_partition(date), clarion_flow_storage() TO ${APP_ROLE}`);

    // One row per committed batch, written in the batch's transaction: a batch replayed from the spool after a
    // commit whose acknowledgement was lost finds its id here and is skipped, so every row is stored exactly once.
    await q.query(`
      CREATE TABLE flow_batches (
        batch_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        row_count integer NOT NULL CHECK (row_count >= 0),
        first_end_time timestamptz,
        last_end_time timestamptz,
        committed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX flow_batches_committed_idx ON flow_batches (tenant_id, committed_at)`);

    await q.query(`
      CREATE TABLE exporters (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        address inet NOT NULL,
        first_seen_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        packets bigint NOT NULL DEFAULT 0,
        records bigint NOT NULL DEFAULT 0,
        lost_records bigint NOT NULL DEFAULT 0,
        decode_errors jsonb NOT NULL DEFAULT '{}'::jsonb,
        sampling_rate double precision,
        domains jsonb NOT NULL DEFAULT '[]'::jsonb,
        sampling_state jsonb NOT NULL DEFAULT '[]'::jsonb,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, address)
      )`);

    await q.query(`
      CREATE TABLE netflow_templates (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        exporter inet NOT NULL,
        version smallint NOT NULL CHECK (version IN (9, 10)),
        observation_domain bigint NOT NULL CHECK (observation_domain BETWEEN 0 AND 4294967295),
        template_id integer NOT NULL CHECK (template_id BETWEEN 256 AND 65535),
        kind text NOT NULL CHECK (kind IN ('data', 'options')),
        scope_field_count integer NOT NULL CHECK (scope_field_count >= 0),
        fields jsonb NOT NULL,
        learned_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, exporter, version, observation_domain, template_id)
      )`);

    for (const table of ['flow_batches', 'exporters', 'netflow_templates']) {
      for (const sql of enableTenantIsolation(table)) await q.query(sql);
    }
    await q.query(`GRANT SELECT, INSERT, DELETE ON flow_batches TO ${APP_ROLE}`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON exporters, netflow_templates TO ${APP_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS netflow_templates, exporters, flow_batches');
    await q.query('DROP TABLE IF EXISTS flows CASCADE');
    await q.query('DROP FUNCTION IF EXISTS clarion_ensure_flow_partition(date)');
    await q.query('DROP FUNCTION IF EXISTS clarion_flow_storage()');
  }
}
