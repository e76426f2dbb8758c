import { PERMISSIONS, ROLE_PERMISSIONS, type Permission } from '@clarion/contracts';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { GATEWAY_CONTROLLERS } from '../src/gateway.module';
import { routeTable, type RouteEntry } from '../src/http/route-table';
import { waitFor } from '@clarion/testing';
import { request as httpRequest } from 'node:http';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the netflow library's packet builders, test-only by design (libs/netflow/README.md)
import { buildV5Packet } from '../../../libs/netflow/src/testing/packet-builders';
import {
  apiKeyHeader,
  bearer,
  call,
  createAdminWithCli,
  login,
  RELAXED_LIMITS,
  randomClientAddress,
  sendToIngest,
  speakFrom,
  startStack,
  type Answer,
  type GatewayStack,
} from './support/gateway-stack';
import { signInAtProvider, TestOidcProvider } from './support/oidc-provider';

/**
 * The API v1 routes end to end (gateway, auth, ingest and clustering processes, PostgreSQL, a private NATS, Redis, a
 * real OpenID Provider): an RBAC matrix generated from the gateway's route table, tenant isolation, the audit trail of
 * state-changing calls, feature flags, the SSO browser sign-in, and flows sent over UDP read back through the API.
 */

const ROUTES = routeTable(GATEWAY_CONTROLLERS);
const ACTORS = ['anonymous', 'viewer', 'analyst', 'admin', 'superadmin', 'otherTenantAdmin', 'apiKeyWithScope', 'apiKeyWithoutScope'] as const;
type Actor = (typeof ACTORS)[number];
type UserActor = 'viewer' | 'analyst' | 'admin' | 'superadmin' | 'otherTenantAdmin';
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
  /** An SGT registered in tenant A. */
  sgtValue: number;
  /** The start of the time range holding the flows sent to tenant A. */
  flowsFrom: string;
  /** Tenant A's inventory: a site, an address space and a subnet (their names carry tenant A's marker). */
  siteId: string;
  addressSpaceId: string;
  subnetId: string;
  /** A tenant a superadmin created for the matrix (renamed by it). */
  matrixTenantId: string;
  /** An exporter address tenant A registered (not 127.0.0.1: a registration outlives the suite, and other suites send from there). */
  exporterAddress: string;
}

interface Sample {
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Status of a permitted call (default 200). */
  status?: number;
  /**
   * Statuses any of which a permitted call may get, where what the path names may legitimately be absent in a fresh
   * tenant (404): the point of the cell is the access decision, so never 401/403 and never 5xx.
   */
  statuses?: number[];
  /** The status a particular actor gets, overriding the rules (a tenant whose feature flag is off). */
  statusFor?: Partial<Record<Actor, number>>;
  /** A route for users only: an API key holding the permissions still gets 403 from the service. */
  userOnly?: boolean;
  /** The path names a tenant-A resource: another tenant's admin gets 404. */
  tenantScoped?: boolean;
  /**
   * The user actor calls with a separate, fresh login (the call ends sessions or changes the password); since an
   * ended session's tokens stop at once, the actor's matrix token is renewed after it.
   */
  fresh?: boolean;
  after?: (answer: Answer) => void;
  /** Platform-wide (tenants): a superadmin of tenant A rightly sees other tenants, so the foreign-marker check is off. */
  platformWide?: boolean;
}

const isUserActor = (actor: Actor): actor is UserActor => actor !== 'anonymous' && !actor.startsWith('apiKey');

