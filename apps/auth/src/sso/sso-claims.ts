import { ROLE_NAMES, type RoleName, type SsoRoleName } from '@clarion/contracts';

/** Who the IdP says signed in, from the verified ID token completed by userinfo. */
export interface ExternalIdentity {
  subject: string;
  email: string | null;
  emailVerified: boolean | null;
  displayName: string | null;
  groups: string[];
}

const MAX_GROUPS = 1000;

/**
 * The value of claim `name`; when no claim has that exact name, a dotted path into nested objects
 * (`realm_access.roles` at Keycloak).
 */
export function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Group names from the groups claim: an array of strings, or one string; anything else means no groups. */
export function groupsOf(claims: Record<string, unknown>, groupsClaim: string): string[] {
  const value = claimAt(claims, groupsClaim);
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  return value.filter((g): g is string => typeof g === 'string').slice(0, MAX_GROUPS);
}

export function identityOf(claims: Record<string, unknown>, groupsClaim: string): ExternalIdentity {
  const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
  const email = text(claims['email'])?.toLowerCase() ?? null;
  const given = [text(claims['given_name']), text(claims['family_name'])].filter(Boolean).join(' ');
  const displayName = text(claims['name']) ?? (given || null) ?? text(claims['preferred_username']) ?? email;
  return {
    subject: String(claims['sub']),
    email,
    emailVerified: typeof claims['email_verified'] === 'boolean' ? claims['email_verified'] : null,
    displayName: displayName?.slice(0, 200) ?? null,
    groups: groupsOf(claims, groupsClaim),
  };
}

/**
 * Roles from groups: every role that one of the user's groups maps to; the default role (if any) when none maps.
 * Returned in the canonical role order, so equal sets compare equal.
 */
export function rolesForGroups(groups: readonly string[], groupRoleMap: Record<string, SsoRoleName>, defaultRole: SsoRoleName | null): RoleName[] {
  const mapped = new Set<RoleName>();
  for (const group of groups) {
    const role = Object.prototype.hasOwnProperty.call(groupRoleMap, group) ? groupRoleMap[group] : undefined;
    if (role) mapped.add(role);
  }
  if (mapped.size === 0 && defaultRole) mapped.add(defaultRole);
  return ROLE_NAMES.filter((r) => mapped.has(r));
}

export function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}
