import { SERVICE_NAMES, type SystemServicesResponse } from '@clarion/contracts';
import { NatsServerProcess, OtlpReceiver, ServiceProcess, TestInfra, freePort, httpGet, waitFor, waitForReady } from '@clarion/testing';
import { randomBytes } from 'node:crypto';
import { bearer, createAdminWithCli, login } from './support/gateway-stack';

/**
 * One HTTP request to the gateway fans out over NATS to the four other services; with every service exporting to
 * a real OTLP/HTTP receiver, their spans share one trace id and their log lines for it carry that id.
 * Needs `npm run build` first (npm test does it).
 */
describe('GET /api/v1/system/status across the five services', () => {
  const receiver = new OtlpReceiver();
  // NATS as deployed: TLS, and each service on its own nkey with exactly its subjects.
  const nats = new NatsServerProcess({ secure: true });
  const services = new Map<string, ServiceProcess>();
  const opsPorts = new Map<string, number>();
  let httpPort = 0;

  beforeAll(async () => {
    const endpoint = await receiver.start();
    await nats.start();
    httpPort = await freePort();
    for (const app of SERVICE_NAMES) {
      const opsPort = await freePort();
      opsPorts.set(app, opsPort);
      const proc = new ServiceProcess(app, {
        CLARION_ENV: 'test',
        LOG_LEVEL: 'debug',
        OPS_PORT: String(opsPort),
        OPS_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        HTTP_HOST: '127.0.0.1',
        DATABASE_URL: TestInfra.serviceUrl(app),
        ...nats.envOf(app),
        REDIS_URL: TestInfra.redisUrl,
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      }).start();
      services.set(app, proc);
    }
    await Promise.all([...opsPorts.values()].map((port) => waitForReady(port, 60_000)));
  });

  afterAll(async () => {
    const codes = await Promise.all([...services.values()].map((s) => s.stop()));
    await receiver.close();
    await nats.stop();
    // Every service drains and exits 0 on SIGTERM.
    expect(codes).toEqual(SERVICE_NAMES.map(() => 0));
  });

  it('answers anyone with the overall state alone, asking every service, and one trace spans all five', async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/system/status`, {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(res.status).toBe(200);
    // Nothing of the inside (services, versions, instances, dependencies) for an anonymous caller.
    expect(await res.json()).toEqual({ status: 'ready' });

    await waitFor(() => receiver.servicesInTrace(traceId).size >= 5, 15_000, 'spans from the five services');
    const inTrace = receiver.servicesInTrace(traceId);
    expect([...inTrace].sort()).toEqual(SERVICE_NAMES.map((s) => `clarion-${s}`).sort());
    // The remote handlers' spans are children within the same trace, not new roots.
    const handlerSpans = receiver.spans.filter((s) => s.traceId === traceId && s.name.endsWith('.status.v1 process'));
    expect(handlerSpans).toHaveLength(4);
    expect(handlerSpans.every((s) => s.parentSpanId)).toBe(true);

    // The JSON log lines each service wrote for this request carry the same trace id.
    await waitFor(
      () => SERVICE_NAMES.every((app) => services.get(app)!.logs.some((l) => l.trace_id === traceId)),
      10_000,
      'log lines with the trace id in every service',
    );
    for (const app of SERVICE_NAMES) {
      const lines = services.get(app)!.logs.filter((l) => l.trace_id === traceId);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((l) => l.service === app && typeof l.span_id === 'string')).toBe(true);
    }
  });

  it("gives every service's version, instance and dependency checks only to a caller with system:read", async () => {
    const base = `http://127.0.0.1:${httpPort}`;
    expect((await fetch(`${base}/api/v1/system/services`)).status).toBe(401);
    const tenant = `status-${randomBytes(4).toString('hex')}`;
    const password = `Status-e2e-${randomBytes(9).toString('base64url')}-lantern`;
    createAdminWithCli(tenant, 'admin@status.example', password);
    const { accessToken } = await login(base, tenant, 'admin@status.example', password);
    const res = await fetch(`${base}/api/v1/system/services`, { headers: bearer(accessToken) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as SystemServicesResponse;
    expect(body.status).toBe('ready');
    expect(body.services.map((s) => s.service).sort()).toEqual([...SERVICE_NAMES].sort());
    for (const service of body.services) {
      expect(service).toMatchObject({ reachable: true, status: 'ready', version: expect.any(String), instanceId: expect.any(String) });
      if (service.reachable) expect(service.checks).toContainEqual(expect.objectContaining({ name: 'nats', status: 'up' }));
    }
  });

  it('exposes Prometheus metrics with HTTP and NATS handler histograms on the ops ports', async () => {
    const gateway = await httpGet(`http://127.0.0.1:${opsPorts.get('gateway')}/metrics`);
    expect(gateway.status).toBe(200);
    expect(String(gateway.body)).toMatch(/clarion_http_server_request_duration_seconds_count\{[^}]*route="\/api\/v1\/system\/status"/);
    expect(String(gateway.body)).toMatch(/clarion_rpc_client_duration_seconds_count\{[^}]*subject="clarion\.auth\.status\.v1"/);
    const auth = await httpGet(`http://127.0.0.1:${opsPorts.get('auth')}/metrics`);
    expect(String(auth.body)).toMatch(/clarion_rpc_server_duration_seconds_count\{[^}]*subject="clarion\.auth\.status\.v1",outcome="ok"/);
    expect(String(auth.body)).toMatch(/clarion_db_query_duration_seconds_count\{[^}]*operation="SELECT"/);
    expect(String(auth.body)).toMatch(/clarion_process_cpu_seconds_total/);
  });

  it('answers unknown routes with problem+json and a correlation id, never a stack', async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/nope`, { headers: { 'x-correlation-id': 'corr-e2e-1' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('x-correlation-id')).toBe('corr-e2e-1');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 404, code: 'NOT_FOUND', correlationId: 'corr-e2e-1' });
    expect(JSON.stringify(body)).not.toMatch(/at \w+ \(/);
  });

  it('refuses a body larger than the limit with 413 problem+json', async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/system/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('sends security headers', async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/system/status`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });
});
