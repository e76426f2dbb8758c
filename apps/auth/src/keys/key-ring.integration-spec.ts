import { ACCESS_TOKEN_ALG } from '@clarion/contracts';
import { validateEnv } from '@clarion/config';
import { Database } from '@clarion/persistence';
import { TestInfra, testLogger } from '@clarion/testing';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { AuthEnv } from '../auth.env';
import { KeyRingService } from './key-ring.service';
import { MasterKey } from './master-key';

/**
 * The JWKS publishes only keys the auth service can decrypt. The signing_keys table is writable by clarion_auth and
 * the owner alone (migration 1764900000000); here rows are written as a superuser, standing for anyone who could
 * write it anyway, to show that such a row never becomes a key the gateway trusts.
 */
describe('signing keys in the JWKS (as clarion_auth)', () => {
  const logger = testLogger();
  const env = validateEnv(AuthEnv, { CLARION_ENV: 'test', DATABASE_URL: TestInfra.serviceUrl('auth'), REDIS_URL: TestInfra.redisUrl }, 'key-ring-test');
  const db = new Database({ url: env.DATABASE_URL, poolSize: 2, statementTimeoutMs: 10_000, applicationName: 'key-ring-test' }, logger);
  const keys = new KeyRingService(db, env, logger);
  const superuser = new Client({ connectionString: TestInfra.superuserUrl });
  const planted: string[] = [];

  /** An Ed25519 key pair of the intruder's, its private half sealed under `masterKey`, as a retired row. */
  async function plant(masterKey: MasterKey, kid = randomUUID()): Promise<{ kid: string; x: string }> {
    const { publicKey, privateKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { crv: 'Ed25519', extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const sealed = masterKey.encrypt(Buffer.from(await exportPKCS8(privateKey), 'utf8'), kid);
    await superuser.query(
      `INSERT INTO signing_keys (kid, alg, public_jwk, private_key_enc, status, retired_at) VALUES ($1, $2, $3, $4, 'retired', now())`,
      [kid, ACCESS_TOKEN_ALG, JSON.stringify(publicJwk), sealed],
    );
    planted.push(kid);
    return { kid, x: String(publicJwk.x) };
  }

  beforeAll(async () => {
    await superuser.connect();
    await db.start();
    await keys.ensureActiveKey();
  });

  afterAll(async () => {
    await superuser.query(`DELETE FROM signing_keys WHERE kid = ANY($1::text[])`, [planted]);
    await superuser.end();
    await db.close();
  });

  it('publishes the active key as the public half of the private key it signs with', async () => {
    const active = await keys.activeKey();
    const published = await keys.jwks();
    const jwk = published.find((k) => k.kid === active.kid);
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: ACCESS_TOKEN_ALG, use: 'sig' });
    expect(Object.keys(jwk ?? {}).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
  });

  it('publishes a key sealed under this master key, and leaves out one sealed under another', async () => {
    const own = await plant(new MasterKey(env.AUTH_MASTER_KEY));
    const foreign = await plant(new MasterKey(`${env.AUTH_MASTER_KEY}-not-ours`));
    const kids = (await keys.jwks()).map((k) => k.kid);
    expect(kids).toContain(own.kid);
    expect(kids).not.toContain(foreign.kid);
  });

  it('leaves out a row whose stored public key is not its private key', async () => {
    const own = await plant(new MasterKey(env.AUTH_MASTER_KEY));
    const { publicKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { crv: 'Ed25519', extractable: true });
    await superuser.query(`UPDATE signing_keys SET public_jwk = $2 WHERE kid = $1`, [own.kid, JSON.stringify(await exportJWK(publicKey))]);
    expect((await keys.jwks()).map((k) => k.kid)).not.toContain(own.kid);
  });

  it('leaves out a private half copied from another key id (the key id is bound to the ciphertext)', async () => {
    const own = await plant(new MasterKey(env.AUTH_MASTER_KEY));
    const copyKid = randomUUID();
    await superuser.query(
      `INSERT INTO signing_keys (kid, alg, public_jwk, private_key_enc, status, retired_at)
       SELECT $2, alg, public_jwk, private_key_enc, 'retired', now() FROM signing_keys WHERE kid = $1`,
      [own.kid, copyKid],
    );
    planted.push(copyKid);
    const kids = (await keys.jwks()).map((k) => k.kid);
    expect(kids).toContain(own.kid);
    expect(kids).not.toContain(copyKid);
  });
});
