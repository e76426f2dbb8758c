import { groupsOf, identityOf, rolesForGroups } from './sso-claims';
import { isSecureUrl } from './oidc-client';

describe('SSO claims and role mapping', () => {
  const map = { 'clarion-admins': 'admin', netops: 'analyst', staff: 'viewer' } as const;

  it('grants the roles of every mapped group, in canonical order', () => {
    expect(rolesForGroups(['netops', 'unrelated', 'clarion-admins'], map, null)).toEqual(['analyst', 'admin']);
  });

  it('grants nothing to a user in no mapped group unless a default role is set', () => {
    expect(rolesForGroups(['unrelated'], map, null)).toEqual([]);
    expect(rolesForGroups([], map, 'viewer')).toEqual(['viewer']);
  });

  it('does not treat inherited object properties as groups', () => {
    expect(rolesForGroups(['constructor', '__proto__', 'toString'], map, null)).toEqual([]);
  });

  it('reads groups from an array, a single string, or a dotted path', () => {
    expect(groupsOf({ groups: ['a', 2, 'b'] }, 'groups')).toEqual(['a', 'b']);
    expect(groupsOf({ groups: 'a' }, 'groups')).toEqual(['a']);
    expect(groupsOf({ realm_access: { roles: ['x'] } }, 'realm_access.roles')).toEqual(['x']);
    expect(groupsOf({ groups: { a: 1 } }, 'groups')).toEqual([]);
  });

  it('takes the display name from name, then given and family name, then the email', () => {
    expect(identityOf({ sub: 's', email: 'A@B.example', name: 'Ann' }, 'groups')).toMatchObject({ email: 'a@b.example', displayName: 'Ann' });
    expect(identityOf({ sub: 's', email: 'a@b.example', given_name: 'Ann', family_name: 'Lee' }, 'groups').displayName).toBe('Ann Lee');
    expect(identityOf({ sub: 's', email: 'a@b.example' }, 'groups').displayName).toBe('a@b.example');
  });

  it('accepts https URLs, and http only on loopback hosts', () => {
    expect(isSecureUrl('https://idp.example/realms/x')).toBe(true);
    expect(isSecureUrl('http://127.0.0.1:8080')).toBe(true);
    expect(isSecureUrl('http://[::1]:8080')).toBe(true);
    expect(isSecureUrl('http://idp.example')).toBe(false);
    expect(isSecureUrl('https://user:pw@idp.example')).toBe(false);
    expect(isSecureUrl('ftp://idp.example')).toBe(false);
  });
});
