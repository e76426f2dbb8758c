import { EndpointProfile, encodeProfile, observeFlowOnEndpoints } from '@clarion/clustering-core';
import { TestInfra, waitFor } from '@clarion/testing';
import { Client } from 'pg';
import { randomUUID } from 'node:crypto';
// eslint-disable-next-line @nx/enforce-module-boundaries -- synthetic role traffic of the clustering core's tests, test-only
import { FLOW_ROLE_NAMES, synthesiseRoleFlows } from '../../../libs/clustering-core/src/testing/role-flows';
import { RELAXED_LIMITS, bearer, call, createAdminWithCli, login, startStack, type GatewayStack } from './support/gateway-stack';

/** Stores `count` endpoint profiles of the synthetic roles for a tenant, as the flow consumer would have. */
async function seedProfiles(tenantId: string, count: number): Promise<void> {
  const profiles = new Map<string, EndpointProfile>();
  for (let i = 0; i < count; i++) {
    const self = `10.77.${i >> 8}.${i & 255}`;
    for (const flow of synthesiseRoleFlows(FLOW_ROLE_NAMES[i % FLOW_ROLE_NAMES.length], self, 2, 500 + i)) {
      observeFlowOnEndpoints(flow, (key) => profiles.get(key) ?? profiles.set(key, new EndpointProfile()).get(key)!);
    }
  }
  const rows = [...profiles].filter(([key]) => key.startsWith('ip:10.77.')).map(([key, p]) => [key, key.slice(3), Buffer.from(encodeProfile(p)), p.flows]);
  const app = new Client({ connectionString: TestInfra.appUrl });
  await app.connect();
  try {
    await app.query('BEGIN');
    await app.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
    for (const [key, address, bytes, flows] of rows) {
      await app.query('INSERT INTO endpoint_profiles (tenant_id, endpoint_key, address, profile, flows) VALUES ($1, $2, $3, $4, $5)', [tenantId, key, address, bytes, flows]);
    }
    await app.query('COMMIT');
  } finally {
    await app.end();
  }
}

/**
 * Hot reads (cluster list, one cluster, the policy matrix, an endpoint) through two gateway instances sharing the Redis
 * cache: a miss then hits on either instance, 304 on a matching If-None-Match, and a change (an SGT renamed through the
 * API, a clustering run announced on clarion.clusters.updated.v1) drops the tenant's entries at once.
 */
const PRINCIPAL_LIMIT = 150;
const CONSOLE_ORIGIN = 'https://console.hot.example';

