/**
 * The database role the services connect as. It is not the owner of any table, so row-level security applies to it
 * (owners bypass RLS unless FORCE is set; we set FORCE too). Created by tools/infra/db-setup.sh.
 */
export const APP_ROLE = 'clarion_app';

/** The role that owns the schema and runs migrations (`npm run migrate`). */
export const OWNER_ROLE = 'clarion_owner';

/** The per-transaction setting the RLS policies read. */
export const TENANT_SETTING = 'app.tenant_id';
