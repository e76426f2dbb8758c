import { PERMISSIONS, ROLE_PERMISSIONS, type Permission } from '@clarion/contracts';
import { randomBytes, randomUUID } from 'node:crypto';
import { GATEWAY_CONTROLLERS } from '../src/gateway.module';
import { routeTable, type RouteEntry } from '../src/http/route-table';
import { apiKeyHeader, bearer, call, createAdminWithCli, login, RELAXED_LIMITS, randomClientAddress, speakFrom, startStack, type Answer, type GatewayStack } from './support/gateway-stack';
import { signInAtProvider, TestOidcProvider } from './support/oidc-provider';

/**
 * The API v1 routes end to end (gateway + auth processes, PostgreSQL, NATS, Redis, a real OpenID Provider):
 * an RBAC matrix generated from the gateway's route table, tenant isolation, the audit trail of state-changing calls,
 * feature flags and the SSO browser sign-in.
 */

const ROUTES = routeTable(GATEWAY_CONTROLLERS);
const ACTORS = ['anonymous', 'viewer', 'analyst', 'admin', 'otherTenantAdmin', 'apiKeyWithScope', 'apiKeyWithoutScope'] as const;
type Actor = (typeof ACTORS)[number];
type UserActor = 'viewer' | 'analyst' | 'admin' | 'otherTenantAdmin';
const ADMIN_PERMISSIONS = ROLE_PERMISSIONS.admin;

const strongPassword = () => `e2e-${randomBytes(9).toString('base64url')}-Harbor-57`;
const REDIRECT_URI = 'http://127.0.0.1:4200/auth/sso/callback';
const CLIENT_SECRET = randomBytes(24).toString('base64url');

interface World {
  base: string;
  issuer: string;
  tenant: { a: string; b: string };
  tenantId: { a: string; b: string };
  /** Email domains: every user of tenant A has one, every user of B the other, so either showing up elsewhere is a leak. */
  domain: { a: string; b: string };
  email: Record<UserActor, string>;
  password: Map<string, string>;
  token: Record<UserActor, string>;
  targetUserId: string;
  adminKey: string;
}

interface Sample {
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Status of a permitted call (default 200). */
  status?: number;
  /** A route for users only: an API key holding the permissions still gets 403 from the service. */
  userOnly?: boolean;
  /** The path names a tenant-A resource: another tenant's admin gets 404. */
  tenantScoped?: boolean;
  /** The user actor calls with a separate, fresh login (the call ends sessions or changes the password). */
  fresh?: boolean;
  after?: (answer: Answer) => void;
}

const ssoSettings = (w: World) => ({
  issuer: w.issuer,
  clientId: 'clarion-web',
  clientSecret: CLIENT_SECRET,
  redirectUris: [REDIRECT_URI],
  scopes: ['openid', 'email', 'profile', 'groups'],
  groupRoleMap: { netops: 'analyst' },
  enabled: true,
});