describe('hot-read cache and ETags (two gateways, auth, clustering)', () => {
  let stack: GatewayStack;
  const tenant = `hot-${randomUUID().slice(0, 8)}`;
  const other = `hot-${randomUUID().slice(0, 8)}`;
  const password = 'hot-Reads-marble-Kestrel-28';
  let token = '';
  let otherToken = '';
  let tenantId = '';

  async function runJob(base: string, auth: Record<string, string>): Promise<void> {
    const started = await call(base, '/api/v1/clustering/jobs', { method: 'POST', headers: auth });
    expect(started.status).toBe(202);
    const id = (started.json as { id: string }).id;
    await waitFor(
      async () => {
        const job = (await call(base, `/api/v1/clustering/jobs/${id}`, { headers: auth })).json as { status: string; error: string | null };
        if (job.status === 'failed') throw new Error(`job failed: ${job.error}`);
        return job.status === 'succeeded';
      },
      60_000,
      'clustering job succeeded',
      300,
    );
  }

  beforeAll(async () => {
    stack = await startStack({
      gateways: 2,
      // A per-principal budget the fast-lane test can spend (the other tests use far fewer requests per token).
      gatewayEnv: { ...RELAXED_LIMITS, RATE_LIMIT_PER_PRINCIPAL: String(PRINCIPAL_LIMIT), CORS_ORIGINS: CONSOLE_ORIGIN },
      clustering: { CLUSTERING_MIN_ENDPOINTS: '1000000', CLUSTERING_JOB_POLL_MS: '200' },
    });
    createAdminWithCli(tenant, 'admin@hot.example', password);
    createAdminWithCli(other, 'admin@hot.example', password);
    token = (await login(stack.bases[0], tenant, 'admin@hot.example', password)).accessToken;
    otherToken = (await login(stack.bases[0], other, 'admin@hot.example', password)).accessToken;
    tenantId = ((await call(stack.bases[0], '/api/v1/auth/me', { headers: bearer(token) })).json as { tenantId: string }).tenantId;
    await seedProfiles(tenantId, 180);
    await runJob(stack.bases[0], bearer(token));
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('serves the cluster list from the shared cache after the first read, on either instance, with the same ETag', async () => {
    const [a, b] = stack.bases;
    const first = await call(a, '/api/v1/clusters', { headers: bearer(token) });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('miss');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/".+"$/);
    expect((first.json as { items: unknown[] }).items.length).toBeGreaterThan(2);
    const second = await call(b, '/api/v1/clusters', { headers: bearer(token) });
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(second.headers.get('etag')).toBe(etag);
    expect(second.text).toBe(first.text);
    expect(second.headers.get('content-type')).toMatch(/^application\/json/);
    // Different query parameters are a different read.
    const retired = await call(b, '/api/v1/clusters', { headers: bearer(token), query: { includeRetired: 'true' } });
    expect(retired.headers.get('x-cache')).toBe('miss');
  });

  it('answers 304 without a body to a matching If-None-Match, and 200 to a stale one', async () => {
    const base = stack.bases[0];
    const fresh = await call(base, '/api/v1/policy/matrix', { headers: bearer(token) });
    const etag = fresh.headers.get('etag')!;
    const again = await call(base, '/api/v1/policy/matrix', { headers: { ...bearer(token), 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    const stale = await call(base, '/api/v1/policy/matrix', { headers: { ...bearer(token), 'if-none-match': 'W/"not-it"' } });
    expect(stale.status).toBe(200);
    expect(stale.text).toBe(fresh.text);
  });

  it('never serves one tenant\'s cached read to another tenant', async () => {
    const mine = await call(stack.bases[0], '/api/v1/clusters', { headers: bearer(token) });
    expect((mine.json as { items: unknown[] }).items.length).toBeGreaterThan(0);
    const theirs = await call(stack.bases[1], '/api/v1/clusters', { headers: bearer(otherToken) });
    expect(theirs.status).toBe(200);
    expect(theirs.json).toEqual({ items: [], nextCursor: null });
    expect(theirs.headers.get('etag')).not.toBe(mine.headers.get('etag'));
  });

  it('drops the tenant\'s cached reads when an SGT changes through either instance', async () => {
    const [a, b] = stack.bases;
    const before = await call(a, '/api/v1/clusters', { headers: bearer(token) });
    await call(b, '/api/v1/clusters', { headers: bearer(token) });
    const cluster = (before.json as { items: Array<{ id: string; sgt: number; sgtName: string }> }).items[0];
    const renamed = `RENAMED_${randomUUID().slice(0, 6).toUpperCase()}`;
    const patch = await call(b, `/api/v1/sgts/${cluster.sgt}`, { method: 'PATCH', headers: bearer(token), body: { name: renamed } });
    expect(patch.status).toBe(200);
    const after = await call(a, '/api/v1/clusters', { headers: bearer(token) });
    expect(after.headers.get('x-cache')).toBe('miss');
    expect((after.json as { items: Array<{ id: string; sgtName: string }> }).items.find((c) => c.id === cluster.id)?.sgtName).toBe(renamed);
    expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
  });

  it('drops them when the clustering service announces a finished run', async () => {
    const base = stack.bases[1];
    await call(base, '/api/v1/clusters', { headers: bearer(token) });
    expect((await call(base, '/api/v1/clusters', { headers: bearer(token) })).headers.get('x-cache')).toBe('hit');
    await runJob(stack.bases[0], bearer(token));
    // The event reaches both instances; the next read of either is computed afresh.
    await waitFor(async () => (await call(base, '/api/v1/clusters', { headers: bearer(token) })).headers.get('x-cache') === 'miss', 5_000, 'cache dropped');
  });

  /** Hits the fast lane of gateway `i` has answered, from its metrics. */
  async function fastLaneHits(i: number): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${stack.gatewayOpsPorts[i]}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('clarion_gateway_hot_cache_total{') && l.includes('outcome="hit"') && l.includes('lane="fast"'));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  it('answers hits ahead of the pipeline with the full path\'s headers, and counts them in the shared per-principal budget', async () => {
    const [a, b] = stack.bases;
    // otherToken's tenant: one earlier request in this suite. Each instance verifies the token on its first request
    // (full path), then answers its hits from the fast lane.
    const headers = { ...bearer(otherToken), origin: CONSOLE_ORIGIN };
    const first = await call(a, '/api/v1/clusters', { headers });
    expect(first.status).toBe(200);
    const fastHitsBefore = await fastLaneHits(0);
    const hit = await call(a, '/api/v1/clusters', { headers });
    expect(hit.headers.get('x-cache')).toBe('hit');
    expect(await fastLaneHits(0)).toBe(fastHitsBefore + 1);
    expect(hit.text).toBe(first.text);
    expect(hit.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(hit.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(hit.headers.get('x-content-type-options')).toBe('nosniff');
    expect(hit.headers.get('x-correlation-id')).toBeTruthy();
    // A foreign tenant's entry is never served: this tenant's list is its own (empty).
    expect(hit.json).toEqual({ items: [], nextCursor: null });

    let served = 3;
    let refused: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < PRINCIPAL_LIMIT * 2 && !refused; i++) {
      const res = await call(i % 2 ? b : a, '/api/v1/clusters', { headers: bearer(otherToken) });
      if (res.status === 429) refused = res;
      else {
        expect(res.status).toBe(200);
        served++;
      }
    }
    // Both instances, fast lane and full path, draw on one budget in Redis.
    expect(refused?.json).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(served).toBeGreaterThanOrEqual(PRINCIPAL_LIMIT - 5);
    expect(served).toBeLessThanOrEqual(PRINCIPAL_LIMIT);
  });

  it('answers an API key whose verification is cached from the fast lane too, and only within its scopes', async () => {
    const [a, b] = stack.bases;
    const created = await call(a, '/api/v1/api-keys', { method: 'POST', headers: bearer(token), body: { name: 'hot-read robot', scopes: ['clusters:read'] } });
    expect(created.status).toBe(201);
    const headers = { 'x-api-key': (created.json as { key: string }).key };
    // The first use verifies the key over NATS and caches it in Redis (full path); the next uses are admitted ahead.
    const first = await call(b, '/api/v1/clusters', { headers });
    expect(first.status).toBe(200);
    const before = await fastLaneHits(0);
    const hit = await call(a, '/api/v1/clusters', { headers });
    expect([hit.status, hit.headers.get('x-cache')]).toEqual([200, 'hit']);
    expect(await fastLaneHits(0)).toBe(before + 1);
    expect(hit.text).toBe(first.text);
    // Outside its scopes the key is refused as on the full path, and never sees a cached answer.
    const matrix = await call(a, '/api/v1/policy/matrix', { headers });
    expect([matrix.status, matrix.headers.get('x-cache')]).toEqual([403, null]);
    expect(await fastLaneHits(0)).toBe(before + 1);
  });
});
