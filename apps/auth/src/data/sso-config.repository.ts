import type { EntityManager } from 'typeorm';
import { returnedRows, singleRow } from '@clarion/persistence';

export interface SsoConfigRow {
  tenantId: string;
  issuer: string;
  clientId: string;
  clientSecretEnc: Buffer;
  redirectUris: string[];
  scopes: string[];
  groupsClaim: string;
  groupRoleMap: Record<string, string>;
  defaultRole: string | null;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `tenant_id AS "tenantId", issuer, client_id AS "clientId", client_secret_enc AS "clientSecretEnc",
  redirect_uris AS "redirectUris", scopes, groups_claim AS "groupsClaim", group_role_map AS "groupRoleMap",
  default_role AS "defaultRole", enabled, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** The single sign-on setting of the tenant bound to the manager's transaction (row-level security). */
export class SsoConfigRepository {
  constructor(private readonly manager: EntityManager) {}

  async findOfCurrentTenant(): Promise<SsoConfigRow | null> {
    const rows: SsoConfigRow[] = await this.manager.query(`SELECT ${COLUMNS} FROM sso_configs`);
    return rows[0] ?? null;
  }

  /** Creates or replaces the tenant's setting. */
  async upsert(config: Omit<SsoConfigRow, 'createdAt' | 'updatedAt'>): Promise<SsoConfigRow> {
    const result: unknown = await this.manager.query(
      `INSERT INTO sso_configs (tenant_id, issuer, client_id, client_secret_enc, redirect_uris, scopes, groups_claim, group_role_map, default_role, enabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (tenant_id) DO UPDATE SET issuer = EXCLUDED.issuer, client_id = EXCLUDED.client_id,
         client_secret_enc = EXCLUDED.client_secret_enc, redirect_uris = EXCLUDED.redirect_uris, scopes = EXCLUDED.scopes,
         groups_claim = EXCLUDED.groups_claim, group_role_map = EXCLUDED.group_role_map, default_role = EXCLUDED.default_role,
         enabled = EXCLUDED.enabled, updated_at = now()
       RETURNING ${COLUMNS}`,
      [
        config.tenantId,
        config.issuer,
        config.clientId,
        config.clientSecretEnc,
        config.redirectUris,
        config.scopes,
        config.groupsClaim,
        JSON.stringify(config.groupRoleMap),
        config.defaultRole,
        config.enabled,
      ],
    );
    return singleRow(returnedRows<SsoConfigRow>(result));
  }
}
