import type { ActorDto } from '@clarion/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import type { CredentialVerifierService } from '../auth/credential-verifier.service';
import type { AuthenticatedRequest } from '../http/access.guard';
import type { RouteEntry } from '../http/route-table';
import type { RateLimitService } from '../rate-limit/rate-limit.service';
import type { AdmissionDecision } from '../rate-limit/rate-limiter';
import type { HotReadAdmission } from './hot-read-cache';
import { registerHotReadFastLane } from './hot-read-fast-lane';
import type { HotReadService } from './hot-read.service';

/**
 * The fast lane's decisions on a real Fastify instance. Its collaborators are in-process stand-ins here: the Redis
 * script is covered by hot-read-cache.integration-spec, the whole path by the hot-reads and api-v1 e2e suites.
 */
const TENANT = '11111111-1111-4111-8111-111111111111';
const reader: ActorDto = { kind: 'user', tenantId: TENANT, id: 'u1', permissions: ['clusters:read'] };
const route = (path: string, hotRead: boolean, permissions: string[] | undefined = ['clusters:read']): RouteEntry => ({
  controller: class {},
  handlerName: 'h',
  method: 'GET',
  path,
  isPublic: false,
  permissions,
  documented: true,
  hotRead,
});

interface Setup {
  app: FastifyInstance;
  handled: string[];
  admitted: Array<{ tenantId: string; resource: string }>;
  refusedBuckets: string[];
  seenAdmissions: Array<AuthenticatedRequest['hotReadAdmission']>;
  /** Rate-limit admissions of other routes: address and principal. */
  limitsAdmitted: Array<[string, string]>;
  seenCounted: Array<boolean | undefined>;
  seenActors: Array<ActorDto | undefined>;
  seenCacheMissed: Array<boolean | undefined>;
  /** The client info the credential lookups were given (remembered token, then cached API key). */
  clients: unknown[];
}

async function setup(options: {
  actor?: ActorDto;
  apiKeyActor?: ActorDto;
  apiKeyCacheMissed?: true;
  admission?: HotReadAdmission | null;
  limits?: AdmissionDecision | null;
}): Promise<Setup> {
  const app = Fastify();
  const handled: string[] = [];
  const admitted: Setup['admitted'] = [];
  const refusedBuckets: string[] = [];
  const seenAdmissions: Setup['seenAdmissions'] = [];
  const limitsAdmitted: Setup['limitsAdmitted'] = [];
  const seenCounted: Setup['seenCounted'] = [];
  const seenActors: Setup['seenActors'] = [];
  const seenCacheMissed: Setup['seenCacheMissed'] = [];
  const clients: unknown[] = [];
  registerHotReadFastLane(app, {
    routes: [
      route('/api/v1/clusters', true),
      route('/api/v1/policy/matrix', true, ['policy:read']),
      route('/api/v1/users', false, ['users:read']),
      route('/api/v1/public', false, undefined),
    ],
    credentials: {
      rememberedActor: (_headers: unknown, client: unknown) => {
        clients.push(client);
        return options.actor;
      },
      cachedApiKeyActor: async (_headers: unknown, client: unknown) => {
        clients.push(client);
        return { actor: options.apiKeyActor, cacheMissed: options.apiKeyCacheMissed };
      },
    } as unknown as CredentialVerifierService,
    hot: {
      admit: async (tenantId: string, resource: string) => {
        admitted.push({ tenantId, resource });
        return options.admission === undefined ? { lookup: { key: 'k', resource: 'r' } } : options.admission;
      },
    } as unknown as HotReadService,
    rateLimits: {
      admissionLimits: () => undefined,
      countRefused: (bucket: string) => refusedBuckets.push(bucket),
      admit: async (address: string, principal: string) => {
        limitsAdmitted.push([address, principal]);
        return options.limits === undefined ? {} : options.limits;
      },
    } as unknown as RateLimitService,
    refuse: (_request, reply, retryAfterSeconds) => reply.status(429).header('retry-after', String(retryAfterSeconds)).send({ code: 'RATE_LIMITED' }),
  });
  for (const path of ['/api/v1/clusters', '/api/v1/policy/matrix', '/api/v1/users', '/api/v1/public']) {
    app.get(path, async (request) => {
      handled.push(path);
      seenAdmissions.push((request as AuthenticatedRequest).hotReadAdmission);
      seenCounted.push((request as AuthenticatedRequest).rateLimitsCounted);
      seenActors.push((request as AuthenticatedRequest).knownActor);
      seenCacheMissed.push((request as AuthenticatedRequest).apiKeyCacheMissed);
      return { from: 'handler' };
    });
  }
  await app.ready();
  return { app, handled, admitted, refusedBuckets, seenAdmissions, limitsAdmitted, seenCounted, seenActors, seenCacheMissed, clients };
}

