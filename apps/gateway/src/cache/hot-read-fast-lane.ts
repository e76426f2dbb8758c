import { RequestContext } from '@clarion/observability';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CredentialVerifierService } from '../auth/credential-verifier.service';
import { clientOf, type AuthenticatedRequest } from '../http/access.guard';
import type { RouteEntry } from '../http/route-table';
import { principalSubject, RateLimitService } from '../rate-limit/rate-limit.service';
import { retryAfterSecondsOf } from '../rate-limit/rate-limiter';
import { hotReadResource, prepareHotRead } from './hot-read.interceptor';
import { HotReadService } from './hot-read.service';

export interface HotReadFastLaneDeps {
  routes: readonly RouteEntry[];
  credentials: CredentialVerifierService;
  hot: HotReadService;
  rateLimits: RateLimitService;
  /** Answers 429 as every other refusal does (problem+json, Retry-After, counted). */
  refuse: (request: AuthenticatedRequest, reply: FastifyReply, retryAfterSeconds: number) => FastifyReply;
}

/**
 * Callers already verified, admitted ahead of Nest's pipeline. When the caller presents a Bearer token verified here
 * within the last minute, or an API key whose verification is in the shared Redis cache (one read, as the guard's
 * first step), and holds the route's permissions (from the same route table the access guard enforces), one Redis
 * script counts both rate limits (per address, per principal: the same buckets the address
 * hook and the guard count one after the other); the request is then marked so that neither counts it again. On a
 * hot read (a GET whose answer depends only on the tenant, the route and its parameters, and every cached entry was
 * computed by the full pipeline for a caller of that tenant) the same script also looks the answer up, and a hit is
 * sent as stored; otherwise the request continues with the caller, the counts and the lookup to reuse. Everything
 * else (tokens not yet verified here, API keys not in the cache, missing permissions, public routes, Redis errors)
 * takes the usual path.
 */
export function registerHotReadFastLane(fastify: FastifyInstance, deps: HotReadFastLaneDeps): void {
  const byRoute = new Map<string, { permissions: readonly string[]; hotRead: boolean }>();
  for (const r of deps.routes) {
    if (r.permissions !== undefined) byRoute.set(`${r.method} ${r.path}`, { permissions: r.permissions, hotRead: r.hotRead === true && r.method === 'GET' });
  }
  fastify.addHook('onRequest', async (req, reply) => {
    const request = req as AuthenticatedRequest;
    const route = request.routeOptions.url;
    const entry = route === undefined ? undefined : byRoute.get(`${request.method} ${route}`);
    if (route === undefined || entry === undefined) return undefined;
    const client = clientOf(request);
    let actor = deps.credentials.rememberedActor(request.headers, client);
    if (actor === undefined) {
      const cached = await deps.credentials.cachedApiKeyActor(request.headers, client);
      request.apiKeyCacheMissed = cached.cacheMissed;
      actor = cached.actor;
    }
    if (actor === undefined) return undefined;
    // Identified: the guard reuses the caller instead of reading the cache again, and refuses what it may not do.
    request.knownActor = actor;
    if (!entry.permissions.every((p) => (actor.permissions as string[]).includes(p))) return undefined;
    if (!entry.hotRead) {
      const decision = await deps.rateLimits.admit(request.ip, principalSubject(actor));
      if (decision === null) return undefined;
      if (decision.refused) return deps.refuse(request, reply, retryAfterSecondsOf(decision.refused.waitMs));
      request.rateLimitsCounted = true;
      return undefined;
    }
    const resource = hotReadResource(route, request.params, request.query);
    const admission = await deps.hot.admit(actor.tenantId, resource, deps.rateLimits.admissionLimits(request.ip, principalSubject(actor)));
    if (admission === null) return undefined;
    if (admission.refused) {
      deps.rateLimits.countRefused(admission.refused.bucket);
      return deps.refuse(request, reply, retryAfterSecondsOf(admission.refused.waitMs));
    }
    request.rateLimitsCounted = true;
    request.hotReadAdmission = { lookup: admission.lookup };
    if (!admission.lookup.hit) return undefined;
    RequestContext.set('tenantId', actor.tenantId);
    return reply.send(prepareHotRead(reply, request.headers['if-none-match'], admission.lookup.hit, 'hit'));
  });
}
