import { randomUUID } from 'node:crypto';
import { createAdminWithCli, startStack, type GatewayStack } from './support/gateway-stack';

/**
 * Authentication end to end: HTTP to the gateway, NATS (TLS, each service on its own nkey) to the auth service,
 * PostgreSQL and Redis behind it. The first admin comes from the CLI, as an operator would create it.
 */
describe('auth over HTTP (gateway + auth processes)', () => {
  const tenant = `e2e-${randomUUID().slice(0, 8)}`;
  const password = 'e2e-violet-Harbor-quantum-57';
  let stack: GatewayStack;
  let base = '';

  beforeAll(async () => {
    createAdminWithCli(tenant, 'root@e2e.example', password);
    // Two gateways: a revocation must reach every instance, not only the one that forwarded it.
    stack = await startStack({ gateways: 2 });
    base = stack.bases[0]!;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('logs in, reads the profile with the access token, rotates the refresh token and detects its reuse', async () => {
    const login = await post('/api/v1/auth/login', { tenant, email: 'root@e2e.example', password });
    expect(login.status).toBe(200);
    const pair = (await login.json()) as { accessToken: string; refreshToken: string };
    const me = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${pair.accessToken}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email: 'root@e2e.example', roles: ['admin'], permissions: expect.arrayContaining(['users:manage']) });

    const refreshed = await post('/api/v1/auth/refresh', { refreshToken: pair.refreshToken });
    expect(refreshed.status).toBe(200);
    const reused = await post('/api/v1/auth/refresh', { refreshToken: pair.refreshToken });
    expect(reused.status).toBe(401);
    expect(reused.headers.get('content-type')).toContain('application/problem+json');
  });

  it("stops a session's access tokens at once on every gateway: after logout, and after revoking all sessions", async () => {
    const signIn = async () => (await (await post('/api/v1/auth/login', { tenant, email: 'root@e2e.example', password })).json()) as { accessToken: string; refreshToken: string };
    const me = (gateway: number, token: string) => fetch(`${stack.bases[gateway]}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    const waitFor401 = async (gateway: number, token: string): Promise<number> => {
      const started = Date.now();
      while ((await me(gateway, token)).status !== 401) {
        if (Date.now() - started > 5000) throw new Error(`gateway ${gateway} still accepts the token of an ended session`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return Date.now() - started;
    };
    const pair = await signIn();
    // Both gateways have verified (and remember) the token before the logout.
    expect((await me(0, pair.accessToken)).status).toBe(200);
    expect((await me(1, pair.accessToken)).status).toBe(200);
    expect((await post('/api/v1/auth/logout', { refreshToken: pair.refreshToken })).status).toBe(200);
    // "At once": the event reaches both within moments, well before the 2 s catch-up poll.
    expect(await waitFor401(0, pair.accessToken)).toBeLessThan(1500);
    expect(await waitFor401(1, pair.accessToken)).toBeLessThan(1500);
    const refused = await me(1, pair.accessToken);
    expect(await refused.json()).toMatchObject({ code: 'UNAUTHENTICATED', detail: 'the session of this token has ended' });

    const [a, b] = [await signIn(), await signIn()];
    expect((await me(1, b.accessToken)).status).toBe(200);
    const all = await fetch(`${stack.bases[0]}/api/v1/auth/sessions`, { method: 'DELETE', headers: { authorization: `Bearer ${a.accessToken}` } });
    expect(all.status).toBe(200);
    await waitFor401(1, b.accessToken);
    await waitFor401(0, a.accessToken);
  });

  it('answers 401 problem+json without a credential, with a forged one and with a malformed header', async () => {
    const variants: Array<Record<string, string>> = [{}, { authorization: 'Bearer not.a.jwt' }, { authorization: 'Basic abc' }, { 'x-api-key': 'clr_deadbeef00_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' }];
    for (const headers of variants) {
      const res = await fetch(`${base}/api/v1/auth/me`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    }
  });

  it('gives the same answer for an unknown user and a wrong password', async () => {
    const unknown = await post('/api/v1/auth/login', { tenant, email: 'ghost@e2e.example', password });
    const wrong = await post('/api/v1/auth/login', { tenant, email: 'root@e2e.example', password: `${password}!` });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const [a, b] = [(await unknown.json()) as { detail: string }, (await wrong.json()) as { detail: string }];
    expect(a.detail).toBe(b.detail);
  });

  it('refuses a body with fields it does not know (the client cannot set its own source address)', async () => {
    const res = await post('/api/v1/auth/login', { tenant, email: 'root@e2e.example', password, sourceIp: '10.0.0.1' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ field: 'sourceIp' })] });
  });

  it('publishes the JWKS at /.well-known/jwks.json', async () => {
    const res = await fetch(`${base}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: Array<{ kid: string; kty: string; crv: string; d?: string }> };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
  });
});
