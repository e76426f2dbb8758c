import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_ROLE } from '../lib/roles';
import { enableTenantIsolation } from '../lib/tenant-isolation.sql';

/**
 * Storage of the clustering service.
 *
 * - `endpoint_profiles`: one mergeable behaviour profile per endpoint (binary, @clarion/clustering-core encodeProfile).
 *   A batch's delta profiles are merged into the stored ones under a row lock, so several clustering instances sharing
 *   the durable consumer never lose an update.
 * - `clustering_batches`: the ledger of consumed flow-batch messages, written in the same transaction as the profile
 *   updates: a redelivered message finds its id and changes nothing.
 * - `endpoint_edges`: traffic aggregated per (client endpoint, server endpoint, protocol, server port, flow tags); the
 *   policy matrix and the impact analysis join it with the memberships, so a re-clustering needs no flow re-read.
 * - `clustering_jobs`: full re-clustering jobs with stage and progress; at most one queued or running per tenant.
 * - `cluster_models`: the current assignment model (scaler, centroids, spreads) per tenant, for incremental assignment.
 * - `clusters`, `sgts` (the SGT registry, optionally bound to a cluster), `endpoint_memberships` (cluster from the last
 *   run or assignment; a manual SGT override in its own columns, which runs never write) and `membership_history`.
 * - `endpoint_identities`: imported identity (MAC or IP -> device type, user, directory groups).
 */