/** An API key holding only users:manage acts on a viewer, who holds permissions the key does not: refused. */
const OUTRANKED_BY_TARGET: Sample['statusFor'] = { apiKeyWithScope: 403 };

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
  'GET /api/v1/system/services': () => ({ path: '/api/v1/system/services' }),
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
  'PATCH /api/v1/users/:id': (w) => ({ path: `/api/v1/users/${w.targetUserId}`, body: { status: 'active' }, tenantScoped: true, statusFor: OUTRANKED_BY_TARGET }),
  'POST /api/v1/users/:id/password-reset': (w) => ({
    path: `/api/v1/users/${w.targetUserId}/password-reset`,
    body: { temporaryPassword: strongPassword() },
    tenantScoped: true,
    statusFor: OUTRANKED_BY_TARGET,
  }),
  'POST /api/v1/users/:id/unlock': (w) => ({ path: `/api/v1/users/${w.targetUserId}/unlock`, tenantScoped: true, statusFor: OUTRANKED_BY_TARGET }),
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
  'GET /api/v1/exporters': () => ({ path: '/api/v1/exporters', query: { limit: '10' } }),
  // Tenant A's flows come from 127.0.0.1; tenant B has no such exporter.
  'GET /api/v1/exporters/:address': () => ({ path: '/api/v1/exporters/127.0.0.1', tenantScoped: true }),
  // Documentation addresses of 2001:db8::/32, new for every call: each actor's tenant may register its own.
  'POST /api/v1/exporters': () => ({ path: '/api/v1/exporters', body: { address: matrixExporterAddress(), name: 'matrix exporter' }, status: 201 }),
  'POST /api/v1/exporters/import': () => ({ path: '/api/v1/exporters/import', body: { format: 'csv', content: `address,name\r\n${matrixExporterAddress()},matrix import\r\n` } }),
  'GET /api/v1/exporters/export': () => ({ path: '/api/v1/exporters/export', query: { format: 'csv' } }),
  'PATCH /api/v1/exporters/:address': (w) => ({ path: `/api/v1/exporters/${encodeURIComponent(w.exporterAddress)}`, body: { name: 'edge (matrix)' }, tenantScoped: true }),
  'DELETE /api/v1/exporters/:address': async (w) => {
    const address = matrixExporterAddress();
    const created = await call(w.base, '/api/v1/exporters', { method: 'POST', headers: apiKeyHeader(w.adminKey), body: { address } });
    if (created.status !== 201) throw new Error(`could not register an exporter: ${created.status} ${created.text}`);
    return { path: `/api/v1/exporters/${encodeURIComponent(address)}`, tenantScoped: true };
  },
  ...inventorySamples('sites', (w) => w.siteId, () => ({ name: `Matrix Site ${randomBytes(6).toString('hex')}`, kind: 'campus' }), 'name,kind\r\nMatrix Imported Campus,campus\r\n'),
  ...inventorySamples(
    'address-spaces',
    (w) => w.addressSpaceId,
    () => ({ cidr: `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::/64`, name: 'Matrix space', kind: 'external' }),
    'cidr,name,kind\r\n198.51.100.0/24,Matrix imported space,external\r\n',
  ),
  'GET /api/v1/address-spaces/classify': () => ({ path: '/api/v1/address-spaces/classify', query: { address: '10.77.0.1' } }),
  ...inventorySamples('subnets', (w) => w.subnetId, () => ({ cidr: `10.${randomInt(100, 250)}.${randomInt(0, 256)}.0/24`, purpose: 'user' }), 'cidr,purpose\r\n10.250.250.0/24,server\r\n'),
  'GET /api/v1/tenants': () => ({ path: '/api/v1/tenants', query: { limit: '500' }, platformWide: true }),
  'POST /api/v1/tenants': () => ({ path: '/api/v1/tenants', body: { slug: `matrix-${randomBytes(6).toString('hex')}`, name: 'Matrix Tenant' }, status: 201, platformWide: true }),
  'GET /api/v1/tenants/:id': (w) => ({ path: `/api/v1/tenants/${w.matrixTenantId}`, platformWide: true }),
  'PATCH /api/v1/tenants/:id': (w) => ({ path: `/api/v1/tenants/${w.matrixTenantId}`, body: { name: `Matrix Tenant ${randomBytes(3).toString('hex')}` }, platformWide: true }),
  'GET /api/v1/flows': (w) => ({ path: '/api/v1/flows', query: { from: w.flowsFrom, limit: '5' } }),
  // Tenant A has streamed export switched on, tenant B not (set here: the flags route's own sample switches it on).
  'GET /api/v1/flows/export': async (w, actor) => {
    const b = actor === 'otherTenantAdmin';
    const flag = await call(w.base, '/api/v1/flags/streaming-export', { method: 'PUT', headers: bearer(b ? w.token.otherTenantAdmin : w.token.admin), body: { enabled: !b } });
    if (flag.status !== 200) throw new Error(`could not set the streaming-export flag: ${flag.status}`);
    return { path: '/api/v1/flows/export', query: { from: w.flowsFrom, format: 'csv' }, statusFor: { otherTenantAdmin: 403 } };
  },
  'GET /api/v1/endpoints': () => ({ path: '/api/v1/endpoints', query: { limit: '10' } }),
  'GET /api/v1/endpoints/:id': () => ({ path: `/api/v1/endpoints/${encodeURIComponent('ip:10.77.0.1')}`, statuses: [200, 404] }),
  'GET /api/v1/endpoints/:id/history': () => ({ path: `/api/v1/endpoints/${encodeURIComponent('ip:10.77.0.1')}/history`, statuses: [200, 404] }),
  'GET /api/v1/clusters': () => ({ path: '/api/v1/clusters' }),
  // A made-up cluster id: 404 for a permitted caller.
  'GET /api/v1/clusters/:id': () => ({ path: '/api/v1/clusters/c-matrix-none', status: 404 }),
  'GET /api/v1/clusters/:id/members': () => ({ path: '/api/v1/clusters/c-matrix-none/members', statuses: [200, 404] }),
  'GET /api/v1/sgts': () => ({ path: '/api/v1/sgts' }),
  'GET /api/v1/sgts/:value': (w) => ({ path: `/api/v1/sgts/${w.sgtValue}`, tenantScoped: true }),
  'POST /api/v1/sgts': () => ({ path: '/api/v1/sgts', body: { name: `Matrix_${randomBytes(6).toString('hex')}`, category: 'custom' }, status: 201 }),
  'PATCH /api/v1/sgts/:value': (w) => ({ path: `/api/v1/sgts/${w.sgtValue}`, body: { description: 'touched by the matrix' }, tenantScoped: true }),
  'DELETE /api/v1/sgts/:value': async (w) => {
    const created = await call(w.base, '/api/v1/sgts', { method: 'POST', headers: apiKeyHeader(w.adminKey), body: { name: `Doomed_${randomBytes(6).toString('hex')}`, category: 'custom' } });
    if (created.status !== 201) throw new Error(`could not register an SGT: ${created.status} ${created.text}`);
    return { path: `/api/v1/sgts/${(created.json as { value: number }).value}`, tenantScoped: true };
  },
  // The SGT exists in tenant A only: another tenant may be told it does not exist.
  'POST /api/v1/membership/assign': (w) => ({ path: '/api/v1/membership/assign', body: { endpoints: ['ip:10.77.0.1'], sgt: w.sgtValue, reason: 'matrix' }, statuses: [200, 404] }),
  'POST /api/v1/membership/clear': () => ({ path: '/api/v1/membership/clear', body: { endpoints: ['ip:10.77.0.1'] } }),
  'GET /api/v1/policy/matrix': () => ({ path: '/api/v1/policy/matrix' }),
  'GET /api/v1/policy/sgacl': () => ({ path: '/api/v1/policy/sgacl', query: { format: 'cli' } }),
  'POST /api/v1/policy/impact': () => ({ path: '/api/v1/policy/impact', body: {} }),
  'POST /api/v1/clustering/jobs': () => ({ path: '/api/v1/clustering/jobs', status: 202 }),
  'GET /api/v1/clustering/jobs': () => ({ path: '/api/v1/clustering/jobs' }),
  'GET /api/v1/clustering/jobs/:id': async (w) => {
    const job = await call(w.base, '/api/v1/clustering/jobs', { method: 'POST', headers: apiKeyHeader(w.adminKey) });
    if (job.status !== 202) throw new Error(`could not start a clustering job: ${job.status} ${job.text}`);
    return { path: `/api/v1/clustering/jobs/${(job.json as { id: string }).id}`, tenantScoped: true };
  },
  'POST /api/v1/identity/import': () => ({
    path: '/api/v1/identity/import',
    body: { format: 'csv', content: 'mac,ip,device_type,user,groups\n00:11:22:33:44:55,10.77.0.9,printer,,\n' },
  }),
};

