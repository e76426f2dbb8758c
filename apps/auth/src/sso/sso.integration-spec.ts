import { AccessTokenVerifier, ErrorCode, permissionsOfRoles, type ActorDto, type ConfigureSsoRequestDto } from '@clarion/contracts';
import { validateEnv } from '@clarion/config';
import { Database, FeatureFlagRepository, RedisClient } from '@clarion/persistence';
import { SsoConfigRepository, UserRepository } from '../data';
import { TestInfra, testLogger } from '@clarion/testing';
import { NatsConnectionHolder, natsConnectionOptions } from '@clarion/messaging';
import { ServiceMetrics } from '@clarion/observability';
import type { JSONWebKeySet } from 'jose';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Counter } from 'prom-client';
import { ApiKeyService } from '../api-keys/api-key.service';
import { SessionRevocations } from '../sessions/session-revocations';
import { AuditService } from '../audit/audit.service';
import { AuthEnv } from '../auth.env';
import { KeyRingService } from '../keys/key-ring.service';
import { PasswordHasherService } from '../passwords/password-hasher.service';
import { SessionService } from '../sessions/session.service';
import { LoginThrottleService } from '../throttle/login-throttle.service';
import { TokenService } from '../tokens/token.service';
import { UserService } from '../users/user.service';
import { IdpAddressRefusedException, IdpEgress } from './idp-egress';
import { OidcClient } from './oidc-client';
import { SsoConfigService } from './sso-config.service';
import { IdpFailureException, SsoLoginService } from './sso-login.service';
import { SsoStateStore } from './sso-state.store';
import { HeadlessBrowser, TestOidcProvider } from './testing/test-oidc-provider';

const STRONG = 'violet-Harbor-quantum-57-lantern';

/**
 * OpenID Connect sign-in end to end: a real OpenID Provider (`oidc-provider`, in a child process) with its own login
 * and consent pages, driven by a headless browser; the auth service's logic against the real PostgreSQL and Redis.
 */