export class Clustering1764400000000 implements MigrationInterface {
  name = 'Clustering1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE endpoint_profiles (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        endpoint_key text NOT NULL CHECK (length(endpoint_key) BETWEEN 4 AND 60),
        address inet,
        mac macaddr,
        profile bytea NOT NULL,
        flows bigint NOT NULL DEFAULT 0,
        first_seen_at timestamptz,
        last_seen_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, endpoint_key)
      )`);
    await q.query(`CREATE INDEX endpoint_profiles_created_idx ON endpoint_profiles (tenant_id, created_at)`);
    await q.query(`CREATE INDEX endpoint_profiles_last_seen_idx ON endpoint_profiles (tenant_id, last_seen_at)`);
    await q.query(`CREATE INDEX endpoint_profiles_address_idx ON endpoint_profiles (tenant_id, address)`);

    await q.query(`
      CREATE TABLE clustering_batches (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        message_id text NOT NULL CHECK (length(message_id) <= 80),
        flows integer NOT NULL CHECK (flows >= 0),
        consumed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, message_id)
      )`);
    await q.query(`CREATE INDEX clustering_batches_consumed_idx ON clustering_batches (consumed_at)`);

    await q.query(`
      CREATE TABLE endpoint_edges (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        client_key text NOT NULL,
        server_key text NOT NULL,
        protocol smallint NOT NULL CHECK (protocol BETWEEN 0 AND 255),
        port integer NOT NULL CHECK (port BETWEEN 0 AND 65535),
        client_tag integer NOT NULL DEFAULT -1,
        server_tag integer NOT NULL DEFAULT -1,
        flows bigint NOT NULL DEFAULT 0,
        bytes bigint NOT NULL DEFAULT 0,
        packets bigint NOT NULL DEFAULT 0,
        first_seen_at timestamptz,
        last_seen_at timestamptz,
        PRIMARY KEY (tenant_id, client_key, server_key, protocol, port, client_tag, server_tag)
      )`);
    await q.query(`CREATE INDEX endpoint_edges_server_idx ON endpoint_edges (tenant_id, server_key)`);

    await q.query(`
      CREATE TABLE clustering_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        trigger text NOT NULL CHECK (trigger IN ('request', 'schedule', 'threshold', 'initial')),
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
        stage text,
        progress real NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
        endpoints integer,
        clusters integer,
        noise_rate real,
        error text,
        requested_by text,
        worker text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        heartbeat_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX clustering_jobs_one_active ON clustering_jobs (tenant_id) WHERE status IN ('queued', 'running')`);
    await q.query(`CREATE INDEX clustering_jobs_tenant_created_idx ON clustering_jobs (tenant_id, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE cluster_models (
        tenant_id uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
        job_id uuid,
        version integer NOT NULL DEFAULT 1,
        endpoints integer NOT NULL DEFAULT 0,
        use_identity boolean NOT NULL DEFAULT false,
        state jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE clusters (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        id text NOT NULL CHECK (id ~ '^[A-Za-z0-9_-]{1,40}$'),
        label text NOT NULL,
        explanation text NOT NULL,
        size integer NOT NULL DEFAULT 0,
        quality real NOT NULL DEFAULT 0,
        stability real NOT NULL DEFAULT 0,
        summary jsonb NOT NULL DEFAULT '{}'::jsonb,
        job_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz,
        PRIMARY KEY (tenant_id, id)
      )`);

    await q.query(`
      CREATE TABLE sgts (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        value integer NOT NULL CHECK (value BETWEEN 1 AND 65535),
        name text NOT NULL CHECK (name ~ '^[A-Za-z0-9_]{1,32}$'),
        description text,
        category text NOT NULL DEFAULT 'custom',
        cluster_id text,
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, value),
        UNIQUE (tenant_id, name)
      )`);
    await q.query(`CREATE UNIQUE INDEX sgts_cluster_idx ON sgts (tenant_id, cluster_id) WHERE cluster_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE endpoint_memberships (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        endpoint_key text NOT NULL,
        cluster_id text,
        probability real NOT NULL DEFAULT 0,
        confidence real NOT NULL DEFAULT 0,
        band text NOT NULL DEFAULT 'very_low',
        assigned_by text CHECK (assigned_by IN ('clustering', 'assignment')),
        assigned_at timestamptz,
        override_sgt integer CHECK (override_sgt BETWEEN 1 AND 65535),
        override_by text,
        override_reason text,
        override_at timestamptz,
        PRIMARY KEY (tenant_id, endpoint_key)
      )`);
    await q.query(`CREATE INDEX endpoint_memberships_cluster_idx ON endpoint_memberships (tenant_id, cluster_id)`);
    await q.query(`CREATE INDEX endpoint_memberships_override_idx ON endpoint_memberships (tenant_id, override_sgt) WHERE override_sgt IS NOT NULL`);

    await q.query(`
      CREATE TABLE membership_history (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        endpoint_key text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        kind text NOT NULL CHECK (kind IN ('clustering', 'assignment', 'override', 'override_cleared')),
        cluster_id text,
        sgt integer,
        actor text NOT NULL,
        reason text,
        job_id uuid
      )`);
    await q.query(`CREATE INDEX membership_history_endpoint_idx ON membership_history (tenant_id, endpoint_key, id DESC)`);

    await q.query(`
      CREATE TABLE endpoint_identities (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        endpoint_key text NOT NULL,
        device_type text,
        user_name text,
        groups text[] NOT NULL DEFAULT '{}',
        imported_by text,
        imported_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, endpoint_key)
      )`);

    const tables = [
      'endpoint_profiles',
      'clustering_batches',
      'endpoint_edges',
      'clustering_jobs',
      'cluster_models',
      'clusters',
      'sgts',
      'endpoint_memberships',
      'membership_history',
      'endpoint_identities',
    ];
    for (const table of tables) for (const sql of enableTenantIsolation(table)) await q.query(sql);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${tables.filter((t) => t !== 'membership_history').join(', ')} TO ${APP_ROLE}`);
    // History is append-only for the application.
    await q.query(`GRANT SELECT, INSERT ON membership_history TO ${APP_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'endpoint_identities',
      'membership_history',
      'endpoint_memberships',
      'sgts',
      'clusters',
      'cluster_models',
      'clustering_jobs',
      'endpoint_edges',
      'clustering_batches',
      'endpoint_profiles',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
