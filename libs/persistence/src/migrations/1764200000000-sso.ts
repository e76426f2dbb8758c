import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_ROLE } from '../lib/roles';
import { enableTenantIsolation } from '../lib/tenant-isolation.sql';

/**
 * Per-tenant OpenID Connect single sign-on: one identity provider per tenant. The client secret is stored encrypted
 * under the auth service's master key (the tenant id is the associated data, so it cannot be moved to another tenant).
 */
export class Sso1764200000000 implements MigrationInterface {
  name = 'Sso1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sso_configs (
        tenant_id uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
        issuer text NOT NULL CHECK (length(issuer) <= 500),
        client_id text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 255),
        client_secret_enc bytea NOT NULL,
        redirect_uris text[] NOT NULL CHECK (cardinality(redirect_uris) BETWEEN 1 AND 10),
        scopes text[] NOT NULL,
        groups_claim text NOT NULL DEFAULT 'groups',
        group_role_map jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(group_role_map) = 'object'),
        default_role text CHECK (default_role IN ('viewer','analyst','admin')),
        enabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    for (const sql of enableTenantIsolation('sso_configs')) await q.query(sql);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON sso_configs TO ${APP_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS sso_configs');
  }
}