describe('single sign-on through a real OpenID Provider', () => {
  const logger = testLogger();
  const env = validateEnv(AuthEnv, { CLARION_ENV: 'test', DATABASE_URL: TestInfra.serviceUrl('auth'), REDIS_URL: TestInfra.redisUrl, ARGON2_MEMORY_KIB: '8192' }, 'sso-test');
  const db = new Database({ url: env.DATABASE_URL, poolSize: 4, statementTimeoutMs: 10_000, applicationName: 'sso-test' }, logger);
  const redis = new RedisClient(TestInfra.redisUrl, 'sso-test', logger);
  const hasher = new PasswordHasherService(env);
  const audit = new AuditService(db, env, logger);
  const keys = new KeyRingService(db, env, logger);
  const revocations = new SessionRevocations(redis, new NatsConnectionHolder(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'sso-test' }), logger), env, logger);
  const sessions = new SessionService(db, env, hasher, new TokenService(keys, env), new LoginThrottleService(redis, env), audit, logger, revocations);
  const users = new UserService(db, hasher, audit, new ApiKeyService(db, audit, redis, env), revocations);
  const configs = new SsoConfigService(db, audit, env);
  const sso = new SsoLoginService(db, configs, new OidcClient(env, new IdpEgress(env, new ServiceMetrics('sso-test'))), new SsoStateStore(redis), sessions, audit, logger);
  const verifier = new AccessTokenVerifier({ issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, fetchJwks: async () => ({ keys: await keys.jwks() }) as JSONWebKeySet, minRefreshIntervalMs: 0 });

  const tenant = `sso-${randomUUID().slice(0, 8)}`;
  const redirectUri = 'http://127.0.0.1:4200/auth/sso/callback';
  const clientSecret = randomBytes(32).toString('base64url');
  const provider = new TestOidcProvider({
    client: { client_id: 'clarion-web', client_secret: clientSecret, redirect_uris: [redirectUri] },
    accounts: {
      alice: { email: 'Alice@Acme.example', name: 'Alice Analyst', groups: ['netops', 'everyone'] },
      bob: { email: 'bob@acme.example', name: 'Bob Outsider', groups: ['marketing'] },
      carol: { email: 'carol@acme.example', name: 'Carol', groups: ['netops'] },
    },
  });
  let tenantId = '';
  let adminId = '';

  const adminActor = (): ActorDto => ({ kind: 'user', tenantId, id: adminId, permissions: permissionsOfRoles(['admin']) });
  const settings = (overrides: Partial<ConfigureSsoRequestDto> = {}): ConfigureSsoRequestDto => ({
    actor: adminActor(),
    issuer: provider.issuer,
    clientId: 'clarion-web',
    clientSecret,
    redirectUris: [redirectUri],
    scopes: ['openid', 'email', 'profile', 'groups'],
    groupRoleMap: { 'clarion-admins': 'admin', netops: 'analyst' },
    enabled: true,
    ...overrides,
  });
  // Flags are the gateway's to write (the auth role only reads them): the test switches them as the gateway would.
  const gatewayDb = new Database({ url: TestInfra.serviceUrl('gateway'), poolSize: 1, statementTimeoutMs: 10_000, applicationName: 'sso-test-flags' }, logger);
  const setFlag = (enabled: boolean) => gatewayDb.withTenant(tenantId, (m) => new FeatureFlagRepository(m).upsert(tenantId, 'sso', enabled));
  const auditEvents = async (action: string) => (await audit.query({ actor: adminActor(), action, limit: 500 })).items;

  /** The whole browser round trip: start, sign in and consent at the provider, and the code back to the auth service. */
  const authorize = async (login: string) => {
    const started = await sso.start({ tenant });
    const response = await new HeadlessBrowser().signIn(started.authorizationUrl, login, redirectUri);
    expect(response).toMatchObject({ state: started.state, iss: provider.issuer, error: null });
    return { state: started.state, code: response.code!, iss: response.iss! };
  };
  const signIn = async (login: string) => sso.callback({ ...(await authorize(login)), sourceIp: '198.51.100.7', userAgent: 'jest-sso' });

  beforeAll(async () => {
    await Promise.all([db.start(), gatewayDb.start(), provider.start()]);
    redis.start();
    await keys.ensureActiveKey();
    const admin = await users.createAdmin({ tenantSlug: tenant, email: 'ada@acme.example', displayName: 'Ada Admin', password: STRONG, roles: ['admin'] });
    tenantId = admin.tenantId;
    adminId = admin.id;
    await setFlag(true);
  });

  afterAll(async () => {
    await provider.stop();
    await redis.close();
    await Promise.all([db.close(), gatewayDb.close()]);
  });

  describe('the tenant setting', () => {
    it('can be set only with users:manage', async () => {
      const analyst: ActorDto = { ...adminActor(), permissions: permissionsOfRoles(['analyst']) };
      await expect(configs.configure(settings({ actor: analyst }))).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    });

    it('refuses an issuer reached over plain http on a non-loopback host', async () => {
      await expect(configs.configure(settings({ issuer: 'http://idp.example' }))).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    });

    it('stores the client secret encrypted and never returns it', async () => {
      const saved = await configs.configure(settings());
      expect(saved).toMatchObject({ issuer: provider.issuer, clientSecretSet: true, enabled: true, featureFlagEnabled: true, groupsClaim: 'groups' });
      expect(JSON.stringify(saved)).not.toContain(clientSecret);
      const row = await db.withTenant(tenantId, (m) => new SsoConfigRepository(m).findOfCurrentTenant());
      expect(row?.clientSecretEnc.toString('latin1')).not.toContain(clientSecret);
      expect(configs.clientSecret(row!)).toBe(clientSecret);
      // Bound to its tenant: the same ciphertext under another tenant id does not decrypt.
      expect(() => configs.clientSecret({ ...row!, tenantId: randomUUID() })).toThrow();
      expect((await auditEvents('sso.configure'))[0]).toMatchObject({ actorId: adminId, outcome: 'success' });
      // Tenant-owned (row-level security): invisible without the tenant's context.
      expect(await db.withoutTenant((m) => new SsoConfigRepository(m).findOfCurrentTenant())).toBeNull();
    });
  });

  describe('sign-in', () => {
    let aliceId = '';

    it('creates the user at the first sign-in with the role mapped from their group, and returns verifiable tokens', async () => {
      const pair = await signIn('alice');
      const claims = await verifier.verify(pair.accessToken);
      expect(claims).toMatchObject({ tid: tenantId, roles: ['analyst'], sid: pair.sessionId });
      aliceId = claims.sub;
      const user = await db.withTenant(tenantId, (m) => new UserRepository(m).findById(aliceId));
      expect(user).toMatchObject({
        email: 'alice@acme.example',
        displayName: 'Alice Analyst',
        roles: ['analyst'],
        passwordHash: null,
        externalIssuer: provider.issuer,
        externalSubject: 'alice',
      });
      // The refresh token works like a password login's.
      await expect(sessions.refresh({ refreshToken: pair.refreshToken })).resolves.toMatchObject({ sessionId: pair.sessionId });
      expect((await auditEvents('user.create')).find((e) => e.target === aliceId)).toMatchObject({ actorId: 'sso', outcome: 'success' });
      expect((await auditEvents('auth.sso_login'))[0]).toMatchObject({ actorId: aliceId, outcome: 'success', sourceIp: '198.51.100.7', userAgent: 'jest-sso' });
    });

    it('maps a later sign-in to the same user by issuer and subject', async () => {
      const pair = await signIn('alice');
      expect((await verifier.verify(pair.accessToken)).sub).toBe(aliceId);
      const sameEmail = await db.withTenant(tenantId, (m) => new UserRepository(m).findByEmail('alice@acme.example'));
      expect(sameEmail?.id).toBe(aliceId);
    });

    it('follows a group change at the provider with a role change, and audits it', async () => {
      await provider.setAccount('alice', { email: 'alice@acme.example', name: 'Alice Analyst', groups: ['clarion-admins'] });
      const pair = await signIn('alice');
      expect(await verifier.verify(pair.accessToken)).toMatchObject({ sub: aliceId, roles: ['admin'] });
      const change = (await auditEvents('user.role_change')).find((e) => e.target === aliceId);
      expect(change?.details).toMatchObject({ from: ['analyst'], to: ['admin'], groups: ['clarion-admins'] });
      // No change, no event: signing in again with the same groups records nothing more.
      const before = (await auditEvents('user.role_change')).length;
      await signIn('alice');
      expect(await auditEvents('user.role_change')).toHaveLength(before);
    });

    it('refuses a state that was already used, before asking the provider', async () => {
      const flow = await authorize('carol');
      await expect(sso.callback(flow)).resolves.toMatchObject({ tokenType: 'Bearer' });
      const attempts = (await auditEvents('auth.sso_login')).length;
      await expect(sso.callback(flow)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      // Refused on the state alone: no code redemption was tried, so no sign-in attempt for the tenant to audit.
      expect(await auditEvents('auth.sso_login')).toHaveLength(attempts);
    });

    it('accepts a state for one attempt only, even when that attempt failed', async () => {
      const flow = await authorize('carol');
      await expect(sso.callback({ ...flow, error: 'access_denied' })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      // The code itself was never redeemed and would still be good at the provider.
      await expect(sso.callback(flow)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });

    it('refuses a state it never issued', async () => {
      await expect(sso.callback({ state: randomBytes(32).toString('base64url'), code: 'whatever' })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });

    it("refuses a code redeemed with another sign-in's state (PKCE and redirect binding)", async () => {
      const other = await sso.start({ tenant });
      const flow = await authorize('carol');
      await expect(sso.callback({ ...flow, state: other.state })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      const failures = (await auditEvents('auth.sso_login')).filter((e) => e.outcome === 'failure');
      expect(failures[0]?.details).toMatchObject({ code: ErrorCode.Unauthenticated });
    });

    it('refuses an authorization response naming another issuer, or none from an issuer that always names itself (RFC 9207)', async () => {
      const flow = await authorize('carol');
      await expect(sso.callback({ ...flow, iss: 'https://attacker.example' })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      const { iss: _dropped, ...withoutIss } = await authorize('carol');
      await expect(sso.callback(withoutIss)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });

    it('refuses a user in no mapped group with FORBIDDEN and creates no account', async () => {
      await expect(signIn('bob')).rejects.toMatchObject({ code: ErrorCode.Forbidden });
      expect(await db.withTenant(tenantId, (m) => new UserRepository(m).findByEmail('bob@acme.example'))).toBeNull();
      const denied = (await auditEvents('auth.sso_login')).find((e) => e.outcome === 'denied');
      expect(denied).toMatchObject({ actorType: 'anonymous', target: 'bob@acme.example' });
      expect(denied?.details).toMatchObject({ code: ErrorCode.Forbidden, groups: ['marketing'] });
    });

    it('gives the default role, when one is set, to a user in no mapped group', async () => {
      // Without clientSecret: the stored secret of the same client is kept.
      await configs.configure(settings({ clientSecret: undefined, defaultRole: 'viewer' }));
      const pair = await signIn('bob');
      expect(await verifier.verify(pair.accessToken)).toMatchObject({ roles: ['viewer'] });
      await configs.configure(settings({ defaultRole: null }));
    });

    it('never links an IdP account to a local account with the same email', async () => {
      await provider.setAccount('mallory', { email: 'ada@acme.example', name: 'Not Ada', groups: ['clarion-admins'] });
      await expect(signIn('mallory')).rejects.toMatchObject({ code: ErrorCode.Forbidden });
      const ada = await db.withTenant(tenantId, (m) => new UserRepository(m).findByEmail('ada@acme.example'));
      expect(ada).toMatchObject({ id: adminId, externalSubject: null });
    });

    it('leaves an SSO user without a password: password login fails', async () => {
      await expect(sessions.login({ tenant, email: 'alice@acme.example', password: STRONG })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });

    it('refuses a user an admin disabled, whatever their groups', async () => {
      const carol = await db.withTenant(tenantId, (m) => new UserRepository(m).findByEmail('carol@acme.example'));
      await db.withTenant(tenantId, (m) => new UserRepository(m).updateStatus(carol!.id, 'disabled'));
      await expect(signIn('carol')).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    });
  });

  describe('switched off', () => {
    afterEach(async () => {
      await setFlag(true);
      await configs.configure(settings());
    });

    it('refuses to start while the sso feature flag is off', async () => {
      await setFlag(false);
      await expect(sso.start({ tenant })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    });

    it('refuses a sign-in completed after the flag was turned off', async () => {
      const flow = await authorize('alice');
      await setFlag(false);
      await expect(sso.callback(flow)).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    });

    it('refuses to start while the setting is disabled, and for an unknown tenant, with the same answer', async () => {
      await configs.configure(settings({ enabled: false }));
      const disabled = await sso.start({ tenant }).catch((e: unknown) => e);
      const unknown = await sso.start({ tenant: `nope-${tenant}` }).catch((e: unknown) => e);
      expect(disabled).toMatchObject({ code: ErrorCode.Forbidden });
      expect(unknown).toMatchObject({ code: ErrorCode.Forbidden, message: (disabled as Error).message });
    });

    it('refuses a redirect URI that is not configured', async () => {
      await expect(sso.start({ tenant, redirectUri: 'https://attacker.example/cb' })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    });
  });

  describe('in production, with an issuer at an address the auth service may not reach', () => {
    const production = Object.assign(new AuthEnv(), env, { CLARION_ENV: 'production' as const });
    const metrics = new ServiceMetrics('sso-test-production');
    // The test's resolver answers one name as a cloud's metadata service would be reached (no DNS, no hosts file).
    const egress = new IdpEgress(production, metrics, {
      resolve: async (host) => (host === 'idp.metadata.test' ? [{ address: '169.254.169.254', family: 4 }] : []),
    });
    const inProduction = new SsoLoginService(db, configs, new OidcClient(production, egress), new SsoStateStore(redis), sessions, audit, logger);
    const refusals = async (reason: string) => {
      const counter = metrics.registry.getSingleMetric('clarion_auth_idp_requests_refused_total') as Counter;
      return (await counter.get()).values.find((v) => v.labels['reason'] === reason)?.value ?? 0;
    };

    afterEach(() => configs.configure(settings()));
    afterAll(() => egress.onModuleDestroy());

    it.each([
      ['the loopback address, where a provider listens', () => provider.issuer.replace(/^http:/, 'https:'), 'loopback'],
      ['a name that resolves to the cloud metadata address', () => 'https://idp.metadata.test', 'link-local'],
    ])('refuses discovery at %s, counts it, says nothing of it to the caller, and remembers the failure', async (_where, issuer, why) => {
      await configs.configure(settings({ issuer: issuer() }));
      const err = await inProduction.start({ tenant }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IdpFailureException);
      expect(err).toMatchObject({ code: ErrorCode.DependencyUnavailable });
      const reason = (err as IdpFailureException).reason;
      expect(reason).toBeInstanceOf(IdpAddressRefusedException);
      expect(reason).toMatchObject({ why });
      expect((err as Error).message).not.toMatch(/127\.0\.0\.1|169\.254|metadata|loopback|link-local|https?:/);
      expect(await refusals(why)).toBe(1);
      // Another sign-in within OIDC_DISCOVERY_FAILURE_TTL_S fails at once: nothing is fetched, so nothing more is counted.
      await expect(inProduction.start({ tenant })).rejects.toMatchObject({ code: ErrorCode.DependencyUnavailable, message: (err as Error).message });
      expect(await refusals(why)).toBe(1);
    });
  });

  it('answers a failed callback in generic words and keeps the reason for the audit log', async () => {
    const flow = await authorize('alice');
    const err = await sso.callback({ ...flow, error: 'temporarily_unavailable' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.Unauthenticated });
    expect((err as Error).message).not.toContain('temporarily_unavailable');
    const failures = (await auditEvents('auth.sso_login')).filter((e) => e.outcome === 'failure');
    expect(failures.map((e) => e.details)).toContainEqual(expect.objectContaining({ code: ErrorCode.Unauthenticated, reason: expect.stringContaining('temporarily_unavailable') }));
  });

  it('keeps the audit chain intact through all of it', async () => {
    expect(await audit.verify(tenantId)).toMatchObject({ ok: true });
  });
});
