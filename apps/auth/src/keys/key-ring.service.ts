import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ACCESS_TOKEN_ALG, DomainException, ErrorCode } from '@clarion/contracts';
import { Database } from '@clarion/persistence';
import { SigningKeyRepository, type SigningKeyRow } from '../data';
import { ROOT_LOGGER } from '@clarion/platform';
import { exportJWK, exportPKCS8, generateKeyPair, importPKCS8, type CryptoKey, type JWK } from 'jose';
import { createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AuthEnv } from '../auth.env';
import { MasterKey } from './master-key';

export interface ActiveSigningKey {
  kid: string;
  privateKey: CryptoKey;
}

/** How long the active key is re-read from PostgreSQL, so a rotation by another instance or the CLI is picked up. */
const ACTIVE_KEY_TTL_MS = 30_000;

/**
 * Token signing keys: Ed25519 (EdDSA) key pairs whose private halves are stored encrypted under the master key.
 * One key is active and signs; retired keys stay in the JWKS until every token they signed has expired.
 */
@Injectable()
export class KeyRingService implements OnApplicationBootstrap {
  private readonly masterKey: MasterKey;
  private active?: { key: ActiveSigningKey; loadedAt: number };
  /** Keys already reported as left out of the JWKS (reported once each). */
  private readonly unpublished = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly env: AuthEnv,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.masterKey = new MasterKey(env.AUTH_MASTER_KEY);
  }

  onApplicationBootstrap(): void {
    // The first instance to boot on an empty database creates the first key; the others load it.
    void this.db
      .start()
      .then(() => this.ensureActiveKey())
      .catch((err: unknown) => this.logger.error({ err }, 'could not prepare the signing key'));
  }

  async ensureActiveKey(): Promise<void> {
    const existing = await this.db.withoutTenant((m) => new SigningKeyRepository(m).findActive());
    if (existing) return;
    const created = await this.newKey();
    const inserted = await this.db.withoutTenant((m) => new SigningKeyRepository(m).insertFirstActive(created));
    if (inserted) this.logger.info({ kid: created.kid }, 'created the first token signing key');
  }

  /** Makes a new key active; the previous one keeps verifying until its tokens expire. Returns the new kid. */
  async rotate(): Promise<string> {
    const created = await this.newKey();
    await this.db.withoutTenant((m) => m.transaction((tx) => new SigningKeyRepository(tx).rotateTo(created)));
    this.active = undefined;
    this.logger.info({ kid: created.kid }, 'rotated the token signing key');
    return created.kid;
  }

  async activeKey(): Promise<ActiveSigningKey> {
    if (this.active && Date.now() - this.active.loadedAt < ACTIVE_KEY_TTL_MS) return this.active.key;
    const row = await this.db.withoutTenant((m) => new SigningKeyRepository(m).findActive());
    if (!row) throw new DomainException(ErrorCode.ServiceUnavailable, 'no active signing key yet');
    const key = { kid: row.kid, privateKey: await this.unseal(row) };
    this.active = { key, loadedAt: Date.now() };
    return key;
  }

  /**
   * Public keys that verify tokens: the active key and keys retired less than a token lifetime (plus margin) ago.
   * Only keys whose private half this service decrypts under its master key are published, each as the public half
   * of that private key: a row written by anyone without the master key (a public key of their own, a private half
   * copied from another row) never reaches the JWKS, so no one else can mint tokens the gateway accepts.
   */
  async jwks(): Promise<JWK[]> {
    const retiredAfter = new Date(Date.now() - (this.env.ACCESS_TOKEN_TTL_S + 300) * 1000);
    const rows = await this.db.withoutTenant((m) => new SigningKeyRepository(m).findVerifiable(retiredAfter));
    return rows.flatMap((r) => {
      const publicJwk = this.publicHalfOf(r);
      return publicJwk === null ? [] : [{ ...publicJwk, kid: r.kid, alg: r.alg, use: 'sig' }];
    });
  }

  /** The public key of the row's private half when it decrypts and matches the stored public key; null otherwise. */
  private publicHalfOf(row: SigningKeyRow): JWK | null {
    try {
      if (row.alg !== ACCESS_TOKEN_ALG) throw new Error(`unexpected algorithm ${row.alg}`);
      const pem = this.masterKey.decrypt(row.privateKeyEnc, row.kid).toString('utf8');
      const { kty, crv, x } = createPublicKey(createPrivateKey(pem)).export({ format: 'jwk' });
      const stored = row.publicJwk;
      if (stored['kty'] !== kty || stored['crv'] !== crv || stored['x'] !== x) throw new Error('the stored public key is not the private key\'s');
      return { kty, crv, x };
    } catch (err) {
      if (!this.unpublished.has(row.kid)) {
        this.unpublished.add(row.kid);
        this.logger.error({ kid: row.kid, reason: (err as Error).message }, 'signing key left out of the JWKS: its private half does not decrypt under the master key or does not match');
      }
      return null;
    }
  }

  private async unseal(row: SigningKeyRow): Promise<CryptoKey> {
    const pem = this.masterKey.decrypt(row.privateKeyEnc, row.kid).toString('utf8');
    return importPKCS8(pem, ACCESS_TOKEN_ALG);
  }

  private async newKey(): Promise<{ kid: string; alg: string; publicJwk: Record<string, unknown>; privateKeyEnc: Buffer }> {
    const { publicKey, privateKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { crv: 'Ed25519', extractable: true });
    const kid = randomUUID();
    const publicJwk = (await exportJWK(publicKey)) as unknown as Record<string, unknown>;
    const privateKeyEnc = this.masterKey.encrypt(Buffer.from(await exportPKCS8(privateKey), 'utf8'), kid);
    return { kid, alg: ACCESS_TOKEN_ALG, publicJwk, privateKeyEnc };
  }
}
