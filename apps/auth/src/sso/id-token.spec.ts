import { ErrorCode } from '@clarion/contracts';
import { SignJWT, UnsecuredJWT, createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, type KeyInput } from 'jose';
import { createSecretKey } from 'node:crypto';
import { tokenHash, verifyIdToken } from './id-token';

const ISSUER = 'https://idp.example';
const CLIENT = 'clarion-web';
const NONCE = 'n-0S6_WzA2Mj';

describe('ID token validation', () => {
  let idpKey: KeyInput;
  let otherKey: KeyInput;
  let keys: ReturnType<typeof createLocalJWKSet>;

  beforeAll(async () => {
    const idp = await generateKeyPair('ES256');
    idpKey = idp.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;
    keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(idp.publicKey)), kid: 'idp-1', alg: 'ES256' }] });
  });

  const sign = (claims: JWTPayload, key: KeyInput = idpKey, alg = 'ES256') => {
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: ISSUER, aud: CLIENT, sub: 'user-1', iat: now, exp: now + 300, nonce: NONCE, ...claims };
    return new SignJWT(JSON.parse(JSON.stringify(payload)) as JWTPayload).setProtectedHeader({ alg, kid: 'idp-1' }).sign(key);
  };
  const expect401 = (token: Promise<string> | string, accessToken?: string) =>
    expect(Promise.resolve(token).then((t) => verifyIdToken(t, keys, { issuer: ISSUER, clientId: CLIENT, nonce: NONCE, accessToken }))).rejects.toMatchObject({
      code: ErrorCode.Unauthenticated,
    });

  it('accepts a token of the issuer for this client with the nonce of the sign-in', async () => {
    const claims = await verifyIdToken(await sign({ email: 'a@b.example' }), keys, { issuer: ISSUER, clientId: CLIENT, nonce: NONCE });
    expect(claims).toMatchObject({ sub: 'user-1', email: 'a@b.example' });
  });

  it('refuses another nonce (a replayed or injected token)', () => expect401(sign({ nonce: 'other' })));
  it('refuses a token without a nonce', () => expect401(sign({ nonce: undefined })));
  it('refuses another audience', () => expect401(sign({ aud: 'someone-else' })));
  it('refuses several audiences without azp naming this client', () => expect401(sign({ aud: [CLIENT, 'other'] })));
  it('refuses another issuer', () => expect401(sign({ iss: 'https://evil.example' })));
  it('refuses an expired token', () => expect401(sign({ exp: Math.floor(Date.now() / 1000) - 600 })));
  it('refuses a token signed by another key', () => expect401(sign({}, otherKey)));
  it('refuses alg none', () => expect401(new UnsecuredJWT({ nonce: NONCE, sub: 'user-1' }).setIssuer(ISSUER).setAudience(CLIENT).setIssuedAt().setExpirationTime('5m').encode()));
  it('refuses HS256 keyed with a shared secret', () => expect401(sign({}, createSecretKey(Buffer.alloc(32, 1)), 'HS256')));
  it('refuses an at_hash that is not the access token', () => expect401(sign({ at_hash: tokenHash('another-token', 'ES256') }), 'the-access-token'));

  it('accepts several audiences when azp is this client, and a matching at_hash', async () => {
    const token = await sign({ aud: [CLIENT, 'other'], azp: CLIENT, at_hash: tokenHash('the-access-token', 'ES256') });
    await expect(verifyIdToken(token, keys, { issuer: ISSUER, clientId: CLIENT, nonce: NONCE, accessToken: 'the-access-token' })).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('computes at_hash as OpenID Connect Core 3.1.3.8 does', () => {
    // The example of Core section A.3: access_token jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y, RS256.
    expect(tokenHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'RS256')).toBe('77QmUPtjPfzWtF2AnpK9RQ');
  });
});