/** One sample request per route, keyed `METHOD path`. A new route without a sample fails the matrix. */
const SAMPLES: Record<string, (w: World, actor: Actor) => Sample | Promise<Sample>> = {
  'GET /healthz': () => ({ path: '/healthz' }),
  'GET /readyz': () => ({ path: '/readyz' }),
  'GET /api/v1/system/status': () => ({ path: '/api/v1/system/status' }),
  'GET /.well-known/jwks.json': () => ({ path: '/.well-known/jwks.json' }),
  'GET /api/docs': () => ({ path: '/api/docs' }),
  'GET /api/docs/openapi.json': () => ({ path: '/api/docs/openapi.json' }),
  'GET /api/docs/assets/:file': () => ({ path: '/api/docs/assets/init.js' }),
  'POST /api/v1/auth/login': (w) => ({ path: '/api/v1/auth/login', body: { tenant: w.tenant.a, email: w.email.admin, password: w.password.get(w.email.admin) } }),
  'POST /api/v1/auth/refresh': async (w) => ({
    path: '/api/v1/auth/refresh',
    body: { refreshToken: (await login(w.base, w.tenant.a, w.email.admin, w.password.get(w.email.admin)!)).refreshToken },
  }),
  'POST /api/v1/auth/logout': async (w) => ({
    path: '/api/v1/auth/logout',
    body: { refreshToken: (await login(w.base, w.tenant.a, w.email.admin, w.password.get(w.email.admin)!)).refreshToken },
  }),
  'GET /api/v1/auth/me': () => ({ path: '/api/v1/auth/me', userOnly: true }),
  'GET /api/v1/auth/sessions': () => ({ path: '/api/v1/auth/sessions', userOnly: true }),
  // A made-up session id: 404 for a user (acceptable for a made-up path parameter), 403 for an API key.
  'DELETE /api/v1/auth/sessions/:sessionId': () => ({ path: `/api/v1/auth/sessions/${randomUUID()}`, userOnly: true, status: 404 }),
  'DELETE /api/v1/auth/sessions': () => ({ path: '/api/v1/auth/sessions', userOnly: true, fresh: true }),
  'POST /api/v1/auth/password': (w, actor) => {
    const email = (w.email as Record<string, string | undefined>)[actor];
    const next = strongPassword();
    return {
      path: '/api/v1/auth/password',
      body: { currentPassword: (email && w.password.get(email)) ?? 'not-a-user-password', newPassword: next },
      userOnly: true,
      fresh: true,
      after: (answer) => {
        if (answer.status === 200 && email) w.password.set(email, next);
      },
    };
  },
  'PUT /api/v1/auth/sso': (w) => ({ path: '/api/v1/auth/sso', body: ssoSettings(w) }),
  'GET /api/v1/auth/sso': () => ({ path: '/api/v1/auth/sso' }),
  'GET /api/v1/auth/sso/start': (w) => ({ path: '/api/v1/auth/sso/start', query: { tenant: w.tenant.a }, status: 302 }),
  // Not started in this browser (no state cookie): refused for everyone, before the auth service is asked.
  'GET /api/v1/auth/sso/callback': () => ({ path: '/api/v1/auth/sso/callback', query: { state: randomBytes(32).toString('base64url'), code: 'c' }, status: 401 }),
  'POST /api/v1/users': (w, actor) => ({
    path: '/api/v1/users',
    body: { email: `u-${randomUUID().slice(0, 8)}@${actor === 'otherTenantAdmin' ? w.domain.b : w.domain.a}`, displayName: 'Matrix User', roles: [], password: strongPassword() },
    status: 201,
  }),
  'GET /api/v1/users': () => ({ path: '/api/v1/users' }),
  'PATCH /api/v1/users/:id': (w) => ({ path: `/api/v1/users/${w.targetUserId}`, body: { status: 'active' }, tenantScoped: true }),
  'POST /api/v1/users/:id/password-reset': (w) => ({
    path: `/api/v1/users/${w.targetUserId}/password-reset`,
    body: { temporaryPassword: strongPassword() },
    tenantScoped: true,
  }),
  'POST /api/v1/api-keys': (w, actor) => ({
    path: '/api/v1/api-keys',
    body: { name: `matrix ${actor === 'otherTenantAdmin' ? w.domain.b : w.domain.a}`, scopes: ['apikeys:manage'] },
    status: 201,
  }),
  'GET /api/v1/api-keys': () => ({ path: '/api/v1/api-keys' }),
  'DELETE /api/v1/api-keys/:id': async (w) => {
    const created = await call(w.base, '/api/v1/api-keys', { method: 'POST', headers: apiKeyHeader(w.adminKey), body: { name: `doomed ${w.domain.a}`, scopes: ['flows:read'] } });
    return { path: `/api/v1/api-keys/${(created.json as { id: string }).id}`, tenantScoped: true };
  },
  'GET /api/v1/audit': () => ({ path: '/api/v1/audit', query: { limit: '20' } }),
  'GET /api/v1/flags': () => ({ path: '/api/v1/flags' }),
  'PUT /api/v1/flags/:key': () => ({ path: '/api/v1/flags/streaming-export', body: { enabled: true } }),
};

