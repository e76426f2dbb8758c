import type { EntityManager } from 'typeorm';
import { returnedRows, singleRow } from '@clarion/persistence';

export interface SessionRow {
  id: string;
  tenantId: string;
  userId: string;
  createdAt: Date;
  lastUsedAt: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  sourceIp: string | null;
  userAgent: string | null;
}

const COLUMNS = `id, tenant_id AS "tenantId", user_id AS "userId", created_at AS "createdAt", last_used_at AS "lastUsedAt",
  idle_expires_at AS "idleExpiresAt", absolute_expires_at AS "absoluteExpiresAt", revoked_at AS "revokedAt",
  revoked_reason AS "revokedReason", source_ip AS "sourceIp", user_agent AS "userAgent"`;

/** Login sessions and their rotating refresh tokens (stored only as SHA-256 hashes). */
export class SessionRepository {
  constructor(private readonly manager: EntityManager) {}

  async insert(s: { id: string; tenantId: string; userId: string; idleExpiresAt: Date; absoluteExpiresAt: Date; sourceIp?: string; userAgent?: string }): Promise<SessionRow> {
    const rows: SessionRow[] = await this.manager.query(
      `INSERT INTO sessions (id, tenant_id, user_id, idle_expires_at, absolute_expires_at, source_ip, user_agent)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [s.id, s.tenantId, s.userId, s.idleExpiresAt, s.absoluteExpiresAt, s.sourceIp ?? null, s.userAgent ?? null],
    );
    return singleRow(rows);
  }

  async findById(id: string): Promise<SessionRow | null> {
    const rows: SessionRow[] = await this.manager.query(`SELECT ${COLUMNS} FROM sessions WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  listActiveOfUser(userId: string): Promise<SessionRow[]> {
    return this.manager.query(
      `SELECT ${COLUMNS} FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND idle_expires_at > now() AND absolute_expires_at > now()
       ORDER BY last_used_at DESC`,
      [userId],
    );
  }

  async touch(id: string, idleExpiresAt: Date): Promise<void> {
    await this.manager.query(`UPDATE sessions SET last_used_at = now(), idle_expires_at = $2 WHERE id = $1`, [id, idleExpiresAt]);
  }

  async revoke(id: string, reason: string): Promise<boolean> {
    const rows: unknown[] = returnedRows(await this.manager.query(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id`,
      [id, reason],
    ));
    return rows.length === 1;
  }

  /** Ends every live session of a user; the ids of those it ended. */
  async revokeAllOfUser(userId: string, reason: string): Promise<string[]> {
    const rows: Array<{ id: string }> = returnedRows(await this.manager.query(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id`,
      [userId, reason],
    ));
    return rows.map((r) => r.id);
  }

  /** Ends every live session of the tenant bound to the transaction (it was suspended); the ids of those it ended. */
  async revokeAllOfTenant(reason: string): Promise<string[]> {
    const rows: Array<{ id: string }> = returnedRows(await this.manager.query(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $1 WHERE revoked_at IS NULL RETURNING id`,
      [reason],
    ));
    return rows.map((r) => r.id);
  }

  /** Ends every session of the user but one (the one that asked, after a password change). */
  async revokeOthersOfUser(userId: string, keepSessionId: string | undefined, reason: string): Promise<string[]> {
    const rows: Array<{ id: string }> = returnedRows(await this.manager.query(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $3 WHERE user_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM $2 RETURNING id`,
      [userId, keepSessionId ?? null, reason],
    ));
    return rows.map((r) => r.id);
  }

  async insertRefreshToken(tokenHash: Buffer, tenantId: string, sessionId: string): Promise<void> {
    await this.manager.query(`INSERT INTO refresh_tokens (token_hash, tenant_id, session_id) VALUES ($1, $2, $3)`, [tokenHash, tenantId, sessionId]);
  }

  /**
   * Marks a refresh token used. Returns 'fresh' the first time, 'reused' when it had been used before (a stolen
   * token replayed), 'unknown' when no such token exists for the session.
   */
  async consumeRefreshToken(tokenHash: Buffer, sessionId: string): Promise<'fresh' | 'reused' | 'unknown'> {
    const consumed: unknown[] = returnedRows(await this.manager.query(
      `UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1 AND session_id = $2 AND used_at IS NULL RETURNING session_id`,
      [tokenHash, sessionId],
    ));
    if (consumed.length === 1) return 'fresh';
    const existing: unknown[] = await this.manager.query(`SELECT 1 FROM refresh_tokens WHERE token_hash = $1 AND session_id = $2`, [tokenHash, sessionId]);
    return existing.length === 1 ? 'reused' : 'unknown';
  }
}
