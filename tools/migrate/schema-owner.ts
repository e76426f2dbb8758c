import type { DataSource } from 'typeorm';

/**
 * Migrations run as the schema's owner and nobody else: as the application role they would fail half-way (or, with
 * grants added by hand, leave objects owned by the wrong role, which the definer functions and RLS rely on); as a
 * superuser they would create objects the owner cannot alter later. Refuses before any migration runs.
 */
export async function assertSchemaOwner(dataSource: DataSource): Promise<void> {
  const [row] = (await dataSource.query(
    `SELECT current_user AS "user", (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public') AS owner`,
  )) as Array<{ user: string; owner: string | null }>;
  if (!row || row.owner === null || row.user !== row.owner) {
    throw new Error(
      `migrations must run as the schema owner (${row?.owner ?? 'unknown'}), not as ${row?.user ?? 'unknown'}: set DATABASE_MIGRATION_URL to the owner's URL`,
    );
  }
}
