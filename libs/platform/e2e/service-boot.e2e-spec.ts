import { SERVICE_NAMES } from '@clarion/contracts';
import { NatsServerProcess, ServiceProcess, TestInfra, freePort, httpGet, waitFor } from '@clarion/testing';
import { createServer, type Server, type Socket } from 'node:net';

/** Boot behaviour every service shares (libs/platform runService), checked on the built processes. */
describe('service boot', () => {
  it.each(SERVICE_NAMES)('%s exits 1 naming both variables when two are invalid', async (app) => {
    const proc = new ServiceProcess(app, { OPS_PORT: 'not-a-port', NATS_URL: 'http://wrong-scheme:4222' }).start();
    const code = await proc.waitForExit(20_000);
    expect(code).toBe(1);
    expect(proc.stderr).toMatch(/OPS_PORT: /);
    expect(proc.stderr).toMatch(/NATS_URL: /);
    expect(proc.stderr).toContain(`${app}: invalid configuration (2 problems)`);
  });

  it('refuses to start in production with development defaults, naming each', async () => {
    // DATABASE_URL empty: not even the test database URL ServiceProcess gives a service by default.
    const proc = new ServiceProcess('gateway', { CLARION_ENV: 'production', DATABASE_URL: '' }).start();
    expect(await proc.waitForExit(20_000)).toBe(1);
    expect(proc.stderr).toMatch(/DATABASE_URL: must be set in production/);
    expect(proc.stderr).toMatch(/CORS_ORIGINS: must be set in production/);
  });

  describe('readiness with a dependency down', () => {
    // A port that accepts nothing: bound, then closed, so connections are refused.
    let closedPort = 0;
    // A port that accepts TCP but never speaks: a hung dependency.
    let silent: Server;
    let silentPort = 0;

    const silentSockets = new Set<Socket>();
    // A private NATS as deployed (TLS, auth's own nkey), so the auth instances started here never join the queue group
    // of another run's services.
    const nats = new NatsServerProcess({ secure: true });

    beforeAll(async () => {
      await nats.start();
      closedPort = await freePort();
      silent = createServer((socket) => {
        silentSockets.add(socket);
        socket.on('close', () => silentSockets.delete(socket));
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
      silentPort = (silent.address() as { port: number }).port;
    });

    afterAll(async () => {
      // close() waits for open connections; a client that is still reconnecting must not hold the suite open.
      for (const socket of silentSockets) socket.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
      await nats.stop();
    });

    const start = async (overrides: Record<string, string>) => {
      const opsPort = await freePort();
      const proc = new ServiceProcess('auth', {
        CLARION_ENV: 'test',
        LOG_LEVEL: 'warn',
        OPS_PORT: String(opsPort),
        OPS_HOST: '127.0.0.1',
        DATABASE_URL: TestInfra.serviceUrl('auth'),
        ...nats.envOf('auth'),
        REDIS_URL: TestInfra.redisUrl,
        OTEL_EXPORTER_OTLP_ENDPOINT: '',
        READINESS_TIMEOUT_MS: '500',
        ...overrides,
      }).start();
      await waitFor(async () => (await httpGet(`http://127.0.0.1:${opsPort}/healthz`, 1000)).status === 200, 20_000, 'liveness');
      return { proc, opsPort };
    };

    it.each([
      ['redis', 'refusing'],
      ['nats', 'refusing'],
      ['redis', 'silent'],
    ])('answers /readyz 503 naming %s (%s port) while /healthz stays 200', async (dependency, kind) => {
      const port = kind === 'silent' ? silentPort : closedPort;
      const overrides: Record<string, string> =
        dependency === 'redis' ? { REDIS_URL: `redis://127.0.0.1:${port}` } : { NATS_URL: `nats://127.0.0.1:${port}` };
      const { proc, opsPort } = await start(overrides);
      try {
        // Give the other dependencies time to connect, so only the broken one is named.
        await waitFor(
          async () => {
            const r = await httpGet(`http://127.0.0.1:${opsPort}/readyz`, 3000);
            const failing = (r.body as { failing?: string[] }).failing ?? [];
            return r.status === 503 && failing.length === 1;
          },
          20_000,
          `only ${dependency} failing`,
          250,
        );
        const ready = await httpGet(`http://127.0.0.1:${opsPort}/readyz`, 3000);
        expect(ready.status).toBe(503);
        expect(ready.body).toMatchObject({ status: 'not_ready', failing: [dependency] });
        const live = await httpGet(`http://127.0.0.1:${opsPort}/healthz`);
        expect(live.status).toBe(200);
      } finally {
        expect(await proc.stop()).toBe(0);
      }
    });
  });
});
