import { ErrorCode, permissionsOfRoles, type ConfigureSsoRequestDto } from '@clarion/contracts';
import type { Database } from '@clarion/persistence';
import { randomUUID } from 'node:crypto';
import type { AuditService } from '../audit/audit.service';
import { AuthEnv } from '../auth.env';
import { SsoConfigService } from './sso-config.service';

/** The URLs an admin may give: checked before anything is stored (the database is never reached here). */
describe('SSO setting URLs', () => {
  const service = (CLARION_ENV: AuthEnv['CLARION_ENV']) =>
    new SsoConfigService({} as Database, {} as AuditService, Object.assign(new AuthEnv(), { CLARION_ENV, AUTH_MASTER_KEY: 'k'.repeat(32) }));
  const setting = (issuer: string, redirectUri: string): ConfigureSsoRequestDto => ({
    actor: { kind: 'user', tenantId: randomUUID(), id: randomUUID(), permissions: permissionsOfRoles(['admin']) },
    issuer,
    clientId: 'clarion',
    clientSecret: 's3cret',
    redirectUris: [redirectUri],
    groupRoleMap: {},
    enabled: true,
  });
  const problems = (env: AuthEnv['CLARION_ENV'], issuer: string, redirectUri: string) =>
    service(env)
      .configure(setting(issuer, redirectUri))
      .then(
        () => null,
        (err: { code: ErrorCode; details?: Array<{ field: string }> }) => (err.code === ErrorCode.ValidationFailed ? err.details?.map((d) => d.field) : err),
      );

  it('refuses plain http in production, even on a loopback host', async () => {
    await expect(problems('production', 'http://127.0.0.1:8080', 'http://localhost:4200/cb')).resolves.toEqual(['issuer', 'redirectUris.0']);
  });

  it('refuses plain http outside production except on a loopback host', async () => {
    await expect(problems('development', 'http://idp.example', 'http://clarion.example/cb')).resolves.toEqual(['issuer', 'redirectUris.0']);
  });

  it('refuses a query on the issuer or on a redirect URI', async () => {
    await expect(problems('production', 'https://idp.example/?tenant=a', 'https://clarion.example/cb?next=/')).resolves.toEqual(['issuer', 'redirectUris.0']);
  });
});