/** An address of 2001:db8::/32 (documentation) no other call uses. */
function matrixExporterAddress(): string {
  return `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::1`;
}

/**
 * The seven routes of an inventory kind: list, create (a fresh record per call), import (the same content every time:
 * created once, then unchanged), export, and one record of tenant A read, changed and (a fresh one) deleted.
 */
function inventorySamples(
  kind: 'sites' | 'address-spaces' | 'subnets',
  idOf: (w: World) => string,
  fresh: () => Record<string, unknown>,
  csv: string,
): Record<string, (w: World, actor: Actor) => Sample | Promise<Sample>> {
  const base = `/api/v1/${kind}`;
  return {
    [`GET ${base}`]: () => ({ path: base, query: { limit: '100' } }),
    [`POST ${base}`]: () => ({ path: base, body: fresh(), status: 201 }),
    [`POST ${base}/import`]: () => ({ path: `${base}/import`, body: { format: 'csv', content: csv } }),
    [`GET ${base}/export`]: () => ({ path: `${base}/export`, query: { format: 'json' } }),
    [`GET ${base}/:id`]: (w) => ({ path: `${base}/${idOf(w)}`, tenantScoped: true }),
    [`PATCH ${base}/:id`]: (w) => ({ path: `${base}/${idOf(w)}`, body: { description: 'touched by the matrix' }, tenantScoped: true }),
    [`DELETE ${base}/:id`]: async (w) => {
      const created = await call(w.base, base, { method: 'POST', headers: apiKeyHeader(w.adminKey), body: fresh() });
      if (created.status !== 201) throw new Error(`could not create in ${base}: ${created.status} ${created.text}`);
      return { path: `${base}/${(created.json as { id: string }).id}`, tenantScoped: true };
    },
  };
}

/** Flows sent to tenant A over UDP (NetFlow v5 from 127.0.0.1), ending 1..5 minutes ago. */
const SENT_FLOWS = [443, 53, 22, 9100, 8443].map((dstPort, i) => ({
  srcAddress: `10.77.0.${i + 1}`,
  dstAddress: '10.77.1.1',
  srcPort: 50_000 + i,
  dstPort,
  protocol: dstPort === 53 ? 17 : 6,
  bytes: 1000 * (i + 1),
  packets: i + 1,
  endsMinutesAgo: i + 1,
}));

function v5PacketOf(flows: typeof SENT_FLOWS, nowMs: number): Uint8Array {
  const uptime = 3_600_000;
  return buildV5Packet({
    sysUptimeMs: uptime,
    unixSecs: Math.floor(nowMs / 1000),
    sequence: 0,
    records: flows.map((f) => ({
      srcAddress: f.srcAddress,
      dstAddress: f.dstAddress,
      inputInterface: 1,
      outputInterface: 2,
      packets: f.packets,
      bytes: f.bytes,
      firstUptimeMs: uptime - f.endsMinutesAgo * 60_000 - 2_000,
      lastUptimeMs: uptime - f.endsMinutesAgo * 60_000,
      srcPort: f.srcPort,
      dstPort: f.dstPort,
      tcpFlags: 0x1b,
      protocol: f.protocol,
    })),
  });
}

