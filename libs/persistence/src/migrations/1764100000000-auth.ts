import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_ROLE } from '../lib/roles';
import { enableTenantIsolation } from '../lib/tenant-isolation.sql';

/**
 * Users, sessions with rotating refresh tokens, API keys, signing keys and the hash-chained audit log.
 *
 * Two lookups must find a tenant from an opaque credential before any tenant context exists (a refresh token names
 * its session; an API key names its prefix). They go through SECURITY DEFINER functions that return only the tenant
 * id, so the application role never reads other tenants' rows.
 */
export class Auth1764100000000 implements MigrationInterface {
  name = 'Auth1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`GRANT INSERT, UPDATE ON tenants TO ${APP_ROLE}`);

    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        email text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
        display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
        password_hash text,
        roles text[] NOT NULL CHECK (roles <@ ARRAY['viewer','analyst','admin','superadmin']::text[]),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active','disabled')),
        must_change_password boolean NOT NULL DEFAULT false,
        external_issuer text,
        external_subject text,
        last_login_at timestamptz,
        password_changed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, email),
        UNIQUE (tenant_id, external_issuer, external_subject)
      )`);

    await q.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        idle_expires_at timestamptz NOT NULL,
        absolute_expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoked_reason text,
        source_ip text,
        user_agent text
      )`);
    await q.query(`CREATE INDEX sessions_user_idx ON sessions (tenant_id, user_id) WHERE revoked_at IS NULL`);

    await q.query(`
      CREATE TABLE refresh_tokens (
        token_hash bytea PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        used_at timestamptz
      )`);
    await q.query(`CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id)`);

    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        prefix text NOT NULL UNIQUE CHECK (prefix ~ '^[a-z0-9]{8,16}$'),
        secret_hash bytea NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        scopes text[] NOT NULL,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);

    // Platform tables (not tenant-owned): signing keys are shared by every tenant's tokens.
    await q.query(`
      CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        alg text NOT NULL,
        public_jwk jsonb NOT NULL,
        private_key_enc bytea NOT NULL,
        status text NOT NULL CHECK (status IN ('active','retired')),
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((status)) WHERE status = 'active'`);
    await q.query(`GRANT SELECT, INSERT, UPDATE ON signing_keys TO ${APP_ROLE}`);

    await q.query(`
      CREATE TABLE audit_events (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE RESTRICT,
        seq bigint NOT NULL,
        occurred_at timestamptz NOT NULL,
        actor_type text NOT NULL,
        actor_id text,
        action text NOT NULL,
        target text,
        outcome text NOT NULL CHECK (outcome IN ('success','failure','denied')),
        source_ip text,
        user_agent text,
        trace_id text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        prev_hash bytea NOT NULL,
        hash bytea NOT NULL,
        PRIMARY KEY (tenant_id, seq)
      )`);
    await q.query(`CREATE INDEX audit_events_time_idx ON audit_events (tenant_id, occurred_at DESC)`);
    await q.query(`
      CREATE TABLE audit_chain_heads (
        tenant_id uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE RESTRICT,
        seq bigint NOT NULL,
        hash bytea NOT NULL
      )`);
    // Append-only: the application role may only read and insert, and a trigger refuses changes from anyone.
    await q.query(`
      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`);
    await q.query(`CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`);

    for (const table of ['users', 'sessions', 'refresh_tokens', 'api_keys', 'audit_events', 'audit_chain_heads']) {
      for (const sql of enableTenantIsolation(table)) await q.query(sql);
    }
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON users, sessions, refresh_tokens, api_keys TO ${APP_ROLE}`);
    await q.query(`GRANT SELECT, INSERT ON audit_events TO ${APP_ROLE}`);
    await q.query(`GRANT SELECT, INSERT, UPDATE ON audit_chain_heads TO ${APP_ROLE}`);

    await q.query(`
      CREATE FUNCTION clarion_tenant_of_session(p_session uuid) RETURNS uuid
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
      $$ SELECT tenant_id FROM sessions WHERE id = p_session $$`);
    await q.query(`
      CREATE FUNCTION clarion_tenant_of_api_key(p_prefix text) RETURNS uuid
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
      $$ SELECT tenant_id FROM api_keys WHERE prefix = p_prefix $$`);
    // Security definer functions run as their owner, which FORCE RLS would still filter; a definer-owned bypass is
    // not possible without BYPASSRLS, so the functions read through a policy that admits the owner role.
    for (const table of ['sessions', 'api_keys']) {
      await q.query(`CREATE POLICY owner_lookup ON ${table} FOR SELECT TO CURRENT_USER USING (true)`);
    }
    await q.query(`REVOKE ALL ON FUNCTION clarion_tenant_of_session(uuid), clarion_tenant_of_api_key(text) FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION clarion_tenant_of_session(uuid), clarion_tenant_of_api_key(text) TO ${APP_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION IF EXISTS clarion_tenant_of_api_key(text)');
    await q.query('DROP FUNCTION IF EXISTS clarion_tenant_of_session(uuid)');
    await q.query('DROP TABLE IF EXISTS audit_chain_heads, audit_events, signing_keys, api_keys, refresh_tokens, sessions, users CASCADE');
    await q.query('DROP FUNCTION IF EXISTS audit_events_append_only()');
    await q.query(`REVOKE INSERT, UPDATE ON tenants FROM ${APP_ROLE}`);
  }
}
