import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { ServiceMetrics } from './metrics';
import type { Readiness } from './readiness';

/**
 * The internal operations port: /metrics (Prometheus), /healthz (liveness: the event loop answers) and /readyz
 * (every dependency answers). Plain node:http so it starts before Nest and keeps answering while Nest boots or
 * while a dependency is down. It must not be exposed publicly.
 */
export class OpsServer {
  private server?: Server;
  private shuttingDown = false;

  constructor(
    private readonly deps: { service: string; metrics: ServiceMetrics; readiness: Readiness; logger: Logger },
  ) {}

  /** After SIGTERM, /readyz answers 503 so load balancers stop sending work while in-flight work drains. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  listen(port: number, host: string): Promise<number> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const send = (status: number, body: string, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, JSON.stringify({ error: 'method not allowed' }));
      if (path === '/healthz') return send(200, JSON.stringify({ status: 'ok', service: this.deps.service }));
      if (path === '/readyz') {
        void this.deps.readiness.report().then((report) => {
          const ready = report.status === 'ready' && !this.shuttingDown;
          const failing = report.checks.filter((c) => c.status === 'down').map((c) => c.name);
          send(
            ready ? 200 : 503,
            JSON.stringify({
              status: ready ? 'ready' : 'not_ready',
              service: this.deps.service,
              ...(failing.length ? { failing } : {}),
              ...(this.shuttingDown ? { shuttingDown: true } : {}),
              checks: report.checks,
            }),
          );
        });
        return;
      }
      if (path === '/metrics') {
        void this.deps.metrics.registry.metrics().then(
          (text) => send(200, text, this.deps.metrics.registry.contentType),
          (err: unknown) => {
            this.deps.logger.error({ err }, 'metrics collection failed');
            send(500, JSON.stringify({ error: 'metrics collection failed' }));
          },
        );
        return;
      }
      send(404, JSON.stringify({ error: 'not found' }));
    });
    const server = this.server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