const hit = (body: string): HotReadAdmission => ({ lookup: { key: 'k', resource: 'r', hit: { etag: 'W/"abc"', body } } });

describe('fast lane (verified callers: one admission; hot reads: with the lookup)', () => {
  it('answers a hit for a remembered caller with the route permission, as stored, without the handler', async () => {
    const s = await setup({ actor: reader, admission: hit('{"items":[]}') });
    const res = await s.app.inject({ method: 'GET', url: '/api/v1/clusters?limit=5' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('{"items":[]}');
    expect(res.headers['etag']).toBe('W/"abc"');
    expect(res.headers['x-cache']).toBe('hit');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(s.handled).toEqual([]);
    expect(s.admitted).toEqual([{ tenantId: TENANT, resource: '/api/v1/clusters|{}|/api/v1/clusters?[["limit","5"]]' }]);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const s = await setup({ actor: reader, admission: hit('{"items":[]}') });
    const res = await s.app.inject({ method: 'GET', url: '/api/v1/clusters', headers: { 'if-none-match': 'W/"abc"' } });
    expect(res.statusCode).toBe(304);
    expect(res.body).toBe('');
  });

  it('leaves callers without the route permission to the full path (which refuses them), without touching the cache', async () => {
    const s = await setup({ actor: reader, admission: hit('{"secret":true}') });
    const res = await s.app.inject({ method: 'GET', url: '/api/v1/policy/matrix' });
    expect(res.json()).toEqual({ from: 'handler' });
    expect(s.admitted).toEqual([]);
    expect(s.seenAdmissions).toEqual([undefined]);
    expect(s.limitsAdmitted).toEqual([]);
    expect(s.seenCounted).toEqual([undefined]);
  });

  it('admits an API key whose verification is cached like a remembered token: hits answered, the caller handed on', async () => {
    const key: ActorDto = { kind: 'api_key', tenantId: TENANT, id: 'k1', permissions: ['clusters:read', 'users:read'] };
    const hitting = await setup({ apiKeyActor: key, admission: hit('{"items":["k"]}') });
    const res = await hitting.app.inject({ method: 'GET', url: '/api/v1/clusters', headers: { 'x-api-key': 'clr_x' } });
    expect(res.body).toBe('{"items":["k"]}');
    expect(hitting.handled).toEqual([]);
    expect(hitting.admitted).toEqual([{ tenantId: TENANT, resource: expect.any(String) }]);
    const other = await setup({ apiKeyActor: key });
    await other.app.inject({ method: 'GET', url: '/api/v1/users', headers: { 'x-api-key': 'clr_x', 'user-agent': 'robot/1' } });
    expect(other.limitsAdmitted).toEqual([['127.0.0.1', `${TENANT}:api_key:k1`]]);
    expect(other.seenActors).toEqual([key]);
    // Asked with the request's client, as the guard would (address, user agent).
    expect(other.clients).toEqual([{ sourceIp: '127.0.0.1', userAgent: 'robot/1' }, { sourceIp: '127.0.0.1', userAgent: 'robot/1' }]);
  });

  it('hands the caller it identified to the guard, admitted or not (the guard refuses a missing permission)', async () => {
    const admittedCaller = await setup({ actor: reader });
    await admittedCaller.app.inject({ method: 'GET', url: '/api/v1/clusters' });
    expect(admittedCaller.seenActors).toEqual([reader]);
    expect(admittedCaller.seenCounted).toEqual([true]);
    const lacksPermission = await setup({ actor: reader });
    await lacksPermission.app.inject({ method: 'GET', url: '/api/v1/policy/matrix' });
    expect(lacksPermission.seenActors).toEqual([reader]);
    expect(lacksPermission.seenCounted).toEqual([undefined]);
  });

  it('tells the guard that an API key is not in the shared cache, so the cache is read once per request', async () => {
    const s = await setup({ apiKeyCacheMissed: true });
    await s.app.inject({ method: 'GET', url: '/api/v1/users', headers: { 'x-api-key': 'clr_x' } });
    expect(s.seenActors).toEqual([undefined]);
    expect(s.seenCacheMissed).toEqual([true]);
    expect(s.limitsAdmitted).toEqual([]);
    const unknown = await setup({});
    await unknown.app.inject({ method: 'GET', url: '/api/v1/users' });
    expect(unknown.seenCacheMissed).toEqual([undefined]);
  });

  it('leaves callers it has not verified (API keys, new tokens) to the full path', async () => {
    const s = await setup({ admission: hit('{"items":[]}') });
    await s.app.inject({ method: 'GET', url: '/api/v1/clusters' });
    expect(s.handled).toEqual(['/api/v1/clusters']);
    expect(s.admitted).toEqual([]);
  });

  it('counts both rate limits of a verified caller on any other route in one call, and marks the request counted', async () => {
    const s = await setup({ actor: { ...reader, permissions: ['clusters:read', 'users:read'] } });
    const res = await s.app.inject({ method: 'GET', url: '/api/v1/users', remoteAddress: '192.0.2.7' });
    expect(res.json()).toEqual({ from: 'handler' });
    expect(s.admitted).toEqual([]);
    expect(s.limitsAdmitted).toEqual([['192.0.2.7', `${TENANT}:user:u1`]]);
    expect(s.seenCounted).toEqual([true]);
    expect(s.seenAdmissions).toEqual([undefined]);
  });

  it('refuses any route with 429 when the admission refuses, before the handler', async () => {
    const s = await setup({ actor: { ...reader, permissions: ['users:read'] }, limits: { refused: { bucket: 'ip', waitMs: 400 } } });
    const res = await s.app.inject({ method: 'GET', url: '/api/v1/users' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('1');
    expect(s.handled).toEqual([]);
  });

  it('leaves public routes, and other routes when Redis does not answer, to the usual counting', async () => {
    const s = await setup({ actor: { ...reader, permissions: ['users:read'] }, limits: null });
    await s.app.inject({ method: 'GET', url: '/api/v1/public' });
    expect(s.limitsAdmitted).toEqual([]);
    await s.app.inject({ method: 'GET', url: '/api/v1/users' });
    expect(s.limitsAdmitted).toHaveLength(1);
    expect(s.seenCounted).toEqual([undefined, undefined]);
  });

  it('hands a miss to the full path with the counted admission and its lookup', async () => {
    const s = await setup({ actor: reader, admission: { lookup: { key: 'gen-key', resource: 'r' } } });
    const res = await s.app.inject({ method: 'GET', url: '/api/v1/clusters' });
    expect(res.json()).toEqual({ from: 'handler' });
    expect(s.seenAdmissions).toEqual([{ lookup: { key: 'gen-key', resource: 'r' } }]);
    expect(s.seenCounted).toEqual([true]);
  });

  it('refuses with 429 and Retry-After when a rate limit is full, and counts it', async () => {
    const s = await setup({ actor: reader, admission: { refused: { bucket: 'principal', waitMs: 2_500 } } });
    const res = await s.app.inject({ method: 'GET', url: '/api/v1/clusters' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('3');
    expect(s.refusedBuckets).toEqual(['principal']);
    expect(s.handled).toEqual([]);
  });

  it('takes the full path, uncounted, when Redis does not answer', async () => {
    const s = await setup({ actor: reader, admission: null });
    await s.app.inject({ method: 'GET', url: '/api/v1/clusters' });
    expect(s.handled).toEqual(['/api/v1/clusters']);
    expect(s.seenAdmissions).toEqual([undefined]);
  });
});
