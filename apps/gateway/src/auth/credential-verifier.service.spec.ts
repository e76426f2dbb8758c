import { randomUUID } from 'node:crypto';
import { AccessTokenVerifier, ACCESS_TOKEN_ALG, ErrorCode, Subjects } from '@clarion/contracts';
import type { RpcClient } from '@clarion/messaging';
import type { RedisClient } from '@clarion/persistence';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { GatewayEnv } from '../gateway.env';
import { CredentialVerifierService } from './credential-verifier.service';

const env = new GatewayEnv();
const client = { sourceIp: '192.0.2.7' };
const KID = 'k1';

describe('CredentialVerifierService (verified access tokens remembered in process)', () => {
  let privateKey: CryptoKey;
  let rpc: RpcClient;
  let service: CredentialVerifierService;
  let verifications: jest.SpyInstance;

  beforeAll(async () => {
    const pair = await generateKeyPair(ACCESS_TOKEN_ALG, { extractable: true });
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: ACCESS_TOKEN_ALG, use: 'sig' };
    rpc = {
      send: async (subject: string) => {
        if (subject !== Subjects.auth.jwks) throw new Error(`unexpected request on ${subject}`);
        return { keys: [jwk] };
      },
    } as unknown as RpcClient;
  });

  beforeEach(() => {
    // A service per test: its memo must not carry a clock reading across the fake and real timers of two tests.
    service = new CredentialVerifierService(rpc, {} as RedisClient, env);
    verifications = jest.spyOn(AccessTokenVerifier.prototype, 'verify');
  });

  afterEach(() => {
    verifications.mockRestore();
    jest.useRealTimers();
  });

  const tokenExpiringAt = (expSeconds: number, tenantId = randomUUID()) =>
    new SignJWT({ tid: tenantId, roles: ['viewer'], sid: randomUUID() })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: KID, typ: 'at+jwt' })
      .setIssuer(env.AUTH_ISSUER)
      .setAudience(env.AUTH_AUDIENCE)
      .setSubject(randomUUID())
      .setIssuedAt()
      .setExpirationTime(expSeconds)
      .setJti(randomUUID())
      .sign(privateKey);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('verifies a token once and then answers it from memory, with or without I/O', async () => {
    const tenantId = randomUUID();
    const token = await tokenExpiringAt(Math.floor(Date.now() / 1000) + 900, tenantId);
    expect(service.rememberedActor(bearer(token), client)).toBeUndefined();
    const actor = await service.verify(bearer(token), client);
    expect(actor).toMatchObject({ kind: 'user', tenantId, sourceIp: client.sourceIp });
    expect(await service.verify(bearer(token), client)).toEqual(actor);
    expect(service.rememberedActor(bearer(token), client)).toEqual(actor);
    expect(verifications).toHaveBeenCalledTimes(1);
  });

  it('forgets a token when it expires, before the memo would', async () => {
    jest.useFakeTimers({ now: Date.now(), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const exp = Math.floor(Date.now() / 1000) + 10;
    const token = await tokenExpiringAt(exp);
    await service.verify(bearer(token), client);
    jest.advanceTimersByTime(exp * 1000 - Date.now() - 50);
    expect(service.rememberedActor(bearer(token), client)).toBeDefined();
    jest.advanceTimersByTime(100);
    expect(service.rememberedActor(bearer(token), client)).toBeUndefined();
  });

  it('forgets a token a minute after verifying it, however long it is valid', async () => {
    jest.useFakeTimers({ now: Date.now(), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const token = await tokenExpiringAt(Math.floor(Date.now() / 1000) + 900);
    await service.verify(bearer(token), client);
    jest.advanceTimersByTime(59_000);
    expect(service.rememberedActor(bearer(token), client)).toBeDefined();
    jest.advanceTimersByTime(2_000);
    expect(service.rememberedActor(bearer(token), client)).toBeUndefined();
    await service.verify(bearer(token), client);
    expect(verifications).toHaveBeenCalledTimes(2);
  });

  it('answers a token just past its expiry (within the clock tolerance) but does not remember it', async () => {
    const token = await tokenExpiringAt(Math.floor(Date.now() / 1000) - 2);
    await service.verify(bearer(token), client);
    expect(service.rememberedActor(bearer(token), client)).toBeUndefined();
    await service.verify(bearer(token), client);
    expect(verifications).toHaveBeenCalledTimes(2);
  });

  it('remembers nothing for a token that fails verification', async () => {
    const token = await tokenExpiringAt(Math.floor(Date.now() / 1000) + 900);
    const forged = `${token.slice(0, -4)}AAAA`;
    await expect(service.verify(bearer(forged), client)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    expect(service.rememberedActor(bearer(forged), client)).toBeUndefined();
  });
});
