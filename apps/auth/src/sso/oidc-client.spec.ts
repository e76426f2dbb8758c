import { DomainException, ErrorCode } from '@clarion/contracts';
import { ServiceMetrics } from '@clarion/observability';
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair, type JWTPayload, type KeyInput } from 'jose';
import { createSecretKey } from 'node:crypto';
import { AuthEnv } from '../auth.env';
import { IdpEgress, MAX_RESPONSE_BYTES, type IdpTransport } from './idp-egress';
import { OidcClient, signInSecrets } from './oidc-client';

const ISSUER = 'https://idp.example';
const CLIENT = 'clarion-web';
const SECRET = 's3cret:with/odd&chars';
const REDIRECT = 'https://clarion.example/auth/sso/callback';

type Route = (request: { url: URL; method: string; headers: Record<string, string>; body: URLSearchParams; signal?: AbortSignal }) => Promise<Response> | Response;

/**
 * The relying party against an identity provider that lives in this process: the egress's transport is answered by the
 * routes below (the IdP is what is outside; the library, our fetch wrapper and our checks are the real ones).
 */
describe('OpenID Connect relying party (openid-client)', () => {
  let idpKey: KeyInput;
  let otherKey: KeyInput;
  let idpKeys: { keys: object[] };
  let jwks: { keys: object[] };
  let routes: Map<string, Route>;
  let requests: string[];
  let idToken: Promise<string> | string;
  let transport: jest.MockedFunction<IdpTransport>;

  const env = (CLARION_ENV: AuthEnv['CLARION_ENV']) => Object.assign(new AuthEnv(), { CLARION_ENV });
  const relyingParty = (environment: AuthEnv['CLARION_ENV'] = 'test') =>
    new OidcClient(env(environment), new IdpEgress(env(environment), new ServiceMetrics('auth-test'), { transport: (url, init) => transport(url, init) }));
  const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const discovery = (issuer = ISSUER, extra: Record<string, unknown> = {}) => ({
    issuer,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    userinfo_endpoint: `${issuer}/me`,
    id_token_signing_alg_values_supported: ['ES256'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    ...extra,
  });
  const sign = (claims: JWTPayload, key: KeyInput = idpKey, alg = 'ES256', kid = 'idp-1') => {
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: ISSUER, aud: CLIENT, sub: 'user-1', iat: now, exp: now + 300, nonce: secrets.nonce, ...claims };
    return new SignJWT(JSON.parse(JSON.stringify(payload)) as JWTPayload).setProtectedHeader({ alg, kid }).sign(key);
  };
  let secrets = signInSecrets();

  const serve = (issuer: string, document: object) => {
    routes.set(`${issuer}/.well-known/openid-configuration`, () => json(document));
    routes.set(`${issuer}/jwks`, () => json(jwks));
    routes.set(`${issuer}/token`, async () => json({ access_token: 'the-access-token', token_type: 'Bearer', expires_in: 300, id_token: await idToken }));
    routes.set(`${issuer}/me`, () => json({ sub: 'user-1', email: 'a@b.example' }));
  };
  const redeem = async (client = relyingParty(), response: { iss?: string; error?: string; code?: string } = { iss: ISSUER, code: 'the-code' }) => {
    const provider = await client.provider(ISSUER, { clientId: CLIENT, clientSecret: SECRET });
    return client.redeem(provider, { redirectUri: REDIRECT, state: secrets.state, ...response }, secrets);
  };
  const refused = async (promise: Promise<unknown>, code: ErrorCode = ErrorCode.Unauthenticated): Promise<DomainException> => {
    const err = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DomainException);
    expect(err).toMatchObject({ code });
    return err as DomainException;
  };

  beforeAll(async () => {
    const idp = await generateKeyPair('ES256');
    idpKey = idp.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;
    idpKeys = { keys: [{ ...(await exportJWK(idp.publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' }] };
  });

  beforeEach(() => {
    secrets = signInSecrets();
    jwks = idpKeys;
    routes = new Map();
    requests = [];
    idToken = sign({ email: 'a@b.example' });
    serve(ISSUER, discovery());
    transport = jest.fn<ReturnType<IdpTransport>, Parameters<IdpTransport>>(async (input, init) => {
      const url = new URL(String(input));
      const method = init?.method ?? 'GET';
      requests.push(`${method} ${url.origin}${url.pathname}`);
      const route = routes.get(`${url.origin}${url.pathname}`);
      if (!route) return new Response('not found', { status: 404 });
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      return route({ url, method, headers, body: new URLSearchParams(init?.body ? String(init.body) : ''), signal: init?.signal ?? undefined });
    });
  });

  describe('the authorization request', () => {
    it('sends the browser to the authorization endpoint with the state, the nonce and an S256 PKCE challenge', async () => {
      const client = relyingParty();
      const provider = await client.provider(ISSUER, { clientId: CLIENT });
      // RFC 7636 appendix B: this verifier has this challenge.
      const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
      const url = new URL(await client.authorizationUrl(provider, { redirectUri: REDIRECT, scopes: ['openid', 'email'], state: 'st', nonce: 'nn', codeVerifier: verifier }));
      expect(`${url.origin}${url.pathname}`).toBe(`${ISSUER}/auth`);
      expect(Object.fromEntries(url.searchParams)).toEqual({
        client_id: CLIENT,
        response_type: 'code',
        redirect_uri: REDIRECT,
        scope: 'openid email',
        state: 'st',
        nonce: 'nn',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      });
    });

    it('makes each sign-in its own 256-bit state, nonce and PKCE verifier', () => {
      const [a, b] = [signInSecrets(), signInSecrets()];
      for (const value of [...Object.values(a), ...Object.values(b)]) expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(new Set([...Object.values(a), ...Object.values(b)]).size).toBe(6);
    });
  });

  describe('the code exchange and the ID token', () => {
    it('redeems the code with the PKCE verifier and the client secret, and returns the verified claims', async () => {
      let tokenRequest: Parameters<Route>[0] | undefined;
      const token = routes.get(`${ISSUER}/token`)!;
      routes.set(`${ISSUER}/token`, (request) => ((tokenRequest = request), token(request)));
      const { claims, accessToken } = await redeem();
      expect(claims).toMatchObject({ sub: 'user-1', email: 'a@b.example', nonce: secrets.nonce });
      expect(accessToken).toBe('the-access-token');
      expect(Object.fromEntries(tokenRequest!.body)).toMatchObject({
        grant_type: 'authorization_code',
        code: 'the-code',
        redirect_uri: REDIRECT,
        code_verifier: secrets.codeVerifier,
      });
      // client_secret_basic: each part form-encoded before joining (RFC 6749 section 2.3.1).
      const basic = Buffer.from(tokenRequest!.headers['authorization']!.replace(/^Basic /, ''), 'base64').toString();
      expect(basic).not.toContain(SECRET);
      expect(basic.split(':').map(decodeURIComponent)).toEqual([CLIENT, SECRET]);
    });

    it('posts the client secret in the body to an IdP that takes only client_secret_post', async () => {
      serve(ISSUER, discovery(ISSUER, { token_endpoint_auth_methods_supported: ['client_secret_post'] }));
      let body: URLSearchParams | undefined;
      const token = routes.get(`${ISSUER}/token`)!;
      routes.set(`${ISSUER}/token`, (request) => ((body = request.body), token(request)));
      await redeem();
      expect(Object.fromEntries(body!)).toMatchObject({ client_id: CLIENT, client_secret: SECRET });
    });

    it.each([
      ['another nonce (a replayed or injected token)', () => sign({ nonce: 'other' })],
      ['a token without a nonce', () => sign({ nonce: undefined })],
      ['another audience', () => sign({ aud: 'someone-else' })],
      ['several audiences without azp naming this client', () => sign({ aud: [CLIENT, 'other'] })],
      ['another issuer', () => sign({ iss: 'https://evil.example' })],
      ['an expired token', () => sign({ exp: Math.floor(Date.now() / 1000) - 600 })],
      ['a token signed by another key', () => sign({}, otherKey)],
      ['a sub longer than 255 characters', () => sign({ sub: 'x'.repeat(256) })],
    ])('refuses %s', async (_why, token) => {
      idToken = token();
      await refused(redeem());
    });

    it('refuses alg none and HS256 keyed with a shared secret, even when the IdP advertises them', async () => {
      serve(ISSUER, discovery(ISSUER, { id_token_signing_alg_values_supported: ['ES256', 'HS256', 'none'] }));
      idToken = new UnsecuredJWT({ nonce: secrets.nonce, sub: 'user-1' }).setIssuer(ISSUER).setAudience(CLIENT).setIssuedAt().setExpirationTime('5m').encode();
      await refused(redeem());
      idToken = sign({}, createSecretKey(Buffer.from(SECRET)), 'HS256');
      await refused(redeem());
    });

    it('accepts several audiences when azp is this client', async () => {
      idToken = sign({ aud: [CLIENT, 'other'], azp: CLIENT });
      await expect(redeem()).resolves.toMatchObject({ claims: { sub: 'user-1' } });
    });

    it('fetches the key set once for several sign-ins, and again when a token names a key it does not know', async () => {
      const client = relyingParty();
      await redeem(client);
      await redeem(client);
      expect(requests.filter((r) => r.endsWith('/jwks'))).toHaveLength(1);
      expect(requests.filter((r) => r.endsWith('/openid-configuration'))).toHaveLength(1);
      // The IdP rotates to a new key; a minute later (the library's floor between refetches) its tokens verify.
      const rotated = await generateKeyPair('ES256');
      jwks = { keys: [{ ...(await exportJWK(rotated.publicKey)), kid: 'idp-2', alg: 'ES256', use: 'sig' }] };
      idToken = await sign({}, rotated.privateKey, 'ES256', 'idp-2');
      const now = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
      try {
        await expect(redeem(client)).resolves.toMatchObject({ claims: { sub: 'user-1' } });
      } finally {
        jest.mocked(Date.now).mockRestore();
      }
      expect(requests.filter((r) => r.endsWith('/jwks'))).toHaveLength(2);
    });

    it("repeats neither the IdP's error description nor an odd error code to the caller", async () => {
      routes.set(`${ISSUER}/token`, () => json({ error: 'invalid_grant', error_description: 'code expired <script>alert(1)</script>' }, 400));
      const err = await refused(redeem());
      expect(err.message).toContain('invalid_grant');
      expect(err.message).not.toContain('script');
      routes.set(`${ISSUER}/token`, () => json({ error: 'see http://phish.example' }, 400));
      expect((await refused(redeem())).message).not.toContain('phish');
    });

    it('answers DEPENDENCY_UNAVAILABLE when the token endpoint fails', async () => {
      routes.set(`${ISSUER}/token`, () => new Response('upstream down', { status: 502 }));
      await refused(redeem(), ErrorCode.DependencyUnavailable);
    });
  });

  describe('the authorization response (RFC 9207 and errors)', () => {
    it('refuses a response naming another issuer, before redeeming the code', async () => {
      await refused(redeem(undefined, { iss: 'https://attacker.example', code: 'the-code' }));
      expect(requests.some((r) => r.endsWith('/token'))).toBe(false);
    });

    it('refuses a response without iss from an issuer that always sends it', async () => {
      await refused(redeem(undefined, { code: 'the-code' }));
      expect(requests.some((r) => r.endsWith('/token'))).toBe(false);
    });

    it('accepts a response without iss from an issuer that does not announce it', async () => {
      serve(ISSUER, discovery(ISSUER, { authorization_response_iss_parameter_supported: false }));
      await expect(redeem(undefined, { code: 'the-code' })).resolves.toMatchObject({ claims: { sub: 'user-1' } });
    });

    it("refuses the IdP's error response, naming its error code", async () => {
      const err = await refused(redeem(undefined, { iss: ISSUER, error: 'access_denied' }));
      expect(err.message).toContain('access_denied');
      expect(requests.some((r) => r.endsWith('/token'))).toBe(false);
    });
  });

  describe('userinfo', () => {
    it("returns the IdP's claims for the ID token's subject, and refuses another subject", async () => {
      const client = relyingParty();
      const provider = await client.provider(ISSUER, { clientId: CLIENT, clientSecret: SECRET });
      await expect(client.userinfo(provider, 'the-access-token', 'user-1')).resolves.toMatchObject({ email: 'a@b.example' });
      await refused(client.userinfo(provider, 'the-access-token', 'user-2'));
    });

    it('returns nothing for an IdP without a userinfo endpoint', async () => {
      serve(ISSUER, discovery(ISSUER, { userinfo_endpoint: undefined }));
      const client = relyingParty();
      await expect(client.userinfo(await client.provider(ISSUER, { clientId: CLIENT }), 'the-access-token', 'user-1')).resolves.toEqual({});
    });
  });

  describe('discovery', () => {
    const discover = (issuer = ISSUER, environment: AuthEnv['CLARION_ENV'] = 'test') => relyingParty(environment).provider(issuer, { clientId: CLIENT });

    it('refuses a document that names another issuer (mix-up defence)', async () => {
      serve(ISSUER, discovery('https://other.example'));
      await refused(discover(), ErrorCode.DependencyUnavailable);
    });

    it('refuses endpoints that are not https', async () => {
      serve(ISSUER, discovery(ISSUER, { token_endpoint: 'http://idp.example/token' }));
      await refused(discover(), ErrorCode.DependencyUnavailable);
    });

    it('refuses an IdP whose PKCE methods leave out S256', async () => {
      serve(ISSUER, discovery(ISSUER, { code_challenge_methods_supported: ['plain'] }));
      await refused(discover(), ErrorCode.DependencyUnavailable);
    });

    it('accepts plain http on a loopback host outside production, and refuses it in production without asking it', async () => {
      const local = 'http://127.0.0.1:8080';
      serve(local, discovery(local));
      await expect(discover(local)).resolves.toBeDefined();
      requests = [];
      await refused(discover(local, 'production'), ErrorCode.DependencyUnavailable);
      await refused(discover('http://idp.example'), ErrorCode.DependencyUnavailable);
      expect(requests).toEqual([]);
    });

    it('reads no answer past its size cap', async () => {
      const huge = JSON.stringify({ ...discovery(), padding: 'x'.repeat(MAX_RESPONSE_BYTES) });
      // Streamed without a content-length, so the cap on what is read is what stops it.
      const stream = () => new Response(new Blob([huge]).stream(), { headers: { 'content-type': 'application/json' } });
      routes.set(`${ISSUER}/.well-known/openid-configuration`, stream);
      expect((await refused(discover(), ErrorCode.DependencyUnavailable)).message).toContain('too large');
      serve(ISSUER, discovery());
      routes.set(`${ISSUER}/jwks`, stream);
      expect((await refused(redeem(), ErrorCode.DependencyUnavailable)).message).toContain('too large');
    });

    it('gives up on an IdP that does not answer within 5 seconds', async () => {
      routes.set(
        `${ISSUER}/.well-known/openid-configuration`,
        ({ signal }) => new Promise<Response>((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason as Error))),
      );
      const started = Date.now();
      await refused(discover(), ErrorCode.DependencyUnavailable);
      expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
    }, 10_000);

    const discoveries = () => requests.filter((r) => r.endsWith('/openid-configuration')).length;

    it('remembers a failed discovery for 30 s: sign-ins in that time fail at once without asking the IdP again', async () => {
      routes.set(`${ISSUER}/.well-known/openid-configuration`, () => new Response('unavailable', { status: 503 }));
      const client = relyingParty();
      const first = await refused(client.provider(ISSUER, { clientId: CLIENT }), ErrorCode.DependencyUnavailable);
      serve(ISSUER, discovery());
      for (let i = 0; i < 5; i++) expect(await refused(client.provider(ISSUER, { clientId: CLIENT }), ErrorCode.DependencyUnavailable)).toBe(first);
      expect(discoveries()).toBe(1);
      const now = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(now + 30_001);
      try {
        await expect(client.provider(ISSUER, { clientId: CLIENT })).resolves.toBeDefined();
      } finally {
        jest.mocked(Date.now).mockRestore();
      }
      expect(discoveries()).toBe(2);
    });

    it('asks again at once when OIDC_DISCOVERY_FAILURE_TTL_S is 0', async () => {
      routes.set(`${ISSUER}/.well-known/openid-configuration`, () => new Response('unavailable', { status: 503 }));
      const environment = Object.assign(env('test'), { OIDC_DISCOVERY_FAILURE_TTL_S: 0 });
      const client = new OidcClient(environment, new IdpEgress(environment, new ServiceMetrics('auth-test'), { transport: (url, init) => transport(url, init) }));
      await refused(client.provider(ISSUER, { clientId: CLIENT }), ErrorCode.DependencyUnavailable);
      serve(ISSUER, discovery());
      await expect(client.provider(ISSUER, { clientId: CLIENT })).resolves.toBeDefined();
      expect(discoveries()).toBe(2);
    });

    it('asks the IdP once for sign-ins that start together', async () => {
      const client = relyingParty();
      await Promise.all(Array.from({ length: 8 }, () => client.provider(ISSUER, { clientId: CLIENT })));
      expect(discoveries()).toBe(1);
    });

    it('answers DEPENDENCY_UNAVAILABLE for an IdP that cannot be reached', async () => {
      routes.set(`${ISSUER}/.well-known/openid-configuration`, () => Promise.reject(new TypeError('fetch failed')));
      await refused(discover(), ErrorCode.DependencyUnavailable);
    });
  });
});