describe('API v1 over HTTP (gateway + auth processes)', () => {
  const provider = new TestOidcProvider({
    client: { client_id: 'clarion-web', client_secret: CLIENT_SECRET, redirect_uris: [REDIRECT_URI] },
    accounts: { alice: { email: 'alice@idp.example', name: 'Alice', groups: ['netops'] } },
  });
  let stack: GatewayStack;
  const run = randomUUID().slice(0, 8);
  const w: World = {
    base: '',
    issuer: '',
    tenant: { a: `rbac-a-${run}`, b: `rbac-b-${run}` },
    tenantId: { a: '', b: '' },
    domain: { a: `a-${run}.e2e.example`, b: `b-${run}.e2e.example` },
    email: { viewer: '', analyst: '', admin: '', otherTenantAdmin: '' },
    password: new Map(),
    token: { viewer: '', analyst: '', admin: '', otherTenantAdmin: '' },
    targetUserId: '',
    adminKey: '',
  };
  /** API keys of tenant A by their sorted scopes. */
  const keys = new Map<string, string>();

  const asAdmin = (path: string, method = 'GET', body?: unknown) => call(w.base, path, { method, body, headers: bearer(w.token.admin) });

  async function keyWith(scopes: readonly Permission[]): Promise<string> {
    const id = [...scopes].sort().join(',');
    if (!keys.has(id)) {
      const res = await call(w.base, '/api/v1/api-keys', { method: 'POST', headers: bearer(w.token.admin), body: { name: `matrix key ${w.domain.a}`, scopes } });
      if (res.status !== 201) throw new Error(`could not create a key with ${id}: ${res.text}`);
      keys.set(id, (res.json as { key: string }).key);
    }
    return keys.get(id)!;
  }

  beforeAll(async () => {
    speakFrom(randomClientAddress());
    const issuer = (await provider.start()).issuer;
    w.issuer = issuer;
    w.email.admin = `root@${w.domain.a}`;
    w.email.otherTenantAdmin = `root@${w.domain.b}`;
    for (const actor of ['admin', 'otherTenantAdmin'] as const) w.password.set(w.email[actor], strongPassword());
    createAdminWithCli(w.tenant.a, w.email.admin, w.password.get(w.email.admin)!);
    createAdminWithCli(w.tenant.b, w.email.otherTenantAdmin, w.password.get(w.email.otherTenantAdmin)!);
    // The matrix signs in far more often than a person would: the auth service's own per-address throttle is raised too.
    stack = await startStack({ gatewayEnv: { ...RELAXED_LIMITS, HTTP_TRUST_PROXY: 'true' }, authEnv: { LOGIN_IP_LIMIT_PER_MIN: '100000' } });
    w.base = stack.bases[0]!;
    w.token.admin = (await login(w.base, w.tenant.a, w.email.admin, w.password.get(w.email.admin)!)).accessToken;
    w.token.otherTenantAdmin = (await login(w.base, w.tenant.b, w.email.otherTenantAdmin, w.password.get(w.email.otherTenantAdmin)!)).accessToken;
    for (const role of ['viewer', 'analyst'] as const) {
      w.email[role] = `${role}@${w.domain.a}`;
      w.password.set(w.email[role], strongPassword());
      const created = await asAdmin('/api/v1/users', 'POST', { email: w.email[role], displayName: role, roles: [role], password: w.password.get(w.email[role]) });
      expect(created.status).toBe(201);
      w.token[role] = (await login(w.base, w.tenant.a, w.email[role], w.password.get(w.email[role])!)).accessToken;
    }
    const target = await asAdmin('/api/v1/users', 'POST', { email: `target@${w.domain.a}`, displayName: 'Target', roles: ['viewer'], password: strongPassword() });
    w.targetUserId = (target.json as { id: string }).id;
    w.tenantId.a = (target.json as { tenantId: string }).tenantId;
    w.tenantId.b = ((await call(w.base, '/api/v1/auth/me', { headers: bearer(w.token.otherTenantAdmin) })).json as { tenantId: string }).tenantId;
    w.adminKey = await keyWith(ADMIN_PERMISSIONS);
    // Both tenants have SSO set up; tenant A's sso flag is on so a sign-in can start.
    for (const token of [w.token.admin, w.token.otherTenantAdmin]) {
      expect((await call(w.base, '/api/v1/auth/sso', { method: 'PUT', headers: bearer(token), body: ssoSettings(w) })).status).toBe(200);
    }
    expect((await asAdmin('/api/v1/flags/sso', 'PUT', { enabled: true })).status).toBe(200);
  });

  afterAll(async () => {
    await stack?.stop();
    await provider.stop();
  });

  function permissionsOf(actor: Actor, route: RouteEntry, keyScopes: readonly Permission[]): readonly string[] {
    if (actor === 'viewer' || actor === 'analyst' || actor === 'admin') return ROLE_PERMISSIONS[actor];
    if (actor === 'otherTenantAdmin') return ADMIN_PERMISSIONS;
    return actor === 'anonymous' ? [] : keyScopes;
  }

  /** Scopes of the two API keys a route is tried with: exactly its permissions, and everything an admin has but those. */
  function keyScopes(actor: Actor, route: RouteEntry): readonly Permission[] {
    const required = (route.permissions ?? []) as Permission[];
    if (actor === 'apiKeyWithScope') return required.length > 0 ? required : ['flows:read'];
    return required.length > 0 ? ADMIN_PERMISSIONS.filter((p) => !required.includes(p)) : ['flows:read'];
  }

  function expectedStatus(route: RouteEntry, sample: Sample, actor: Actor, scopes: readonly Permission[]): number {
    if (route.isPublic) return sample.status ?? 200;
    if (actor === 'anonymous') return 401;
    const held = permissionsOf(actor, route, scopes);
    if (!(route.permissions ?? []).every((p) => held.includes(p))) return 403;
    if (actor.startsWith('apiKey') && sample.userOnly) return 403;
    if (actor === 'otherTenantAdmin' && sample.tenantScoped) return 404;
    return sample.status ?? 200;
  }

  async function credentialOf(actor: Actor, route: RouteEntry, sample: Sample, scopes: readonly Permission[]): Promise<Record<string, string>> {
    if (actor === 'anonymous') return {};
    if (actor === 'apiKeyWithScope' || actor === 'apiKeyWithoutScope') return apiKeyHeader(await keyWith(scopes));
    if (!sample.fresh) return bearer(w.token[actor]);
    const tenant = actor === 'otherTenantAdmin' ? w.tenant.b : w.tenant.a;
    return bearer((await login(w.base, tenant, w.email[actor], w.password.get(w.email[actor])!)).accessToken);
  }

  it('has a sample request for every route in the table, and the table has the API v1 routes', () => {
    const keysOfTable = ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(keysOfTable.filter((k) => !SAMPLES[k])).toEqual([]);
    expect(keysOfTable).toEqual(expect.arrayContaining(['POST /api/v1/users', 'DELETE /api/v1/api-keys/:id', 'GET /api/v1/audit', 'PUT /api/v1/flags/:key', 'GET /api/v1/auth/sso/callback']));
  });

  describe('RBAC matrix: every route x anonymous, viewer, analyst, admin, another tenant\'s admin, API keys with and without the scope', () => {
    it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', async (_name, route) => {
      const mismatches: string[] = [];
      for (const actor of ACTORS) {
        const sample = await SAMPLES[`${route.method} ${route.path}`]!(w, actor);
        const scopes = keyScopes(actor, route);
        const headers = await credentialOf(actor, route, sample, scopes);
        const answer = await call(w.base, sample.path, { method: route.method, body: sample.body, query: sample.query, headers });
        sample.after?.(answer);
        const expected = expectedStatus(route, sample, actor, scopes);
        if (answer.status !== expected) mismatches.push(`${actor}: expected ${expected}, got ${answer.status} ${answer.text.slice(0, 200)}`);
        if (answer.status >= 400 && !answer.headers.get('content-type')?.includes('application/problem+json')) mismatches.push(`${actor}: an error that is not problem+json`);
        // Another tenant's data never appears: tenant ids and email domains are markers no request of the other tenant carries.
        if (answer.status < 300 && actor !== 'anonymous') {
          const foreign = actor === 'otherTenantAdmin' ? [w.tenantId.a, w.domain.a] : [w.tenantId.b, w.domain.b];
          for (const marker of foreign) if (answer.text.includes(marker)) mismatches.push(`${actor}: the answer holds the other tenant's ${marker}`);
        }
      }
      expect(mismatches).toEqual([]);
    });
  });

  describe('tenant isolation', () => {
    it('lists only the caller\'s tenant: users, API keys, audit events and flags', async () => {
      const b = bearer(w.token.otherTenantAdmin);
      const users = (await call(w.base, '/api/v1/users', { headers: b })).json as { items: Array<{ tenantId: string; email: string }> };
      expect(users.items.length).toBeGreaterThan(0);
      expect(users.items.every((u) => u.tenantId === w.tenantId.b && u.email.endsWith(w.domain.b))).toBe(true);
      const audit = (await call(w.base, '/api/v1/audit', { headers: b, query: { limit: '500' } })).json as { items: unknown[] };
      expect(JSON.stringify(audit)).not.toContain(w.domain.a);
      const keysOfB = (await call(w.base, '/api/v1/api-keys', { headers: b })).json as { items: Array<{ name: string }> };
      expect(keysOfB.items.every((k) => !k.name.includes(w.domain.a))).toBe(true);
    });

    it('keeps a flag switched in one tenant out of the other', async () => {
      expect((await call(w.base, '/api/v1/flags/streaming-export', { method: 'PUT', headers: bearer(w.token.otherTenantAdmin), body: { enabled: false } })).status).toBe(200);
      expect((await asAdmin('/api/v1/flags/streaming-export', 'PUT', { enabled: true })).status).toBe(200);
      const flagOf = async (token: string) =>
        ((await call(w.base, '/api/v1/flags', { headers: bearer(token) })).json as { items: Array<{ key: string; enabled: boolean }> }).items.find((f) => f.key === 'streaming-export')?.enabled;
      expect(await flagOf(w.token.admin)).toBe(true);
      expect(await flagOf(w.token.otherTenantAdmin)).toBe(false);
    });

    it('refuses to act on another tenant\'s user even with its id (404, nothing changed)', async () => {
      const res = await call(w.base, `/api/v1/users/${w.targetUserId}`, { method: 'PATCH', headers: bearer(w.token.otherTenantAdmin), body: { status: 'disabled' } });
      expect(res.status).toBe(404);
      const users = (await asAdmin('/api/v1/users')).json as { items: Array<{ id: string; status: string }> };
      expect(users.items.find((u) => u.id === w.targetUserId)?.status).toBe('active');
    });
  });

  describe('audit of state-changing calls', () => {
    const eventsOf = async (action: string) =>
      ((await asAdmin(`/api/v1/audit?action=${encodeURIComponent(action)}&limit=500`)).json as {
        items: Array<{ actorId: string; actorType: string; target: string | null; outcome: string; details: Record<string, unknown> }>;
      }).items;

    it('records a success with the actor, the action and the created resource as target', async () => {
      const created = await call(w.base, '/api/v1/api-keys', { method: 'POST', headers: bearer(w.token.admin), body: { name: `audited ${w.domain.a}`, scopes: ['flags:read'] } });
      expect(created.status).toBe(201);
      const id = (created.json as { id: string }).id;
      const events = await eventsOf('http.post.api.v1.api-keys');
      expect(events).toContainEqual(expect.objectContaining({ actorType: 'user', target: id, outcome: 'success', details: { via: 'http' } }));
    });

    it('records a denial when the credential lacks the permission, and a failure when the service refuses', async () => {
      const denied = await call(w.base, '/api/v1/users', { method: 'POST', headers: bearer(w.token.viewer), body: { email: `x@${w.domain.a}`, displayName: 'x', roles: [], password: strongPassword() } });
      expect(denied.status).toBe(403);
      expect(await eventsOf('http.post.api.v1.users')).toContainEqual(expect.objectContaining({ outcome: 'denied', actorType: 'user' }));

      const missing = randomUUID();
      const failed = await asAdmin(`/api/v1/api-keys/${missing}`, 'DELETE');
      expect(failed.status).toBe(404);
      expect(await eventsOf('http.delete.api.v1.api-keys.:id')).toContainEqual(expect.objectContaining({ outcome: 'failure', target: missing }));
    });

    it('does not record reads', async () => {
      await asAdmin('/api/v1/users');
      expect(await eventsOf('http.get.api.v1.users')).toEqual([]);
    });

    it('pages with one shape ({ items, nextCursor }) and ISO-8601 times', async () => {
      const first = (await asAdmin('/api/v1/audit?limit=2')).json as { items: Array<{ seq: number; occurredAt: string }>; nextCursor: string | null };
      expect(first.items).toHaveLength(2);
      expect(first.nextCursor).toEqual(expect.any(String));
      expect(first.items.every((e) => new Date(e.occurredAt).toISOString() === e.occurredAt)).toBe(true);
      const second = (await asAdmin(`/api/v1/audit?limit=2&cursor=${first.nextCursor}`)).json as { items: Array<{ seq: number }> };
      expect(second.items[0]!.seq).toBeLessThan(first.items[1]!.seq);
    });
  });

  describe('single sign-on through the gateway', () => {
    it('redirects to the IdP, binds the state to the browser with an HttpOnly cookie and signs in on the callback', async () => {
      const start = await call(w.base, '/api/v1/auth/sso/start', { query: { tenant: w.tenant.a } });
      expect(start.status).toBe(302);
      const location = start.headers.get('location')!;
      expect(location.startsWith(`${w.issuer}/`)).toBe(true);
      const cookie = start.headers.getSetCookie().find((c) => c.startsWith('clarion_sso_state='))!;
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      expect(cookie).toMatch(/Path=\/api\/v1\/auth\/sso/);
      const bound = /^clarion_sso_state=([^;]+)/.exec(cookie)![1]!;
      expect(new URL(location).searchParams.get('state')).toBe(bound);

      const params = await signInAtProvider(location, 'alice', REDIRECT_URI);
      const query = { code: params.get('code')!, state: params.get('state')!, iss: params.get('iss')! };
      // Another browser (no cookie, or the cookie of another sign-in) cannot complete it.
      expect((await call(w.base, '/api/v1/auth/sso/callback', { query })).status).toBe(401);
      const other = randomBytes(32).toString('base64url');
      expect((await call(w.base, '/api/v1/auth/sso/callback', { query, headers: { cookie: `clarion_sso_state=${other}` } })).status).toBe(401);

      const done = await call(w.base, '/api/v1/auth/sso/callback', { query, headers: { cookie: `clarion_sso_state=${bound}` } });
      expect(done.status).toBe(200);
      expect(done.headers.getSetCookie().some((c) => /^clarion_sso_state=;.*Max-Age=0/.test(c))).toBe(true);
      const me = await call(w.base, '/api/v1/auth/me', { headers: bearer((done.json as { accessToken: string }).accessToken) });
      expect(me.json).toMatchObject({ email: 'alice@idp.example', roles: ['analyst'], tenantId: w.tenantId.a });
    });
  });

  it('covers every permission a route declares with a key that holds it and one that does not', () => {
    const declared = new Set(ROUTES.flatMap((r) => r.permissions ?? []));
    expect([...declared].every((p) => (PERMISSIONS as readonly string[]).includes(p))).toBe(true);
  });
});
