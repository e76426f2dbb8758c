import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ErrorCode, Headers } from '@clarion/contracts';
import { createValidationPipe } from '@clarion/messaging';
import { RequestContext } from '@clarion/observability';
import type { ServiceRuntime } from '@clarion/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CredentialVerifierService } from '../auth/credential-verifier.service';
import { registerHotReadFastLane } from '../cache/hot-read-fast-lane';
import { HotReadService } from '../cache/hot-read.service';
import { OpenApiDocumentHolder } from '../docs/docs.controller';
import { buildOpenApiDocument } from '../docs/openapi';
import { GATEWAY_CONTROLLERS } from '../gateway.module';
import type { GatewayEnv } from '../gateway.env';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import type { AuthenticatedRequest } from './access.guard';
import { problemFor, type ProblemDocument } from './problem';
import { ProblemJsonFilter, sendProblem } from './problem-json.filter';
import { containsNul } from './nul-guard';
import { routeTable } from './route-table';
import { securityHeaders } from './security-headers';

/** Routes that take a secret or start a sign-in: a stricter per-address bucket against password guessing. */
const SIGN_IN_ROUTES = new Set(['POST /api/v1/auth/login', 'GET /api/v1/auth/sso/start', 'GET /api/v1/auth/sso/callback']);
/** Load balancer probes are never limited. */
const UNLIMITED_ROUTES = new Set(['/healthz', '/readyz']);

/**
 * HTTP hardening and plumbing for the public API: security headers, CORS allow-list, validation, problem+json
 * errors, correlation ids, request context for logs, and request metrics by route template.
 */
export async function configureHttp(app: NestFastifyApplication, runtime: ServiceRuntime<GatewayEnv>): Promise<void> {
  const { env, metrics, logger } = runtime;
  // Security headers on every response (errors and 404 included), computed once from the policy.
  const headers = securityHeaders();
  app.getHttpAdapter().getInstance().addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
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
  const rateLimits = app.get(RateLimitService);
  const refuse = (request: FastifyRequest, reply: FastifyReply, retryAfterSeconds: number): FastifyReply => {
    const instance = (request.url ?? '').split('?')[0] ?? '';
    const problem: ProblemDocument = problemFor(ErrorCode.RateLimited, `too many requests; retry after ${retryAfterSeconds} s`, instance, String(request.id));
    metrics.httpErrors.inc({ route: request.routeOptions?.url ?? 'unmatched', status_code: '429', code: problem.code });
    return sendProblem(reply.header('retry-after', String(retryAfterSeconds)), problem);
  };
  const routes = routeTable(GATEWAY_CONTROLLERS);
  // Callers already verified here: both rate limits (and a hot read's cache lookup) in one Redis round trip.
  registerHotReadFastLane(fastify, { routes, credentials: app.get(CredentialVerifierService), hot: app.get(HotReadService), rateLimits, refuse });
  // Per-address limits before anything else runs (credential checks included), shared by all instances via Redis.
  fastify.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions?.url;
    if ((route && UNLIMITED_ROUTES.has(route)) || (request as AuthenticatedRequest).rateLimitsCounted) return;
    const buckets = SIGN_IN_ROUTES.has(`${request.method} ${route}`) ? (['ip', 'login'] as const) : (['ip'] as const);
    for (const bucket of buckets) {
      const decision = await rateLimits.hit(bucket, request.ip);
      if (decision && !decision.allowed) return refuse(request, reply, decision.retryAfterSeconds);
    }
    return undefined;
  });
  fastify.addHook('preValidation', async (request, reply) => {
    if (containsNul(request.query) || containsNul(request.params) || containsNul(request.body)) {
      const problem = problemFor(ErrorCode.ValidationFailed, 'the request contains a NUL character', (request.url ?? '').split('?')[0] ?? '', String(request.id));
      return sendProblem(reply, problem);
    }
    return undefined;
  });

  app.get(OpenApiDocumentHolder).document = buildOpenApiDocument(app, routes, runtime.version);

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