/** A GET read with node:http, which (unlike fetch) shows HTTP trailers. */
function getWithTrailers(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: string; trailers: Record<string, string | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, trailers: res.trailers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('API v1 over HTTP (gateway, auth, ingest and clustering processes)', () => {
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
    email: { viewer: '', analyst: '', admin: '', superadmin: '', otherTenantAdmin: '' },
    password: new Map(),
    token: { viewer: '', analyst: '', admin: '', superadmin: '', otherTenantAdmin: '' },
    targetUserId: '',
    adminKey: '',
    sgtValue: 0,
    flowsFrom: '',
    siteId: '',
    addressSpaceId: '',
    subnetId: '',
    matrixTenantId: '',
    exporterAddress: matrixExporterAddress(),
  };
  /** API keys of tenant A by their sorted scopes. */
  const keys = new Map<string, string>();

  const asAdmin = (path: string, method = 'GET', body?: unknown) => call(w.base, path, { method, body, headers: bearer(w.token.admin) });

  async function keyWith(scopes: readonly Permission[]): Promise<string> {
    const id = [...scopes].sort().join(',');
    if (!keys.has(id)) {
      // Keys holding what an admin does not (tenants:manage) are made by the superadmin: nobody grants more than they hold.
      const creator = scopes.every((p) => ADMIN_PERMISSIONS.includes(p)) ? w.token.admin : w.token.superadmin;
      const res = await call(w.base, '/api/v1/api-keys', { method: 'POST', headers: bearer(creator), body: { name: `matrix key ${w.domain.a}`, scopes } });
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
    w.email.superadmin = `platform@${w.domain.a}`;
    w.email.otherTenantAdmin = `root@${w.domain.b}`;
    for (const actor of ['admin', 'superadmin', 'otherTenantAdmin'] as const) w.password.set(w.email[actor], strongPassword());
    createAdminWithCli(w.tenant.a, w.email.admin, w.password.get(w.email.admin)!);
    createAdminWithCli(w.tenant.a, w.email.superadmin, w.password.get(w.email.superadmin)!, 'superadmin');
    createAdminWithCli(w.tenant.b, w.email.otherTenantAdmin, w.password.get(w.email.otherTenantAdmin)!);
    // The matrix signs in far more often than a person would: the auth service's own per-address throttle is raised too.
    stack = await startStack({
      gatewayEnv: { ...RELAXED_LIMITS, HTTP_TRUST_PROXY: 'true' },
      authEnv: { LOGIN_IP_LIMIT_PER_MIN: '100000' },
      // Every exporter's flows belong to tenant A.
      ingest: { INGEST_DEFAULT_TENANT: w.tenant.a },
      clustering: true,
    });
    w.base = stack.bases[0]!;
    w.token.admin = (await login(w.base, w.tenant.a, w.email.admin, w.password.get(w.email.admin)!)).accessToken;
    w.token.superadmin = (await login(w.base, w.tenant.a, w.email.superadmin, w.password.get(w.email.superadmin)!)).accessToken;
    w.token.otherTenantAdmin = (await login(w.base, w.tenant.b, w.email.otherTenantAdmin, w.password.get(w.email.otherTenantAdmin)!)).accessToken;
    for (const role of ['viewer', 'analyst'] as const) {
      w.email[role] = `${role}@${w.domain.a}`;
      w.password.set(w.email[role], strongPassword());
      const created = await asAdmin('/api/v1/users', 'POST', { email: w.email[role], displayName: role, roles: [role], password: w.password.get(w.email[role]) });
      expect(created.status).toBe(201);
      // A password an admin set must be changed before the account's roles count.
      const temporary = await login(w.base, w.tenant.a, w.email[role], w.password.get(w.email[role])!);
      expect(temporary.mustChangePassword).toBe(true);
      const chosen = strongPassword();
      const changed = await call(w.base, '/api/v1/auth/password', {
        method: 'POST',
        headers: bearer(temporary.accessToken),
        body: { currentPassword: w.password.get(w.email[role]), newPassword: chosen },
      });
      expect(changed.status).toBe(200);
      w.password.set(w.email[role], chosen);
      w.token[role] = (await login(w.base, w.tenant.a, w.email[role], chosen)).accessToken;
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
    expect((await asAdmin('/api/v1/flags/streaming-export', 'PUT', { enabled: true })).status).toBe(200);
    // Flows of tenant A arrive as an exporter sends them, and show through the API.
    const now = Date.now();
    w.flowsFrom = new Date(now - 3_600_000).toISOString();
    await sendToIngest(stack.ingestUdpPort!, [v5PacketOf(SENT_FLOWS, now)]);
    await waitFor(
      async () => ((await asAdmin(`/api/v1/flows?from=${encodeURIComponent(w.flowsFrom)}`)).json as { items?: unknown[] }).items?.length === SENT_FLOWS.length,
      20_000,
      'the sent flows to be queryable',
    );
    await waitFor(async () => (await asAdmin('/api/v1/exporters/127.0.0.1')).status === 200, 20_000, 'the exporter to be registered');
    const sgt = await asAdmin('/api/v1/sgts', 'POST', { name: `Matrix_Printers_${run}`, category: 'devices', description: 'matrix' });
    expect(sgt.status).toBe(201);
    w.sgtValue = (sgt.json as { value: number }).value;
    // Tenant A's inventory, named with its marker so that another tenant seeing any of it fails the matrix.
    const site = await asAdmin('/api/v1/sites', 'POST', { name: `HQ ${w.domain.a}`, kind: 'campus', timeZone: 'Europe/Zurich' });
    expect(site.status).toBe(201);
    w.siteId = (site.json as { id: string }).id;
    const space = await asAdmin('/api/v1/address-spaces', 'POST', { cidr: '10.200.0.0/16', name: `Partner VPN ${w.domain.a}`, kind: 'external' });
    expect(space.status).toBe(201);
    w.addressSpaceId = (space.json as { id: string }).id;
    const subnet = await asAdmin('/api/v1/subnets', 'POST', { cidr: '10.77.0.0/24', name: `Users ${w.domain.a}`, siteId: w.siteId, vlan: 77, purpose: 'user' });
    expect(subnet.status).toBe(201);
    w.subnetId = (subnet.json as { id: string }).id;
    expect((await asAdmin('/api/v1/exporters', 'POST', { address: w.exporterAddress, name: `edge ${w.domain.a}`, siteId: w.siteId })).status).toBe(201);
    const matrixTenant = await call(w.base, '/api/v1/tenants', { method: 'POST', headers: bearer(w.token.superadmin), body: { slug: `matrix-${run}`, name: 'Matrix Tenant' } });
    expect(matrixTenant.status).toBe(201);
    w.matrixTenantId = (matrixTenant.json as { id: string }).id;
  });

  afterAll(async () => {
    await stack?.stop();
    await provider.stop();
  });

  function permissionsOf(actor: Actor, route: RouteEntry, keyScopes: readonly Permission[]): readonly string[] {
    if (actor === 'viewer' || actor === 'analyst' || actor === 'admin' || actor === 'superadmin') return ROLE_PERMISSIONS[actor];
    if (actor === 'otherTenantAdmin') return ADMIN_PERMISSIONS;
    return actor === 'anonymous' ? [] : keyScopes;
  }

  /** Scopes of the two API keys a route is tried with: exactly its permissions, and everything an admin has but those. */
  function keyScopes(actor: Actor, route: RouteEntry): readonly Permission[] {
    const required = (route.permissions ?? []) as Permission[];
    if (actor === 'apiKeyWithScope') return required.length > 0 ? required : ['flows:read'];
    return required.length > 0 ? ADMIN_PERMISSIONS.filter((p) => !required.includes(p)) : ['flows:read'];
  }

  function expectedStatuses(route: RouteEntry, sample: Sample, actor: Actor, scopes: readonly Permission[]): number[] {
    if (route.isPublic) return [sample.status ?? 200];
    if (actor === 'anonymous') return [401];
    const held = permissionsOf(actor, route, scopes);
    if (!(route.permissions ?? []).every((p) => held.includes(p))) return [403];
    if (actor.startsWith('apiKey') && sample.userOnly) return [403];
    const special = sample.statusFor?.[actor];
    if (special !== undefined) return [special];
    if (actor === 'otherTenantAdmin' && sample.tenantScoped) return [404];
    return sample.statuses ?? [sample.status ?? 200];
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
        if (sample.fresh && answer.status < 300 && isUserActor(actor)) {
          const tenant = actor === 'otherTenantAdmin' ? w.tenant.b : w.tenant.a;
          w.token[actor] = (await login(w.base, tenant, w.email[actor], w.password.get(w.email[actor])!)).accessToken;
        }
        const expected = expectedStatuses(route, sample, actor, scopes);
        if (!expected.includes(answer.status)) mismatches.push(`${actor}: expected ${expected.join(' or ')}, got ${answer.status} ${answer.text.slice(0, 200)}`);
        if (answer.status >= 400 && !answer.headers.get('content-type')?.includes('application/problem+json')) mismatches.push(`${actor}: an error that is not problem+json`);
        // Another tenant's data never appears: tenant ids and email domains are markers no request of the other tenant carries.
        if (answer.status < 300 && actor !== 'anonymous' && !sample.platformWide) {
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

    it("keeps each tenant's inventory and exporters to it: lists, exports, classification and the address it registered", async () => {
      const b = bearer(w.token.otherTenantAdmin);
      for (const path of ['/api/v1/sites', '/api/v1/address-spaces', '/api/v1/subnets', '/api/v1/exporters', '/api/v1/exporters/export', '/api/v1/sites/export', '/api/v1/subnets/export']) {
        const res = await call(w.base, path, { headers: b });
        expect({ path, status: res.status, leaked: res.text.includes(w.domain.a) }).toEqual({ path, status: 200, leaked: false });
      }
      const mine = (await asAdmin('/api/v1/sites/export?format=json')).json as Array<{ name: string }>;
      expect(mine.map((r) => r.name)).toContain(`HQ ${w.domain.a}`);
      // Tenant A's inventory says 10.200.0.0/16 is a partner's; tenant B has defined nothing, so the default (private) applies.
      expect((await asAdmin('/api/v1/address-spaces/classify?address=10.200.1.1')).json).toMatchObject({ scope: 'external', basis: 'address_space', addressSpace: { name: `Partner VPN ${w.domain.a}` } });
      expect((await asAdmin('/api/v1/address-spaces/classify?address=10.77.0.9')).json).toMatchObject({ scope: 'internal', basis: 'subnet', subnet: { vlan: 77 }, site: { id: w.siteId } });
      expect((await call(w.base, '/api/v1/address-spaces/classify', { headers: b, query: { address: '10.200.1.1' } })).json).toMatchObject({ scope: 'internal', basis: 'default', addressSpace: null, site: null });
      // One tenant per exporter address: B cannot take A's.
      const taken = await call(w.base, '/api/v1/exporters', { method: 'POST', headers: b, body: { address: w.exporterAddress } });
      expect([taken.status, (taken.json as { code: string }).code]).toEqual([409, 'CONFLICT']);
      // A site of another tenant is no site.
      expect((await call(w.base, '/api/v1/subnets', { method: 'POST', headers: b, body: { cidr: '10.66.0.0/24', siteId: w.siteId } })).status).toBe(404);
    });

    it('imports a CSV sent as the body itself, with a dry run from the query, and answers a reason per rejected line', async () => {
      const csv = 'name,kind,parent\r\nDry Building,building,HQ ' + w.domain.a + '\r\nBad One,floor,\r\n';
      const dry = await call(w.base, '/api/v1/sites/import', { method: 'POST', headers: { ...bearer(w.token.admin), 'content-type': 'text/csv' }, query: { dryRun: 'true' }, rawBody: csv });
      expect(dry.status).toBe(200);
      expect(dry.json).toMatchObject({ kind: 'sites', dryRun: true, applied: false, records: 2, created: 1, rejectedCount: 1, rejected: [{ at: 3, reason: expect.stringContaining("not 'floor'") }] });
      const fixed = csv.replace('Bad One,floor', 'Good One,branch');
      const applied = await call(w.base, '/api/v1/sites/import', { method: 'POST', headers: { ...bearer(w.token.admin), 'content-type': 'text/csv' }, rawBody: fixed });
      expect(applied.json).toMatchObject({ applied: true, created: 2, rejectedCount: 0 });
      const exported = await call(w.base, '/api/v1/sites/export', { headers: bearer(w.token.viewer) });
      expect(exported.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(exported.headers.get('content-disposition')).toBe('attachment; filename="clarion-sites.csv"');
      expect(exported.text).toContain(`Dry Building,building,HQ ${w.domain.a}`);
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

    it('records inventory, exporter and tenant changes: the route with its target, and the tenant change in both tenants', async () => {
      expect(await eventsOf('http.post.api.v1.sites')).toContainEqual(expect.objectContaining({ target: w.siteId, outcome: 'success', actorType: 'user' }));
      expect(await eventsOf('http.post.api.v1.exporters')).toContainEqual(expect.objectContaining({ target: w.exporterAddress, outcome: 'success' }));
      expect(await eventsOf('http.patch.api.v1.subnets.:id')).toContainEqual(expect.objectContaining({ target: w.subnetId, outcome: 'success' }));
      expect(await eventsOf('tenant.create')).toContainEqual(expect.objectContaining({ target: w.matrixTenantId, outcome: 'success', details: expect.objectContaining({ slug: `matrix-${run}` }) }));
      expect(await eventsOf('http.post.api.v1.tenants')).toContainEqual(expect.objectContaining({ target: w.matrixTenantId, outcome: 'success' }));
      // The viewer may read the inventory but not change it: denied, and recorded as such.
      expect((await call(w.base, `/api/v1/sites/${w.siteId}`, { method: 'DELETE', headers: bearer(w.token.viewer) })).status).toBe(403);
      expect(await eventsOf('http.delete.api.v1.sites.:id')).toContainEqual(expect.objectContaining({ target: w.siteId, outcome: 'denied' }));
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

    it('records the sensitive reads (API-key listing, audit search, flow export) with their filters and rows, and no other read', async () => {
      // An ordinary read is not recorded.
      await asAdmin('/api/v1/users');
      expect(await eventsOf('http.get.api.v1.users')).toEqual([]);

      const keys = (await asAdmin('/api/v1/api-keys')).json as { items: unknown[] };
      expect(await eventsOf('apikey.list')).toContainEqual(expect.objectContaining({ actorType: 'user', outcome: 'success', details: { rows: keys.items.length, via: 'http' } }));

      const searched = (await asAdmin('/api/v1/audit?action=auth.login&outcome=success&limit=3')).json as { items: unknown[] };
      expect(await eventsOf('audit.read')).toContainEqual(
        expect.objectContaining({ outcome: 'success', details: { action: 'auth.login', outcome: 'success', limit: 3, rows: searched.items.length, via: 'http' } }),
      );

      // An export is recorded when it ends, with what it wrote; a refused one (the flag is off in tenant B) as denied.
      const url = new URL('/api/v1/flows/export', w.base);
      url.search = new URLSearchParams({ from: w.flowsFrom, format: 'ndjson', maxRows: '2', port: '443' }).toString();
      expect((await getWithTrailers(url.toString(), bearer(w.token.viewer))).status).toBe(200);
      const exported = { from: w.flowsFrom, format: 'ndjson', maxRows: 2, port: 443 };
      await waitFor(
        async () => (await eventsOf('flow.export')).some((e) => e.outcome === 'success' && e.details['port'] === 443 && e.details['maxRows'] === 2),
        10_000,
        'the export to be audited',
      );
      const exports = (await eventsOf('flow.export')).filter((e) => e.details['port'] === 443 && e.details['maxRows'] === 2);
      expect(exports).toContainEqual(expect.objectContaining({ outcome: 'success', details: { ...exported, rows: 1, truncated: false, completed: true, via: 'http' } }));
      const refused = await call(w.base, '/api/v1/flows/export', { headers: bearer(w.token.otherTenantAdmin), query: { from: w.flowsFrom, format: 'csv' } });
      expect(refused.status).toBe(403);
      const inB = (await call(w.base, '/api/v1/audit', { headers: bearer(w.token.otherTenantAdmin), query: { action: 'flow.export', limit: '50' } })).json as { items: Array<{ outcome: string; details: Record<string, unknown> }> };
      expect(inB.items).toContainEqual(expect.objectContaining({ outcome: 'denied', details: { from: w.flowsFrom, format: 'csv', via: 'http' } }));
    });

    it('pages with one shape ({ items, nextCursor }) and ISO-8601 times', async () => {
      const first = (await asAdmin('/api/v1/audit?limit=2')).json as { items: Array<{ seq: number; occurredAt: string }>; nextCursor: string | null };
      expect(first.items).toHaveLength(2);
      expect(first.nextCursor).toEqual(expect.any(String));
      expect(first.items.every((e) => new Date(e.occurredAt).toISOString() === e.occurredAt)).toBe(true);
      const second = (await asAdmin(`/api/v1/audit?limit=2&cursor=${first.nextCursor}`)).json as { items: Array<{ seq: number }> };
      expect(second.items[0]!.seq).toBeLessThan(first.items[1]!.seq);
    });

    it('sends the endpoint pages the clustering service writes (passed through unparsed) as JSON of the same shape', async () => {
      for (const path of ['/api/v1/endpoints?limit=5', `/api/v1/clusters/${randomUUID()}/members?limit=5`]) {
        const page = await asAdmin(path);
        expect([path, page.status, page.headers.get('content-type')]).toEqual([path, 200, 'application/json; charset=utf-8']);
        const { items, nextCursor, ...other } = page.json as { items: Array<{ id: string }>; nextCursor: string | null };
        expect(other).toEqual({});
        expect(items.length).toBeLessThanOrEqual(5);
        expect(items.every((e) => typeof e.id === 'string')).toBe(true);
        expect(nextCursor === null || typeof nextCursor === 'string').toBe(true);
        expect(JSON.parse(page.text)).toEqual(page.json);
      }
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

  describe('flows, exports and the clustering routes', () => {
    type FlowItem = { srcAddress: string; dstAddress: string; srcPort: number; dstPort: number; protocol: number; bytes: number; endTime: string; exporter: string };
    const flowsOf = async (token: string, query: Record<string, string>) => call(w.base, '/api/v1/flows', { headers: bearer(token), query: { from: w.flowsFrom, ...query } });

    it('answers the flows an exporter sent, newest first, and walks them page by page exactly once', async () => {
      const all = (await flowsOf(w.token.viewer, {})).json as { items: FlowItem[]; nextCursor: string | null };
      expect(all.nextCursor).toBeNull();
      expect(all.items.map((f) => f.srcPort)).toEqual(SENT_FLOWS.map((f) => f.srcPort));
      expect(all.items[0]).toMatchObject({ srcAddress: '10.77.0.1', dstAddress: '10.77.1.1', dstPort: 443, protocol: 6, bytes: 1000, exporter: '127.0.0.1' });
      const walked: number[] = [];
      let cursor: string | null = null;
      do {
        const page = (await flowsOf(w.token.viewer, { limit: '2', ...(cursor ? { cursor } : {}) })).json as { items: FlowItem[]; nextCursor: string | null };
        walked.push(...page.items.map((f) => f.srcPort));
        cursor = page.nextCursor;
      } while (cursor);
      expect(walked).toEqual(SENT_FLOWS.map((f) => f.srcPort));
    });

    it('filters by address block, either-side port and protocol, and keeps other tenants out', async () => {
      const ports = async (query: Record<string, string>) => ((await flowsOf(w.token.admin, query)).json as { items: FlowItem[] }).items.map((f) => f.dstPort).sort((a, b) => a - b);
      expect(await ports({ srcAddress: '10.77.0.0/30' })).toEqual([22, 53, 443]);
      expect(await ports({ port: '22' })).toEqual([22]);
      expect(await ports({ protocol: '17' })).toEqual([53]);
      expect(await ports({ address: '10.77.1.1', minBytes: '4000' })).toEqual([8443, 9100]);
      const other = await flowsOf(w.token.otherTenantAdmin, {});
      expect(other.status).toBe(200);
      expect((other.json as { items: unknown[] }).items).toEqual([]);
    });

    it('refuses a missing or too long time range and filters that are not addresses, naming the field', async () => {
      const missing = await call(w.base, '/api/v1/flows', { headers: bearer(w.token.admin) });
      expect(missing.status).toBe(400);
      expect(missing.json).toMatchObject({ code: 'VALIDATION_FAILED', errors: expect.arrayContaining([expect.objectContaining({ field: 'from' })]) });
      const tooLong = await flowsOf(w.token.admin, { from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' });
      expect(tooLong.status).toBe(400);
      for (const value of ["10.0.0.1' OR '1'='1", '10.0.0.0/99', 'localhost']) {
        const res = await flowsOf(w.token.admin, { address: value });
        expect({ value, status: res.status }).toEqual({ value, status: 400 });
      }
    });

    it('streams a CSV export with a header row, formula-safe cells and trailers stating the rows and truncation', async () => {
      const url = new URL('/api/v1/flows/export', w.base);
      url.search = new URLSearchParams({ from: w.flowsFrom, format: 'csv' }).toString();
      const res = await getWithTrailers(url.toString(), bearer(w.token.viewer));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="clarion-flows-\d{8}T\d{6}Z\.csv"$/);
      expect(res.headers['clarion-export-max-rows']).toBe('1000000');
      const lines = res.body.split('\r\n');
      expect(lines.pop()).toBe('');
      expect(lines[0]!.split(',')).toEqual(expect.arrayContaining(['startTime', 'endTime', 'srcAddress', 'dstPort', 'bytes']));
      expect(lines).toHaveLength(SENT_FLOWS.length + 1);
      expect(res.trailers).toMatchObject({ 'clarion-export-rows': String(SENT_FLOWS.length), 'clarion-export-truncated': 'false' });

      url.search = new URLSearchParams({ from: w.flowsFrom, format: 'ndjson', maxRows: '2' }).toString();
      const capped = await getWithTrailers(url.toString(), bearer(w.token.viewer));
      expect(capped.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const rows = capped.body.trim().split('\n').map((l) => JSON.parse(l) as FlowItem);
      expect(rows.map((r) => r.srcPort)).toEqual(SENT_FLOWS.slice(0, 2).map((f) => f.srcPort));
      expect(capped.trailers).toMatchObject({ 'clarion-export-rows': '2', 'clarion-export-truncated': 'true' });
    });

    it('refuses the export with a problem document while the tenant\'s streaming-export flag is off', async () => {
      const res = await call(w.base, '/api/v1/flows/export', { headers: bearer(w.token.otherTenantAdmin), query: { from: w.flowsFrom, format: 'csv' } });
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.json).toMatchObject({ code: 'FORBIDDEN', errors: [{ field: 'flag', message: 'streaming-export is off' }] });
    });

    it('serves SGACLs as a Cisco CLI download or as JSON', async () => {
      const cli = await call(w.base, '/api/v1/policy/sgacl', { headers: bearer(w.token.analyst), query: { format: 'cli' } });
      expect(cli.status).toBe(200);
      expect(cli.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(cli.headers.get('content-disposition')).toMatch(/^attachment; filename="clarion-sgacl-[0-9A-Z]+\.txt"$/);
      const json = await call(w.base, '/api/v1/policy/sgacl', { headers: bearer(w.token.analyst), query: { format: 'json' } });
      expect(json.json).toMatchObject({ format: 'json', proposal: { sgacls: expect.any(Array) } });
    });

    it('imports identities sent as text/csv as well as JSON', async () => {
      const csv = 'mac,ip,device_type,user,groups\n00:11:22:33:44:66,10.77.0.10,camera,,\n';
      const asCsv = await call(w.base, '/api/v1/identity/import', { method: 'POST', headers: { ...bearer(w.token.analyst), 'content-type': 'text/csv' }, rawBody: csv });
      expect(asCsv.status).toBe(200);
      expect(asCsv.json).toMatchObject({ records: 1 });
      const asJson = await call(w.base, '/api/v1/identity/import', { method: 'POST', headers: bearer(w.token.analyst), body: { format: 'csv', content: csv } });
      expect(asJson.json).toEqual(asCsv.json);
    });

    it('answers a clustering job with 202 and lets it be followed', async () => {
      const started = await call(w.base, '/api/v1/clustering/jobs', { method: 'POST', headers: bearer(w.token.analyst) });
      expect(started.status).toBe(202);
      const id = (started.json as { id: string }).id;
      const job = await call(w.base, `/api/v1/clustering/jobs/${id}`, { headers: bearer(w.token.viewer) });
      expect(job.json).toMatchObject({ id, trigger: expect.any(String), status: expect.stringMatching(/^(queued|running|succeeded|failed)$/) });
    });

    it('audits SGT changes with the SGT value as target', async () => {
      const patched = await asAdmin(`/api/v1/sgts/${w.sgtValue}`, 'PATCH', { description: 'audited' });
      expect(patched.status).toBe(200);
      const events = ((await asAdmin(`/api/v1/audit?action=${encodeURIComponent('http.patch.api.v1.sgts.:value')}&limit=50`)).json as { items: Array<{ target: string | null; outcome: string }> }).items;
      expect(events).toContainEqual(expect.objectContaining({ target: String(w.sgtValue), outcome: 'success' }));
    });
  });

  it('covers every permission a route declares with a key that holds it and one that does not', () => {
    const declared = new Set(ROUTES.flatMap((r) => r.permissions ?? []));
    expect([...declared].every((p) => (PERMISSIONS as readonly string[]).includes(p))).toBe(true);
  });
});
