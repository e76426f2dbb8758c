import type { EntityManager } from 'typeorm';

/** Identity of one endpoint key (`mac:..` or `ip:..`) as imported. */
export interface EndpointIdentityRecord {
  endpointKey: string;
  deviceType: string | null;
  user: string | null;
  groups: string[];
}

/** Imported identities of the tenant bound to the transaction. */
export class IdentityRepository {
  constructor(private readonly manager: EntityManager) {}

  /**
   * Inserts or replaces every record in one statement (keys must be distinct: one statement cannot update a row
   * twice). Returns the rows written.
   */
  async upsertBatch(tenantId: string, records: readonly EndpointIdentityRecord[], importedBy: string): Promise<number> {
    if (records.length === 0) return 0;
    const rows: Array<{ n: number }> = await this.manager.query(
      `WITH written AS (
       INSERT INTO endpoint_identities AS i (tenant_id, endpoint_key, device_type, user_name, groups, imported_by, imported_at)
       SELECT $1, r.key, r.device_type, r.user_name, ARRAY(SELECT jsonb_array_elements_text(r.groups)), $3, now()
       FROM jsonb_to_recordset($2::jsonb) AS r(key text, device_type text, user_name text, groups jsonb)
       ON CONFLICT (tenant_id, endpoint_key) DO UPDATE SET
         device_type = EXCLUDED.device_type, user_name = EXCLUDED.user_name, groups = EXCLUDED.groups,
         imported_by = EXCLUDED.imported_by, imported_at = EXCLUDED.imported_at
       RETURNING 1)
       SELECT count(*)::int AS n FROM written`,
      [
        tenantId,
        JSON.stringify(records.map((r) => ({ key: r.endpointKey, device_type: r.deviceType, user_name: r.user, groups: r.groups }))),
        importedBy,
      ],
    );
    return rows[0]?.n ?? 0;
  }
}
