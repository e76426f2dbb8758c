/**
 * The database role the services connected as before each had its own (migration 1764900000000). It is not the
 * owner of any table, so row-level security applies to it (owners bypass RLS unless FORCE is set; we set FORCE too).
 * Kept, with the grants it had, for deployments whose DATABASE_URL still names it (see docs/SECURITY.md); it may no
 * longer write signing keys. Created by tools/infra/db-setup.sh.
 */
export const APP_ROLE = 'clarion_app';

/** The role that owns the schema and runs migrations (`npm run migrate`). */
export const OWNER_ROLE = 'clarion_owner';

/**
 * The login role of each service: not an owner, NOBYPASSRLS, granted only what that service's queries use
 * (migration 1764900000000-service-roles), so the tenant policies apply to it as they do to every role.
 */
export const SERVICE_ROLES = {
  gateway: 'clarion_gateway',
  auth: 'clarion_auth',
  ingest: 'clarion_ingest',
  clustering: 'clarion_clustering',
  retention: 'clarion_retention',
} as const;

export type ClarionService = keyof typeof SERVICE_ROLES;

/** The per-transaction setting the RLS policies read. */
export const TENANT_SETTING = 'app.tenant_id';
