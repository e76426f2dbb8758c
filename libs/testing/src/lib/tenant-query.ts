import { Client } from 'pg';
import { TestInfra } from './test-infra';

/**
 * Runs one query as the application role inside a tenant's context, as the services do: row-level security applies,
 * so a test sees exactly what that tenant may see.
 */
export async function queryAsTenant<T>(tenantId: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const app = new Client({ connectionString: TestInfra.appUrl });
  await app.connect();
  try {
    await app.query('BEGIN');
    await app.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
    const { rows } = await app.query(sql, params);
    await app.query('COMMIT');
    return rows as T[];
  } finally {
    await app.end();
  }
}
