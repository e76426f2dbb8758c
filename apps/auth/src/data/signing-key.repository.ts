import type { EntityManager } from 'typeorm';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  publicJwk: Record<string, unknown>;
  privateKeyEnc: Buffer;
  status: 'active' | 'retired';
  createdAt: Date;
  retiredAt: Date | null;
}

const COLUMNS = `kid, alg, public_jwk AS "publicJwk", private_key_enc AS "privateKeyEnc", status, created_at AS "createdAt", retired_at AS "retiredAt"`;

/** Token signing keys (platform table): one active key, retired keys kept for verification until tokens expire. */
export class SigningKeyRepository {
  constructor(private readonly manager: EntityManager) {}

  async findActive(): Promise<SigningKeyRow | null> {
    const rows: SigningKeyRow[] = await this.manager.query(`SELECT ${COLUMNS} FROM signing_keys WHERE status = 'active'`);
    return rows[0] ?? null;
  }

  /** The active key and keys retired after `retiredAfter` (their tokens may still be valid). */
  findVerifiable(retiredAfter: Date): Promise<SigningKeyRow[]> {
    return this.manager.query(
      `SELECT ${COLUMNS} FROM signing_keys WHERE status = 'active' OR retired_at > $1 ORDER BY created_at DESC`,
      [retiredAfter],
    );
  }

  /** Retires the current active key (if any) and makes `key` active, atomically with the caller's transaction. */
  async rotateTo(key: Omit<SigningKeyRow, 'status' | 'createdAt' | 'retiredAt'>): Promise<void> {
    await this.manager.query(`UPDATE signing_keys SET status = 'retired', retired_at = now() WHERE status = 'active'`);
    await this.manager.query(
      `INSERT INTO signing_keys (kid, alg, public_jwk, private_key_enc, status) VALUES ($1, $2, $3, $4, 'active')`,
      [key.kid, key.alg, JSON.stringify(key.publicJwk), key.privateKeyEnc],
    );
  }

  /** Inserts `key` as active only when no key is active yet (first boot of the first instance wins). */
  async insertFirstActive(key: Omit<SigningKeyRow, 'status' | 'createdAt' | 'retiredAt'>): Promise<boolean> {
    const result: unknown[] = await this.manager.query(
      `INSERT INTO signing_keys (kid, alg, public_jwk, private_key_enc, status)
       SELECT $1, $2, $3, $4, 'active' WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE status = 'active')
       ON CONFLICT DO NOTHING RETURNING kid`,
      [key.kid, key.alg, JSON.stringify(key.publicJwk), key.privateKeyEnc],
    );
    return result.length === 1;
  }
}
