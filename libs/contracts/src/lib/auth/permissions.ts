/**
 * Named permissions, defined once. Routes declare the permissions they need; roles and API-key scopes are sets
 * of these names.
 */
export const PERMISSIONS = [
  'flows:read',
  'exporters:read',
  'exporters:write',
  'endpoints:read',
  'clusters:read',
  'clusters:write',
  'sgts:read',
  'sgts:write',
  'sgts:approve',
  'policy:read',
  'policy:write',
  'policy:approve',
  'jobs:run',
  'identity:import',
  // The network inventory: sites, address spaces, subnets (exporters have their own pair).
  'inventory:read',
  'inventory:write',
  'users:read',
  'users:manage',
  'apikeys:manage',
  'retention:read',
  'retention:manage',
  'audit:read',
  'flags:read',
  'flags:manage',
  'tenants:manage',
  // The platform's inside: every service's version, instances, readiness and dependencies (GET /api/v1/system/services).
  'system:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_NAMES = ['viewer', 'analyst', 'admin', 'superadmin'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

/** Every read but the audit log, the user list and the platform's inside, which are for admins. */
const READ: Permission[] = PERMISSIONS.filter((p) => p.endsWith(':read') && p !== 'audit:read' && p !== 'users:read' && p !== 'system:read');
const ANALYST: Permission[] = [
  ...READ,
  'clusters:write',
  'sgts:write',
  'sgts:approve',
  'policy:write',
  'policy:approve',
  'jobs:run',
  'identity:import',
];
const ADMIN: Permission[] = PERMISSIONS.filter((p) => p !== 'tenants:manage');

/** What each role may do. `admin` is everything within its tenant; `superadmin` also manages tenants. */
export const ROLE_PERMISSIONS: Record<RoleName, readonly Permission[]> = {
  viewer: READ,
  analyst: ANALYST,
  admin: ADMIN,
  superadmin: [...PERMISSIONS],
};

export function permissionsOfRoles(roles: readonly string[]): Permission[] {
  const out = new Set<Permission>();
  for (const role of roles) for (const p of ROLE_PERMISSIONS[role as RoleName] ?? []) out.add(p);
  return [...out].sort();
}

export const isPermission = (value: string): value is Permission => (PERMISSIONS as readonly string[]).includes(value);
