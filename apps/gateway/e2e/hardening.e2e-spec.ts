import { REPO_ROOT } from '@clarion/testing';
import { execFile } from 'node:child_process';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { GATEWAY_CONTROLLERS } from '../src/gateway.module';
import { routeTable } from '../src/http/route-table';
import { apiKeyHeader, bearer, call, createAdminWithCli, startStack, type Answer, type GatewayStack } from './support/gateway-stack';

/**
 * Hardening of the public port with two gateway instances behind one "load balancer" (the test): shared rate limits
 * in Redis, security headers, CORS allow-list, body limit, and the OpenAPI document linted by Redocly.
 * HTTP_TRUST_PROXY is on so each test speaks from its own address (X-Forwarded-For) and counts only its own requests.
 */
const ALLOWED_ORIGIN = 'https://console.example.com';
const LIMITS = { RATE_LIMIT_PER_IP: '40', RATE_LIMIT_PER_PRINCIPAL: '30', RATE_LIMIT_LOGIN_PER_IP: '5', RATE_LIMIT_WINDOW_S: '60' };

describe('gateway hardening (two gateway instances + auth)', () => {
  let stack: GatewayStack;
  const tenant = `hard-${randomUUID().slice(0, 8)}`;
  const email = `root@${tenant}.e2e.example`;
  const password = `e2e-${randomBytes(9).toString('base64url')}-Harbor-57`;
  let adminToken = '';
  const freshAddress = () => `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}`;

  beforeAll(async () => {
    createAdminWithCli(tenant, email, password);
    stack = await startStack({ gateways: 2, gatewayEnv: { ...LIMITS, CORS_ORIGINS: ALLOWED_ORIGIN, HTTP_TRUST_PROXY: 'true' } });
    adminToken = (await call(stack.bases[0]!, '/api/v1/auth/login', { method: 'POST', body: { tenant, email, password }, headers: { 'x-forwarded-for': freshAddress() } }).then((r) => r.json as { accessToken: string })).accessToken;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const gateway = (i: number) => stack.bases[i % stack.bases.length]!;

  function expectRateLimited(answer: Answer): void {
    expect(answer.status).toBe(429);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(answer.json).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    const retryAfter = Number(answer.headers.get('retry-after'));
    // Up to a little over one window: a budget spent early in a window weighs on the next one until it decays.
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 2 * 60).toBe(true);
  }

  describe('rate limits shared through Redis', () => {
    it('counts sign-in attempts from one address across both instances (stricter bucket)', async () => {
      const address = freshAddress();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        statuses.push((await call(gateway(i), '/api/v1/auth/login', { method: 'POST', body: {}, headers: { 'x-forwarded-for': address } })).status);
      }
      expect(statuses).toEqual([400, 400, 400, 400, 400]);
      expectRateLimited(await call(gateway(5), '/api/v1/auth/login', { method: 'POST', body: {}, headers: { 'x-forwarded-for': address } }));
      expectRateLimited(await call(gateway(6), '/api/v1/auth/login', { method: 'POST', body: {}, headers: { 'x-forwarded-for': address } }));
      // Another address is not affected.
      expect((await call(gateway(0), '/api/v1/auth/login', { method: 'POST', body: {}, headers: { 'x-forwarded-for': freshAddress() } })).status).toBe(400);
    });

    it('counts one principal across both instances and every address it uses', async () => {
      const created = await call(gateway(0), '/api/v1/api-keys', { method: 'POST', headers: { ...bearer(adminToken), 'x-forwarded-for': freshAddress() }, body: { name: 'limited', scopes: ['flags:read'] } });
      const key = (created.json as { key: string }).key;
      for (let i = 0; i < 30; i++) {
        const res = await call(gateway(i), '/api/v1/flags', { headers: { ...apiKeyHeader(key), 'x-forwarded-for': freshAddress() } });
        expect(res.status).toBe(200);
      }
      expectRateLimited(await call(gateway(1), '/api/v1/flags', { headers: { ...apiKeyHeader(key), 'x-forwarded-for': freshAddress() } }));
    });

    it('counts every request of one address but never the health probes', async () => {
      const address = freshAddress();
      for (let i = 0; i < 45; i++) expect((await call(gateway(i), '/healthz', { headers: { 'x-forwarded-for': address } })).status).toBe(200);
      for (let i = 0; i < 40; i++) expect((await call(gateway(i), '/api/docs/assets/init.js', { headers: { 'x-forwarded-for': address } })).status).toBe(200);
      expectRateLimited(await call(gateway(0), '/api/docs/assets/init.js', { headers: { 'x-forwarded-for': address } }));
      expectRateLimited(await call(gateway(1), '/api/v1/system/status', { headers: { 'x-forwarded-for': address } }));
    });
  });

  describe('security headers', () => {
    it('are on every response: each route of the table, errors, HTML and static files', async () => {
      const requests = routeTable(GATEWAY_CONTROLLERS).map((r) => ({ method: r.method, path: r.path.replace(/:[A-Za-z]+/g, randomUUID()) }));
      requests.push({ method: 'GET', path: '/api/v1/no-such-route' }, { method: 'GET', path: '/api/docs/assets/swagger-ui.css' }, { method: 'POST', path: '/api/v1/auth/login' });
      const missing: string[] = [];
      for (const [i, r] of requests.entries()) {
        const res = await call(gateway(i), r.path, { method: r.method, headers: { 'x-forwarded-for': freshAddress() }, ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { body: {} }) });
        const h = res.headers;
        const ok =
          h.get('content-security-policy')?.includes("frame-ancestors 'none'") &&
          h.get('strict-transport-security')?.includes('max-age=') &&
          h.get('x-content-type-options') === 'nosniff' &&
          h.get('referrer-policy') === 'no-referrer' &&
          h.get('x-frame-options') === 'DENY' &&
          !!h.get('x-correlation-id');
        if (!ok) missing.push(`${r.method} ${r.path} -> ${res.status}`);
      }
      expect(missing).toEqual([]);
    });
  });

  describe('CORS allow-list', () => {
    it('answers a preflight from an allowed origin and refuses an unknown one', async () => {
      const preflight = (origin: string) =>
        fetch(`${gateway(0)}/api/v1/users`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type', 'x-forwarded-for': freshAddress() },
        });
      const allowed = await preflight(ALLOWED_ORIGIN);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
      const refused = await preflight('https://evil.example');
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      const simple = await fetch(`${gateway(1)}/api/v1/system/status`, { headers: { origin: 'https://evil.example', 'x-forwarded-for': freshAddress() } });
      expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  it('refuses an oversize body with 413 problem+json before reading it all', async () => {
    const res = await call(gateway(0), '/api/v1/users', { method: 'POST', rawBody: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }), headers: { ...bearer(adminToken), 'x-forwarded-for': freshAddress() } });
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('sees a feature flag switched through one instance at once on the other (cache cleared on change)', async () => {
    const headers = { ...bearer(adminToken) };
    const flagVia = async (i: number) =>
      ((await call(gateway(i), '/api/v1/flags', { headers: { ...headers, 'x-forwarded-for': freshAddress() } })).json as { items: Array<{ key: string; enabled: boolean }> }).items.find((f) => f.key === 'streaming-export')!.enabled;
    expect(await flagVia(1)).toBe(false); // now cached
    expect((await call(gateway(0), '/api/v1/flags/streaming-export', { method: 'PUT', body: { enabled: true }, headers: { ...headers, 'x-forwarded-for': freshAddress() } })).status).toBe(200);
    expect(await flagVia(1)).toBe(true);
    expect((await call(gateway(1), '/api/v1/flags/streaming-export', { method: 'PUT', body: { enabled: false }, headers: { ...headers, 'x-forwarded-for': freshAddress() } })).status).toBe(200);
    expect(await flagVia(0)).toBe(false);
  });

  it('tags the flag list with an ETag and answers If-None-Match with 304 until a flag changes', async () => {
    const headers = { ...bearer(adminToken), 'x-forwarded-for': freshAddress() };
    const first = await call(gateway(0), '/api/v1/flags', { headers });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);
    const again = await call(gateway(1), '/api/v1/flags', { headers: { ...headers, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    const current = ((first.json as { items: Array<{ key: string; enabled: boolean }> }).items.find((f) => f.key === 'sso')!).enabled;
    expect((await call(gateway(0), '/api/v1/flags/sso', { method: 'PUT', body: { enabled: !current }, headers })).status).toBe(200);
    const changed = await call(gateway(1), '/api/v1/flags', { headers: { ...headers, 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  describe('OpenAPI document', () => {
    let document: { openapi: string; paths: Record<string, Record<string, { 'x-required-permissions'?: string[]; security?: unknown[]; responses: Record<string, unknown> }>> };

    beforeAll(async () => {
      const res = await call(gateway(0), '/api/docs/openapi.json', { headers: { 'x-forwarded-for': freshAddress() } });
      expect(res.status).toBe(200);
      document = res.json as typeof document;
    });

    it('is the committed docs/openapi.json, which `npm run openapi` builds from the same code without starting anything', () => {
      expect(document).toEqual(JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8')));
    });

    it('passes `redocly lint` without errors', async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'clarion-openapi-')), 'openapi.json');
      writeFileSync(file, JSON.stringify(document));
      const redocly = resolve(REPO_ROOT, 'node_modules/.bin/redocly');
      const result = await promisify(execFile)(redocly, ['lint', file, '--format=stylish'], { cwd: REPO_ROOT, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } }).then(
        (r) => ({ code: 0, out: `${r.stdout}${r.stderr}` }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: `${e.stdout}${e.stderr}` }),
      );
      expect({ code: result.code, errors: result.out.split('\n').filter((l) => /error/i.test(l) && !/0 errors/.test(l)) }).toEqual({ code: 0, errors: [] });
    }, 120_000);

    it('is OpenAPI 3.1 and states the permissions, security and problem+json errors of every route', () => {
      expect(document.openapi).toBe('3.1.0');
      const routes = routeTable(GATEWAY_CONTROLLERS).filter((r) => r.documented);
      for (const route of routes) {
        const operation = document.paths[route.path.replace(/:([A-Za-z]+)/g, '{$1}')]?.[route.method.toLowerCase()];
        expect(operation).toBeDefined();
        expect(operation!['x-required-permissions']).toEqual(route.isPublic ? [] : route.permissions);
        expect(operation!.security).toEqual(route.isPublic ? [] : [{ bearer: [] }, { apiKey: [] }]);
        const expectedErrors = route.isPublic ? ['429', '500'] : ['401', '403', '429', '500'];
        for (const status of expectedErrors) expect(operation!.responses[status]).toMatchObject({ content: { 'application/problem+json': expect.anything() } });
      }
    });

    it('serves the Swagger UI page with scripts from its own origin only', async () => {
      const page = await call(gateway(1), '/api/docs', { headers: { 'x-forwarded-for': freshAddress() } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.text).toContain('/api/docs/assets/swagger-ui-bundle.js');
      expect(page.text).not.toMatch(/<script>[^<]/);
      const bundle = await call(gateway(1), '/api/docs/assets/swagger-ui-bundle.js', { headers: { 'x-forwarded-for': freshAddress() } });
      expect(bundle.status).toBe(200);
      expect(bundle.text.length).toBeGreaterThan(100_000);
    });
  });
});
