import type { EntityManager } from 'typeorm';
import { returnedRows, singleRow } from '@clarion/persistence';

export interface ApiKeyRow {
  id: string;
  tenantId: string;
  prefix: string;
  secretHash: Buffer;
  name: string;
  scopes: string[];
  createdBy: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const COLUMNS = `id, tenant_id AS "tenantId", prefix, secret_hash AS "secretHash", name, scopes, created_by AS "createdBy",
  created_at AS "createdAt", expires_at AS "expiresAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

/** API keys of the tenant bound to the transaction; only the SHA-256 of the secret part is stored. */
export class ApiKeyRepository {
  constructor(private readonly manager: EntityManager) {}

  async insert(k: { tenantId: string; prefix: string; secretHash: Buffer; name: string; scopes: string[]; createdBy: string | null; expiresAt: Date | null }): Promise<ApiKeyRow> {
    const rows: ApiKeyRow[] = await this.manager.query(
      `INSERT INTO api_keys (tenant_id, prefix, secret_hash, name, scopes, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [k.tenantId, k.prefix, k.secretHash, k.name, k.scopes, k.createdBy, k.expiresAt],
    );
    return singleRow(rows);
  }

  async findByPrefix(prefix: string): Promise<ApiKeyRow | null> {
    const rows: ApiKeyRow[] = await this.manager.query(`SELECT ${COLUMNS} FROM api_keys WHERE prefix = $1`, [prefix]);
    return rows[0] ?? null;
  }

  list(): Promise<ApiKeyRow[]> {
    return this.manager.query(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at DESC LIMIT 500`);
  }

  async revoke(id: string): Promise<ApiKeyRow | null> {
    const rows: ApiKeyRow[] = returnedRows(await this.manager.query(
      `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    ));
    return rows[0] ?? null;
  }

  /** The user who created a key (null for keys the CLI or bootstrap made). */
  async creatorOf(id: string): Promise<string | null> {
    const rows: Array<{ createdBy: string | null }> = await this.manager.query(`SELECT created_by AS "createdBy" FROM api_keys WHERE id = $1`, [id]);
    return rows[0]?.createdBy ?? null;
  }

  /** The prefixes of a user's keys that still work (for clearing their cached verifications). */
  async activePrefixesOfCreator(userId: string): Promise<string[]> {
    const rows: Array<{ prefix: string }> = await this.manager.query(
      `SELECT prefix FROM api_keys WHERE created_by = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
      [userId],
    );
    return rows.map((r) => r.prefix);
  }

  /** The prefixes of every key of the tenant bound to the transaction that still works (the tenant was suspended). */
  async activePrefixes(): Promise<string[]> {
    const rows: Array<{ prefix: string }> = await this.manager.query(`SELECT prefix FROM api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`);
    return rows.map((r) => r.prefix);
  }

  /** Revokes every key a user created (the account was disabled); the prefixes of those that were still live. */
  async revokeAllOfCreator(userId: string): Promise<string[]> {
    const rows: Array<{ prefix: string }> = returnedRows(
      await this.manager.query(`UPDATE api_keys SET revoked_at = now() WHERE created_by = $1 AND revoked_at IS NULL RETURNING prefix`, [userId]),
    );
    return rows.map((r) => r.prefix);
  }

  /** Records use at most once a minute per key, so a busy key does not write on every request. */
  async touchLastUsed(id: string): Promise<void> {
    await this.manager.query(
      `UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [id],
    );
  }
}
