import { RequestContext } from '@clarion/observability';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CredentialVerifierService } from '../auth/credential-verifier.service';
import type { AuthenticatedRequest } from '../http/access.guard';
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
 * Cache hits of hot reads answered ahead of Nest's pipeline. A hot read's answer depends only on the tenant, the route
 * and its parameters, and every cached entry was computed by the full pipeline for a caller of that tenant. So when
 * the caller presents a Bearer token this instance has verified within the last minute and holds the route's
 * permissions (the same route table the access guard enforces), one Redis script counts both rate limits (per
 * address, per principal) and looks the answer up; a hit is sent as stored. Everything else (API keys, tokens not yet
 * verified here, missing permissions, misses, Redis errors) takes the full path; after a miss the full path reuses
 * the counts and the lookup instead of repeating them.
 */
export function registerHotReadFastLane(fastify: FastifyInstance, deps: HotReadFastLaneDeps): void {
  const permissionsByRoute = new Map<string, readonly string[]>();
  for (const r of deps.routes) if (r.hotRead && r.method === 'GET' && r.permissions !== undefined) permissionsByRoute.set(r.path, r.permissions);
  fastify.addHook('onRequest', async (req, reply) => {
    const request = req as AuthenticatedRequest;
    if (request.method !== 'GET') return undefined;
    const route = request.routeOptions.url;
    const permissions = route === undefined ? undefined : permissionsByRoute.get(route);
    if (route === undefined || permissions === undefined) return undefined;
    const actor = deps.credentials.rememberedActor(request.headers, { sourceIp: request.ip });
    if (actor === undefined || !permissions.every((p) => (actor.permissions as string[]).includes(p))) return undefined;
    const resource = hotReadResource(route, request.params, request.query);
    const admission = await deps.hot.admit(actor.tenantId, resource, deps.rateLimits.admissionLimits(request.ip, principalSubject(actor)));
    if (admission === null) return undefined;
    if (admission.refused) {
      deps.rateLimits.countRefused(admission.refused.bucket);
      return deps.refuse(request, reply, retryAfterSecondsOf(admission.refused.waitMs));
    }
    request.hotReadAdmission = { lookup: admission.lookup };
    if (!admission.lookup.hit) return undefined;
    RequestContext.set('tenantId', actor.tenantId);
    return reply.send(prepareHotRead(reply, request.headers['if-none-match'], admission.lookup.hit, 'hit'));
  });
}
