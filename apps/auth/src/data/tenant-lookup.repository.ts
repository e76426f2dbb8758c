import type { EntityManager } from 'typeorm';

/**
 * Finds the tenant an opaque credential belongs to, before any tenant context exists, through SECURITY DEFINER
 * functions that return only the tenant id (see the auth migration).
 */
export class TenantLookupRepository {
  constructor(private readonly manager: EntityManager) {}

  async tenantOfSession(sessionId: string): Promise<string | null> {
    const rows: Array<{ t: string | null }> = await this.manager.query(`SELECT clarion_tenant_of_session($1) AS t`, [sessionId]);
    return rows[0]?.t ?? null;
  }

  async tenantOfApiKey(prefix: string): Promise<string | null> {
    const rows: Array<{ t: string | null }> = await this.manager.query(`SELECT clarion_tenant_of_api_key($1) AS t`, [prefix]);
    return rows[0]?.t ?? null;
  }
}
