import { ErrorCode, EventSubjects, permissionsOfRoles, type ActorDto, type TenantChangedEvent } from '@clarion/contracts';
import { validateEnv } from '@clarion/config';
import { NatsConnectionHolder, natsConnectionOptions } from '@clarion/messaging';
import { Database, RedisClient, RevokedSessionsStore } from '@clarion/persistence';
import { TestInfra, testLogger, waitFor } from '@clarion/testing';
import { connect, type NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ApiKeyService } from '../api-keys/api-key.service';
import { AuditService } from '../audit/audit.service';
import { AuthEnv } from '../auth.env';
import { KeyRingService } from '../keys/key-ring.service';
import { PasswordHasherService } from '../passwords/password-hasher.service';
import { SessionRevocations } from '../sessions/session-revocations';
import { SessionService } from '../sessions/session.service';
import { LoginThrottleService } from '../throttle/login-throttle.service';
import { TokenService } from '../tokens/token.service';
import { UserService } from '../users/user.service';
import { TenantService } from './tenant.service';

const STRONG = 'violet-Harbor-quantum-57-lantern';

/** Tenants managed by superadmins, against the real PostgreSQL (as clarion_auth), Redis and NATS. */
describe('tenants (PostgreSQL, Redis, NATS)', () => {
  const logger = testLogger();
  const env = validateEnv(
    AuthEnv,
    { CLARION_ENV: 'test', DATABASE_URL: TestInfra.serviceUrl('auth'), REDIS_URL: TestInfra.redisUrl, ARGON2_MEMORY_KIB: '8192', LOGIN_IP_LIMIT_PER_MIN: '1000', LOGIN_NETWORK_LIMIT_PER_MIN: '1000' },
    'tenants-test',
  );
  const db = new Database({ url: env.DATABASE_URL, poolSize: 4, statementTimeoutMs: 10_000, applicationName: 'tenants-test' }, logger);
  const redis = new RedisClient(TestInfra.redisUrl, 'tenants-test', logger);
  const nats = new NatsConnectionHolder(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'tenants-test' }), logger);
  const superuser = new Client({ connectionString: TestInfra.superuserUrl });
  const hasher = new PasswordHasherService(env);
  const audit = new AuditService(db, env, logger);
  const keys = new KeyRingService(db, env, logger);
  const revocations = new SessionRevocations(redis, nats, env, logger);
  const sessions = new SessionService(db, env, hasher, new TokenService(keys, env), new LoginThrottleService(redis, env), audit, logger, revocations);
  const apiKeys = new ApiKeyService(db, audit, redis, env);
  const users = new UserService(db, hasher, audit, apiKeys, revocations);
  const tenants = new TenantService(db, audit, apiKeys, revocations, nats, logger);
  const run = randomUUID().slice(0, 8);
  const events: TenantChangedEvent[] = [];
  let listener: NatsConnection;
  let platform: ActorDto;

  const slugOf = (label: string) => `t-${label}-${run}`;
  const login = (tenant: string, email: string, password = STRONG) => sessions.login({ tenant, email, password, sourceIp: '192.0.2.9', userAgent: 'jest' });
  const auditOf = async (tenantId: string, action: string) =>
    (await superuser.query(`SELECT actor_id, target, details FROM audit_events WHERE tenant_id = $1 AND action = $2 ORDER BY seq`, [tenantId, action])).rows as Array<{
      actor_id: string;
      target: string;
      details: Record<string, unknown>;
    }>;

  beforeAll(async () => {
    await db.start();
    redis.start();
    await nats.start();
    await superuser.connect();
    await keys.ensureActiveKey();
    listener = await connect(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'tenants-test-listener' }));
    listener.subscribe(EventSubjects.tenantsChanged, { callback: (_err, msg) => events.push(JSON.parse(Buffer.from(msg.data).toString('utf8')) as TenantChangedEvent) });
    await listener.flush();
    const root = await users.createAdmin({ tenantSlug: slugOf('platform'), email: 'root@platform.example', displayName: 'Root', password: STRONG, roles: ['superadmin'] });
    platform = { kind: 'user', tenantId: root.tenantId, id: root.id, permissions: permissionsOfRoles(['superadmin']) };
  });

  afterAll(async () => {
    await listener.close();
    await nats.close();
    await superuser.end();
    await redis.close();
    await db.close();
  });

  it('lets a superadmin create, list, read and rename tenants, each change audited in both tenants and announced', async () => {
    const created = await tenants.create({ actor: platform, slug: slugOf('acme'), name: 'Acme Corp' });
    expect(created).toMatchObject({ slug: slugOf('acme'), name: 'Acme Corp', status: 'active' });
    await expect(tenants.create({ actor: platform, slug: slugOf('acme'), name: 'Again' })).rejects.toMatchObject({ code: ErrorCode.Conflict, details: [{ field: 'slug' }] });
    expect(await tenants.get({ actor: platform, tenantId: created.id })).toEqual(created);
    const renamed = await tenants.update({ actor: platform, tenantId: created.id, name: 'Acme Corporation' });
    expect(renamed).toMatchObject({ id: created.id, name: 'Acme Corporation', status: 'active' });
    await expect(tenants.get({ actor: platform, tenantId: randomUUID() })).rejects.toMatchObject({ code: ErrorCode.NotFound });

    for (const tenantId of [platform.tenantId, created.id]) {
      expect(await auditOf(tenantId, 'tenant.create')).toContainEqual(expect.objectContaining({ actor_id: platform.id, target: created.id, details: expect.objectContaining({ slug: slugOf('acme') }) }));
      expect(await auditOf(tenantId, 'tenant.rename')).toContainEqual(expect.objectContaining({ target: created.id, details: expect.objectContaining({ from: 'Acme Corp', to: 'Acme Corporation' }) }));
    }
    await waitFor(() => events.filter((e) => e.tenantId === created.id).length === 2, 5_000, 'two tenant events');
    expect(events.filter((e) => e.tenantId === created.id)).toEqual([
      { tenantId: created.id, slug: slugOf('acme'), status: 'active', at: expect.any(String) },
      { tenantId: created.id, slug: slugOf('acme'), status: 'active', at: expect.any(String) },
    ]);
  });

  it('pages through every tenant by slug, each once', async () => {
    for (const label of ['page-a', 'page-b', 'page-c']) await tenants.create({ actor: platform, slug: slugOf(label), name: label });
    const slugs: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await tenants.list({ actor: platform, limit: 2, cursor });
      slugs.push(...page.items.map((t) => t.slug));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(slugs).size).toBe(slugs.length);
    expect(slugs).toEqual([...slugs].sort());
    expect(slugs).toEqual(expect.arrayContaining([slugOf('page-a'), slugOf('page-b'), slugOf('page-c'), slugOf('platform')]));
    await expect(tenants.list({ actor: platform, cursor: Buffer.from('Not A Slug').toString('base64url') })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
  });

  it('refuses everyone without tenants:manage, a tenant admin included', async () => {
    const admin: ActorDto = { ...platform, permissions: permissionsOfRoles(['admin']) };
    await expect(tenants.list({ actor: admin })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(tenants.create({ actor: admin, slug: slugOf('nope'), name: 'x' })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(tenants.update({ actor: admin, tenantId: platform.tenantId, name: 'x' })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
  });

  it('suspends a tenant: its sessions end, sign-ins and API keys are refused; resuming lets them in again', async () => {
    const target = await tenants.create({ actor: platform, slug: slugOf('suspend'), name: 'To Suspend' });
    const admin = await users.createAdmin({ tenantSlug: target.slug, email: 'ops@suspend.example', displayName: 'Ops', password: STRONG, roles: ['admin'] });
    const pair = await login(target.slug, 'ops@suspend.example');
    const key = await apiKeys.create({ actor: { kind: 'user', tenantId: target.id, id: admin.id, permissions: permissionsOfRoles(['admin']) }, name: 'automation', scopes: ['flows:read'] });
    expect((await apiKeys.verify(key.key)).tenantId).toBe(target.id);

    const suspended = await tenants.update({ actor: platform, tenantId: target.id, status: 'suspended' });
    expect(suspended.status).toBe('suspended');
    expect((await new RevokedSessionsStore(redis).live()).has(pair.sessionId)).toBe(true);
    await expect(sessions.refresh({ refreshToken: pair.refreshToken })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    await expect(login(target.slug, 'ops@suspend.example')).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    await expect(apiKeys.verify(key.key)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    expect(await auditOf(target.id, 'auth.login')).toContainEqual(expect.objectContaining({ details: expect.objectContaining({ reason: 'tenant_suspended' }) }));
    expect(await auditOf(target.id, 'tenant.status_change')).toContainEqual(
      expect.objectContaining({ details: expect.objectContaining({ from: 'active', to: 'suspended', sessionsEnded: 1, keysCleared: 1, byTenant: platform.tenantId }) }),
    );
    await waitFor(() => events.some((e) => e.tenantId === target.id && e.status === 'suspended'), 5_000, 'the suspension event');

    expect((await tenants.update({ actor: platform, tenantId: target.id, status: 'active' })).status).toBe('active');
    expect((await login(target.slug, 'ops@suspend.example')).accessToken).toEqual(expect.any(String));
    expect((await apiKeys.verify(key.key)).tenantId).toBe(target.id);
    await waitFor(() => events.filter((e) => e.tenantId === target.id).length === 3, 5_000, 'the resume event');
    expect(events.filter((e) => e.tenantId === target.id).map((e) => e.status)).toEqual(['active', 'suspended', 'active']);
  });

  it("refuses a superadmin's suspension of their own tenant and answers an unchanged update without writing", async () => {
    await expect(tenants.update({ actor: platform, tenantId: platform.tenantId, status: 'suspended' })).rejects.toMatchObject({ code: ErrorCode.Conflict });
    const before = await tenants.get({ actor: platform, tenantId: platform.tenantId });
    expect(await tenants.update({ actor: platform, tenantId: platform.tenantId, name: before.name })).toEqual(before);
  });
});
