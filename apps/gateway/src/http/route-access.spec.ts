import { PERMISSIONS } from '@clarion/contracts';
import { GATEWAY_CONTROLLERS } from '../gateway.module';
import { routeTable } from './route-table';

/** Walks the gateway's route table: every route is either deliberately public or declares its permissions. */
describe('gateway route table', () => {
  const routes = routeTable(GATEWAY_CONTROLLERS);

  it('has the API v1 routes to check', () => {
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['POST /api/v1/users', 'GET /api/v1/users', 'PATCH /api/v1/users/:id', 'POST /api/v1/users/:id/password-reset', 'GET /api/v1/audit', 'PUT /api/v1/flags/:key']),
    );
  });

  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s declares @Public(), @Authenticated() or @RequirePermissions()', (_path, route) => {
    expect(route.isPublic || Array.isArray(route.permissions)).toBe(true);
  });

  it('names only permissions that exist', () => {
    const unknown = routes.flatMap((r) => r.permissions ?? []).filter((p) => !(PERMISSIONS as readonly string[]).includes(p));
    expect(unknown).toEqual([]);
  });

  it('keeps public routes to health, docs, the key set, status and the sign-in steps', () => {
    const publicRoutes = routes.filter((r) => r.isPublic).map((r) => `${r.method} ${r.path}`);
    const allowed = /^(GET \/healthz|GET \/readyz|GET \/\.well-known\/jwks\.json|GET \/api\/v1\/system\/status|GET \/api\/docs.*|POST \/api\/v1\/auth\/(login|refresh|logout)|GET \/api\/v1\/auth\/sso\/(start|callback))$/;
    expect(publicRoutes.filter((r) => !allowed.test(r))).toEqual([]);
  });

  it('requires a permission on every state-changing route except a user\'s own sessions and password', () => {
    const selfService = new Set(['DELETE /api/v1/auth/sessions/:sessionId', 'DELETE /api/v1/auth/sessions', 'POST /api/v1/auth/password']);
    const loose = routes.filter((r) => r.method !== 'GET' && !r.isPublic && (r.permissions ?? []).length === 0).map((r) => `${r.method} ${r.path}`);
    expect(loose.filter((r) => !selfService.has(r))).toEqual([]);
  });

  it('declares the agreed permission of each API v1 route (a change to this table is a policy change)', () => {
    const agreed: Record<string, string[]> = {
      'GET /api/v1/exporters': ['exporters:read'],
      'GET /api/v1/exporters/:address': ['exporters:read'],
      'POST /api/v1/exporters': ['exporters:write'],
      'POST /api/v1/exporters/import': ['exporters:write'],
      'GET /api/v1/exporters/export': ['exporters:read'],
      'PATCH /api/v1/exporters/:address': ['exporters:write'],
      'DELETE /api/v1/exporters/:address': ['exporters:write'],
      'GET /api/v1/flows': ['flows:read'],
      'GET /api/v1/flows/export': ['flows:read'],
      'GET /api/v1/endpoints': ['endpoints:read'],
      'GET /api/v1/endpoints/:id': ['endpoints:read'],
      'GET /api/v1/endpoints/:id/history': ['endpoints:read'],
      'GET /api/v1/clusters': ['clusters:read'],
      'GET /api/v1/clusters/:id': ['clusters:read'],
      'GET /api/v1/clusters/:id/members': ['clusters:read', 'endpoints:read'],
      'POST /api/v1/membership/assign': ['clusters:write'],
      'POST /api/v1/membership/clear': ['clusters:write'],
      'GET /api/v1/sgts': ['sgts:read'],
      'GET /api/v1/sgts/:value': ['sgts:read'],
      'POST /api/v1/sgts': ['sgts:write'],
      'PATCH /api/v1/sgts/:value': ['sgts:write'],
      'DELETE /api/v1/sgts/:value': ['sgts:write'],
      'GET /api/v1/policy/matrix': ['policy:read'],
      'GET /api/v1/policy/sgacl': ['policy:read'],
      'POST /api/v1/policy/impact': ['policy:read'],
      'POST /api/v1/clustering/jobs': ['jobs:run'],
      'GET /api/v1/clustering/jobs': ['clusters:read'],
      'GET /api/v1/clustering/jobs/:id': ['clusters:read'],
      'POST /api/v1/identity/import': ['identity:import'],
      'POST /api/v1/users': ['users:manage'],
      'GET /api/v1/users': ['users:read'],
      'PATCH /api/v1/users/:id': ['users:manage'],
      'POST /api/v1/users/:id/password-reset': ['users:manage'],
      'POST /api/v1/users/:id/unlock': ['users:manage'],
      'POST /api/v1/api-keys': ['apikeys:manage'],
      'GET /api/v1/api-keys': ['apikeys:manage'],
      'DELETE /api/v1/api-keys/:id': ['apikeys:manage'],
      'GET /api/v1/audit': ['audit:read'],
      'PUT /api/v1/auth/sso': ['users:manage'],
      'GET /api/v1/auth/sso': ['users:manage'],
      'GET /api/v1/flags': ['flags:read'],
      'PUT /api/v1/flags/:key': ['flags:manage'],
      'GET /api/v1/system/services': ['system:read'],
      'GET /api/v1/sites': ['inventory:read'],
      'POST /api/v1/sites': ['inventory:write'],
      'POST /api/v1/sites/import': ['inventory:write'],
      'GET /api/v1/sites/export': ['inventory:read'],
      'GET /api/v1/sites/:id': ['inventory:read'],
      'PATCH /api/v1/sites/:id': ['inventory:write'],
      'DELETE /api/v1/sites/:id': ['inventory:write'],
      'GET /api/v1/address-spaces': ['inventory:read'],
      'POST /api/v1/address-spaces': ['inventory:write'],
      'POST /api/v1/address-spaces/import': ['inventory:write'],
      'GET /api/v1/address-spaces/export': ['inventory:read'],
      'GET /api/v1/address-spaces/:id': ['inventory:read'],
      'PATCH /api/v1/address-spaces/:id': ['inventory:write'],
      'DELETE /api/v1/address-spaces/:id': ['inventory:write'],
      'GET /api/v1/address-spaces/classify': ['inventory:read'],
      'GET /api/v1/subnets': ['inventory:read'],
      'POST /api/v1/subnets': ['inventory:write'],
      'POST /api/v1/subnets/import': ['inventory:write'],
      'GET /api/v1/subnets/export': ['inventory:read'],
      'GET /api/v1/subnets/:id': ['inventory:read'],
      'PATCH /api/v1/subnets/:id': ['inventory:write'],
      'DELETE /api/v1/subnets/:id': ['inventory:write'],
      'GET /api/v1/tenants': ['tenants:manage'],
      'POST /api/v1/tenants': ['tenants:manage'],
      'GET /api/v1/tenants/:id': ['tenants:manage'],
      'PATCH /api/v1/tenants/:id': ['tenants:manage'],
      'GET /api/v1/auth/me': [],
      'GET /api/v1/auth/sessions': [],
      'DELETE /api/v1/auth/sessions/:sessionId': [],
      'DELETE /api/v1/auth/sessions': [],
      'POST /api/v1/auth/password': [],
    };
    const declared = Object.fromEntries(routes.filter((r) => !r.isPublic).map((r) => [`${r.method} ${r.path}`, r.permissions]));
    expect(declared).toEqual(agreed);
  });
});
