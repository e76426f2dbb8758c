import { TENANT_SETTING } from './roles';

/**
 * Statements that make a table tenant-isolated: RLS enabled and forced, and one policy that admits a row only when
 * its tenant_id equals the transaction's `app.tenant_id`. Without that setting the policy compares with NULL and
 * no row is visible or writable. `NULLIF(.., '')` because a custom setting reverts to '' (not NULL) after a
 * SET LOCAL on the same connection ends.
 */
export function enableTenantIsolation(table: string): string[] {
  const predicate = `tenant_id = NULLIF(current_setting('${TENANT_SETTING}', true), '')::uuid`;
  return [
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY tenant_isolation ON ${table} USING (${predicate}) WITH CHECK (${predicate})`,
  ];
}
