import type { EntityManager } from 'typeorm';
import { singleRow } from '@clarion/persistence';

export interface UserRow {
  id: string;
  tenantId: string;
  email: string;
  displayName: string;
  passwordHash: string | null;
  roles: string[];
  status: 'active' | 'disabled';
  mustChangePassword: boolean;
  externalIssuer: string | null;
  externalSubject: string | null;
  lastLoginAt: Date | null;
  passwordChangedAt: Date | null;
  createdAt: Date;
}

const COLUMNS = `id, tenant_id AS "tenantId", email, display_name AS "displayName", password_hash AS "passwordHash", roles, status,
  must_change_password AS "mustChangePassword", external_issuer AS "externalIssuer", external_subject AS "externalSubject",
  last_login_at AS "lastLoginAt", password_changed_at AS "passwordChangedAt", created_at AS "createdAt"`;

/** Users of the tenant bound to the manager's transaction (row-level security). */
export class UserRepository {
  constructor(private readonly manager: EntityManager) {}

  async insert(user: {
    tenantId: string;
    email: string;
    displayName: string;
    passwordHash: string | null;
    roles: string[];
    mustChangePassword: boolean;
    externalIssuer?: string;
    externalSubject?: string;
  }): Promise<UserRow> {
    const rows: UserRow[] = await this.manager.query(
      `INSERT INTO users (tenant_id, email, display_name, password_hash, roles, must_change_password, external_issuer, external_subject, password_changed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $4::text IS NULL THEN NULL ELSE now() END) RETURNING ${COLUMNS}`,
      [user.tenantId, user.email, user.displayName, user.passwordHash, user.roles, user.mustChangePassword, user.externalIssuer ?? null, user.externalSubject ?? null],
    );
    return singleRow(rows);
  }

  async findByEmail(email: string): Promise<UserRow | null> {
    const rows: UserRow[] = await this.manager.query(`SELECT ${COLUMNS} FROM users WHERE email = $1`, [email]);
    return rows[0] ?? null;
  }

  async findById(id: string): Promise<UserRow | null> {
    const rows: UserRow[] = await this.manager.query(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async findByExternalSubject(issuer: string, subject: string): Promise<UserRow | null> {
    const rows: UserRow[] = await this.manager.query(`SELECT ${COLUMNS} FROM users WHERE external_issuer = $1 AND external_subject = $2`, [issuer, subject]);
    return rows[0] ?? null;
  }

  /** A page ordered by email; `after` is the last email of the previous page. */
  listPage(after: string | null, limit: number): Promise<UserRow[]> {
    return this.manager.query(`SELECT ${COLUMNS} FROM users WHERE ($1::text IS NULL OR email > $1) ORDER BY email LIMIT $2`, [after, limit]);
  }

  async count(): Promise<number> {
    const rows: Array<{ n: number }> = await this.manager.query(`SELECT count(*)::int AS n FROM users`);
    return rows[0]?.n ?? 0;
  }

  async recordLogin(id: string): Promise<void> {
    await this.manager.query(`UPDATE users SET last_login_at = now() WHERE id = $1`, [id]);
  }

  async updatePassword(id: string, passwordHash: string, mustChangePassword: boolean): Promise<void> {
    await this.manager.query(
      `UPDATE users SET password_hash = $2, must_change_password = $3, password_changed_at = now(), updated_at = now() WHERE id = $1`,
      [id, passwordHash, mustChangePassword],
    );
  }

  async updateRoles(id: string, roles: string[]): Promise<void> {
    await this.manager.query(`UPDATE users SET roles = $2, updated_at = now() WHERE id = $1`, [id, roles]);
  }

  async updateStatus(id: string, status: 'active' | 'disabled'): Promise<void> {
    await this.manager.query(`UPDATE users SET status = $2, updated_at = now() WHERE id = $1`, [id, status]);
  }
}
