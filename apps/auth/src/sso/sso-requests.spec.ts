import { ConfigureSsoRequestDto, ErrorCode, SsoCallbackRequestDto, StartSsoRequestDto, permissionsOfRoles } from '@clarion/contracts';
import { createValidationPipe } from '@clarion/messaging';
import { randomUUID } from 'node:crypto';

/** The SSO payloads as the service's NATS boundary validates them. */
describe('SSO request validation', () => {
  const pipe = createValidationPipe();
  const check = (metatype: new () => object, value: unknown) => pipe.transform(value, { type: 'body', metatype });
  const actor = { kind: 'user', tenantId: randomUUID(), id: randomUUID(), permissions: permissionsOfRoles(['admin']) };
  const configure = {
    actor,
    issuer: 'https://login.example.com/realms/acme',
    clientId: 'clarion',
    clientSecret: 's3cret',
    redirectUris: ['https://clarion.example.com/auth/sso/callback'],
    groupRoleMap: { 'clarion-admins': 'admin', '/netops': 'analyst' },
    enabled: true,
  };
  const state = 'a'.repeat(43);

  it('accepts a complete setting', async () => {
    await expect(check(ConfigureSsoRequestDto, configure)).resolves.toMatchObject({ clientId: 'clarion' });
  });

  it.each([
    ['a group mapped to superadmin', { groupRoleMap: { root: 'superadmin' } }],
    ['a group mapped to an unknown role', { groupRoleMap: { x: 'owner' } }],
    ['a group map that is a list', { groupRoleMap: ['admin'] }],
    ['no redirect URI', { redirectUris: [] }],
    ['an issuer that is not a URL', { issuer: 'acme' }],
    ['a scope with a space', { scopes: ['openid email'] }],
    ['an unknown field', { clientSecretEnc: 'x' }],
  ])('refuses %s', async (_why, change) => {
    await expect(check(ConfigureSsoRequestDto, { ...configure, ...change })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
  });

  it('takes a callback with a code, or with an IdP error instead', async () => {
    await expect(check(SsoCallbackRequestDto, { state, code: 'abc' })).resolves.toBeDefined();
    await expect(check(SsoCallbackRequestDto, { state, error: 'access_denied' })).resolves.toBeDefined();
    await expect(check(SsoCallbackRequestDto, { state })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    await expect(check(SsoCallbackRequestDto, { state: 'short', code: 'abc' })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
  });

  it('starts only for a tenant slug', async () => {
    await expect(check(StartSsoRequestDto, { tenant: 'acme' })).resolves.toBeDefined();
    await expect(check(StartSsoRequestDto, { tenant: 'Acme Corp' })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
  });
});
