import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Headers } from '@clarion/contracts';
import { createValidationPipe } from '@clarion/messaging';
import { RequestContext } from '@clarion/observability';
import type { ServiceRuntime } from '@clarion/platform';
import type { GatewayEnv } from '../gateway.env';
import { ProblemJsonFilter } from './problem-json.filter';

/**
 * HTTP hardening and plumbing for the public API: security headers, CORS allow-list, validation, problem+json
 * errors, correlation ids, request context for logs, and request metrics by route template.
 */
export async function configureHttp(app: NestFastifyApplication, runtime: ServiceRuntime<GatewayEnv>): Promise<void> {
  const { env, metrics, logger } = runtime;
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
      },
    },
    hsts: { maxAge: 31536000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
  });
  const origins = env.CORS_ORIGINS;
  app.enableCors({
    origin: origins.includes('*') ? true : origins,
    credentials: !origins.includes('*'),
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: [Headers.correlationId, 'retry-after', 'etag'],
    maxAge: 600,
  });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemJsonFilter(logger, metrics));

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(Headers.correlationId, request.id);
    (request as unknown as { startedAt: number }).startedAt = performance.now();
    // Everything this request does (handlers, NATS calls, logs) sees its correlation id.
    RequestContext.run({ correlationId: String(request.id) }, () => done());
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const started = (request as unknown as { startedAt?: number }).startedAt ?? performance.now();
    const seconds = (performance.now() - started) / 1000;
    const route = request.routeOptions?.url ?? 'unmatched';
    metrics.httpRequestDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, seconds);
    // The access log: one line per request, with trace_id from the active span (never the query string).
    if (route !== '/healthz' && route !== '/readyz') {
      logger.info(
        { method: request.method, route, status: reply.statusCode, durationMs: Math.round(seconds * 1000), correlationId: String(request.id) },
        'request completed',
      );
    }
    done();
  });
}
