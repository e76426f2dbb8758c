import { AccessTokenVerifier, DomainException, ErrorCode, permissionsOfRoles, type ActorDto } from '@clarion/contracts';
import { validateEnv } from '@clarion/config';
import { Database, RedisClient, RevokedSessionsStore } from '@clarion/persistence';
import { type AuditEventRow } from './data';
import { NatsConnectionHolder, natsConnectionOptions } from '@clarion/messaging';
import { TestInfra, testLogger } from '@clarion/testing';
import { SignJWT, exportJWK, generateKeyPair, type JSONWebKeySet } from 'jose';
import { spawnSync } from 'node:child_process';
import { createPublicKey, createSecretKey, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ApiKeyService } from './api-keys/api-key.service';
import { genesisHash, unkeyedChainHash, type AuditFields } from './audit/audit-chain';
import { AUDIT_CHAIN_KEYED_ACTION, AuditService } from './audit/audit.service';
import { AuthEnv } from './auth.env';
import { KeyRingService } from './keys/key-ring.service';
import { PasswordHasherService } from './passwords/password-hasher.service';
import { SessionService } from './sessions/session.service';
import { SessionRevocations } from './sessions/session-revocations';
import { AccountUnlockService } from './throttle/account-unlock.service';
import { LoginThrottleService } from './throttle/login-throttle.service';
import { TokenService } from './tokens/token.service';
import { BootstrapAdmin } from './users/bootstrap-admin';
import { PasswordChangeService } from './users/password-change.service';
import { UserService } from './users/user.service';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const STRONG = 'violet-Harbor-quantum-57-lantern';

/** The auth service's logic against the real PostgreSQL (as clarion_app, RLS on) and the real Redis. */
describe('auth service (real PostgreSQL and Redis)', () => {
  const logger = testLogger();
  const env = validateEnv(
    AuthEnv,
    { CLARION_ENV: 'test', DATABASE_URL: TestInfra.serviceUrl('auth'), REDIS_URL: TestInfra.redisUrl, ARGON2_MEMORY_KIB: '8192', LOGIN_LOCKOUT_BASE_S: '1', LOGIN_IP_LIMIT_PER_MIN: '1000', LOGIN_NETWORK_LIMIT_PER_MIN: '1000' },
    'auth-test',
  );
  const db = new Database({ url: env.DATABASE_URL, poolSize: 4, statementTimeoutMs: 10_000, applicationName: 'auth-test' }, logger);
  const redis = new RedisClient(TestInfra.redisUrl, 'auth-test', logger);
  const hasher = new PasswordHasherService(env);
  const audit = new AuditService(db, env, logger);
  const keys = new KeyRingService(db, env, logger);
  const tokens = new TokenService(keys, env);
  const throttle = new LoginThrottleService(redis, env);
  // Never started: revocations go to the revoked set in Redis, and their event goes nowhere (the e2e suites hear it).
  const revocations = new SessionRevocations(redis, new NatsConnectionHolder(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'auth-test' }), logger), env, logger);
  const sessions = new SessionService(db, env, hasher, tokens, throttle, audit, logger, revocations);
  const apiKeys = new ApiKeyService(db, audit, redis, env);
  const users = new UserService(db, hasher, audit, apiKeys, revocations);
  const unlocks = new AccountUnlockService(db, throttle, audit);
  const passwords = new PasswordChangeService(db, hasher, throttle, audit, revocations);
  const verifier = new AccessTokenVerifier({ issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, fetchJwks: async () => ({ keys: await keys.jwks() }) as JSONWebKeySet, minRefreshIntervalMs: 0 });
  const run = randomUUID().slice(0, 8);
  const tenant = `acme-${run}`;
  const otherTenant = `globex-${run}`;
  let adminId = '';
  let tenantId = '';

  const login = (email: string, password: string, sourceIp = '192.0.2.1') => sessions.login({ tenant, email, password, sourceIp, userAgent: 'jest' });
  const adminActor = (): ActorDto => ({ kind: 'user', tenantId, id: adminId, permissions: permissionsOfRoles(['admin']) });

  beforeAll(async () => {
    await db.start();
    redis.start();
    await keys.ensureActiveKey();
    const admin = await users.createAdmin({ tenantSlug: tenant, email: 'Ada@Acme.example', displayName: 'Ada Admin', password: STRONG, roles: ['admin'] });
    adminId = admin.id;
    tenantId = admin.tenantId;
    await users.createAdmin({ tenantSlug: otherTenant, email: 'gus@globex.example', displayName: 'Gus', password: STRONG, roles: ['admin'] });
  });

  afterAll(async () => {
    await redis.close();
    await db.close();
  });

  describe('password policy', () => {
    it.each([
      ['too short', 'Sh0rt!pass'],
      ['a common password', 'password1234'],
      ['made of the user name and email', 'adaadminacme'],
    ])('refuses %s', async (_why, password) => {
      const attempt = users.create({
        actor: adminActor(),
        email: `weak-${randomUUID().slice(0, 6)}@acme.example`,
        displayName: 'Ada Admin',
        roles: ['viewer'],
        password,
      });
      await expect(attempt).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    });

    it('accepts a long unpredictable passphrase and forces a change at first login after an admin sets it', async () => {
      const created = await users.create({ actor: adminActor(), email: 'vic@acme.example', displayName: 'Vic Viewer', roles: ['viewer'], password: STRONG });
      expect(created.mustChangePassword).toBe(true);
      const pair = await login('vic@acme.example', STRONG);
      expect(pair.mustChangePassword).toBe(true);
    });
  });

  describe('login and tokens', () => {
    it('returns a verifiable EdDSA access token with tenant, roles and session', async () => {
      const pair = await login('ADA@acme.example', STRONG);
      const claims = await verifier.verify(pair.accessToken);
      expect(claims).toMatchObject({ sub: adminId, tid: tenantId, roles: ['admin'], sid: pair.sessionId, iss: 'clarion', aud: 'clarion-api' });
      expect(claims.exp - claims.iat).toBe(env.ACCESS_TOKEN_TTL_S);
      expect(pair.refreshToken).toMatch(/^rt_/);
    });

    it('answers an unknown user, an unknown tenant and a wrong password alike, each paying for one argon2 verification', async () => {
      const verify = jest.spyOn(hasher, 'verify');
      const burn = jest.spyOn(hasher, 'burn');
      const attempt = async (fn: () => Promise<unknown>) => {
        verify.mockClear();
        burn.mockClear();
        const started = performance.now();
        const err = (await fn().catch((e: unknown) => e)) as DomainException;
        const ms = performance.now() - started;
        // One real verification (verify with a hash) or one dummy verification of the same cost (burn).
        const argon2Runs = verify.mock.calls.filter(([hash]) => hash !== null).length + burn.mock.calls.length;
        return { err, ms, argon2Runs };
      };
      const paths = {
        unknownUser: () => login('nobody@acme.example', STRONG, '192.0.2.50'),
        wrongPassword: () => login('vic@acme.example', `${STRONG}x`, '192.0.2.51'),
        unknownTenant: () => sessions.login({ tenant: `nope-${run}`, email: 'ada@acme.example', password: STRONG }),
      };
      const results: Record<string, Array<Awaited<ReturnType<typeof attempt>>>> = {};
      for (let round = 0; round < 3; round++) {
        for (const [name, fn] of Object.entries(paths)) (results[name] ??= []).push(await attempt(fn));
      }
      verify.mockRestore();
      burn.mockRestore();
      const message = results['wrongPassword']![0]!.err.message;
      for (const runs of Object.values(results)) {
        for (const r of runs) {
          expect(r.err).toBeInstanceOf(DomainException);
          expect(r.err.code).toBe(ErrorCode.Unauthenticated);
          expect(r.err.message).toBe(message);
          expect(r.argon2Runs).toBe(1);
        }
      }
      // Timing follows from the same work; medians keep a busy machine from deciding the test.
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
      const medians = Object.values(results).map((runs) => median(runs.map((r) => r.ms)));
      expect(Math.min(...medians)).toBeGreaterThan(Math.max(...medians) / 5);
    });
  });

  describe('refresh tokens', () => {
    it('rotates on every use and revokes the whole session when a used token is presented again', async () => {
      const first = await login('ada@acme.example', STRONG);
      const second = await sessions.refresh({ refreshToken: first.refreshToken });
      expect(second.refreshToken).not.toBe(first.refreshToken);
      expect(second.sessionId).toBe(first.sessionId);
      const third = await sessions.refresh({ refreshToken: second.refreshToken });
      // The stolen first token comes back:
      await expect(sessions.refresh({ refreshToken: first.refreshToken })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      // ...and the legitimate holder's newest token no longer works either.
      await expect(sessions.refresh({ refreshToken: third.refreshToken })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      const events = await audit.query({ actor: adminActor(), action: 'auth.refresh_reuse' });
      expect(events.items.some((e) => e.target === first.sessionId && e.outcome === 'denied')).toBe(true);
    });

    it('refuses a made-up refresh token', async () => {
      await expect(sessions.refresh({ refreshToken: `rt_${Buffer.alloc(48, 7).toString('base64url')}` })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });

    it('lists sessions, revokes one, then all, and logout ends a session', async () => {
      const a = await login('ada@acme.example', STRONG);
      const b = await login('ada@acme.example', STRONG);
      const actor = { ...adminActor(), sessionId: a.sessionId };
      const listed = await sessions.list(actor);
      expect(listed.map((s) => s.id)).toEqual(expect.arrayContaining([a.sessionId, b.sessionId]));
      expect(listed.find((s) => s.id === a.sessionId)?.current).toBe(true);
      await sessions.revoke(actor, b.sessionId);
      await expect(sessions.refresh({ refreshToken: b.refreshToken })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      const c = await login('ada@acme.example', STRONG);
      expect(await sessions.logout(c.refreshToken)).toEqual({ revoked: true });
      await expect(sessions.refresh({ refreshToken: c.refreshToken })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      const { revoked } = await sessions.revoke(actor);
      expect(revoked).toBeGreaterThanOrEqual(1);
      await expect(sessions.refresh({ refreshToken: a.refreshToken })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });
  });

  describe('revoked sessions', () => {
    const revoked = () => new RevokedSessionsStore(redis).live();

    it('puts every ended session in the revoked set for as long as its access tokens live: logout, revoke, disable', async () => {
      const one = await login('ada@acme.example', STRONG);
      await sessions.logout(one.refreshToken);
      const until = (await revoked()).get(one.sessionId);
      expect(until).toBeGreaterThan(Date.now() + (env.ACCESS_TOKEN_TTL_S - 5) * 1000);
      const two = await login('ada@acme.example', STRONG);
      await sessions.revoke({ ...adminActor(), sessionId: two.sessionId }, two.sessionId);
      expect((await revoked()).has(two.sessionId)).toBe(true);
      const gil = await users.create({ actor: adminActor(), email: 'gil@acme.example', displayName: 'Gil', roles: ['viewer'], password: STRONG });
      const first = await login('gil@acme.example', STRONG);
      const second = await login('gil@acme.example', STRONG);
      await users.update({ actor: adminActor(), userId: gil.id, status: 'disabled' });
      const set = await revoked();
      expect(set.has(first.sessionId) && set.has(second.sessionId)).toBe(true);
    });
  });

  describe('brute force', () => {
    it('locks an account after 5 failures in the window, refuses even the right password, then releases it', async () => {
      await users.create({ actor: adminActor(), email: 'bob@acme.example', displayName: 'Bob', roles: ['viewer'], password: STRONG });
      for (let i = 0; i < 5; i++) await expect(login('bob@acme.example', 'wrong-password-123')).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      await expect(login('bob@acme.example', STRONG)).rejects.toMatchObject({ code: ErrorCode.RateLimited });
      const lockouts = await audit.query({ actor: adminActor(), action: 'auth.lockout' });
      expect(lockouts.items.some((e) => e.target === 'bob@acme.example')).toBe(true);
      await new Promise((r) => setTimeout(r, 1200)); // LOGIN_LOCKOUT_BASE_S = 1 in this test
      await expect(login('bob@acme.example', STRONG)).resolves.toMatchObject({ tokenType: 'Bearer' });
    });

    it('throttles one source address across accounts', async () => {
      const strict = new LoginThrottleService(redis, { ...env, LOGIN_IP_LIMIT_PER_MIN: 3 } as AuthEnv);
      const ip = `198.51.100.${Math.floor(Math.random() * 200)}`;
      for (let i = 0; i < 3; i++) await strict.assertAllowed(tenantId, `u${i}@acme.example`, ip);
      await expect(strict.assertAllowed(tenantId, 'u9@acme.example', ip)).rejects.toMatchObject({ code: ErrorCode.RateLimited });
    });
  });

  describe('admin user management', () => {
    it('resets a password: the user must change it at next login, old sessions end, a lockout is lifted', async () => {
      const carol = await users.create({ actor: adminActor(), email: 'carol@acme.example', displayName: 'Carol', roles: ['analyst'], password: STRONG });
      const before = await login('carol@acme.example', STRONG);
      for (let i = 0; i < 5; i++) await login('carol@acme.example', 'not-her-password-1').catch(() => undefined);
      const temporary = 'temporary-Orchid-river-8841';
      const reset = await users.resetPassword({ actor: adminActor(), userId: carol.id, temporaryPassword: temporary });
      await unlocks.release(reset.tenantId, reset.email);
      await expect(sessions.refresh({ refreshToken: before.refreshToken })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      const after = await login('carol@acme.example', temporary);
      expect(after.mustChangePassword).toBe(true);
      await passwords.changePassword({ actor: { kind: 'user', tenantId, id: carol.id, permissions: [] }, currentPassword: temporary, newPassword: 'fresh-Meadow-copper-2209' });
      expect((await login('carol@acme.example', 'fresh-Meadow-copper-2209')).mustChangePassword).toBe(false);
    });

    it('gives a session that must change its password no roles until the change, then the roles again', async () => {
      const dan = await users.create({ actor: adminActor(), email: 'dana@acme.example', displayName: 'Dana', roles: ['analyst'], password: STRONG });
      const first = await login('dana@acme.example', STRONG);
      expect(first.mustChangePassword).toBe(true);
      expect((await verifier.verify(first.accessToken)).roles).toEqual([]);
      // Refreshing does not get around it.
      const refreshed = await sessions.refresh({ refreshToken: first.refreshToken });
      expect((await verifier.verify(refreshed.accessToken)).roles).toEqual([]);
      const actor = { kind: 'user' as const, tenantId, id: dan.id, permissions: [], sessionId: first.sessionId };
      await passwords.changePassword({ actor, currentPassword: STRONG, newPassword: 'fresh-Harbour-violet-5120' });
      const after = await sessions.refresh({ refreshToken: refreshed.refreshToken });
      expect(after.mustChangePassword).toBe(false);
      expect((await verifier.verify(after.accessToken)).roles).toEqual(['analyst']);
    });

    it('ends the other sessions of a user who changes their password, and keeps the one that changed it', async () => {
      const eve = await users.create({ actor: adminActor(), email: 'evelyn@acme.example', displayName: 'Evelyn', roles: ['viewer'], password: STRONG });
      const first = await login('evelyn@acme.example', STRONG);
      await passwords.changePassword({ actor: { kind: 'user', tenantId, id: eve.id, permissions: [], sessionId: first.sessionId }, currentPassword: STRONG, newPassword: 'quiet-Lantern-orbit-7731' });
      const laptop = await login('evelyn@acme.example', 'quiet-Lantern-orbit-7731');
      const phone = await login('evelyn@acme.example', 'quiet-Lantern-orbit-7731');
      await passwords.changePassword({ actor: { kind: 'user', tenantId, id: eve.id, permissions: [], sessionId: laptop.sessionId }, currentPassword: 'quiet-Lantern-orbit-7731', newPassword: 'second-Meadow-anchor-4410' });
      await expect(sessions.refresh({ refreshToken: phone.refreshToken })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      await expect(sessions.refresh({ refreshToken: first.refreshToken })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      await expect(sessions.refresh({ refreshToken: laptop.refreshToken })).resolves.toMatchObject({ sessionId: laptop.sessionId });
    });

    it('audits a role change, and disabling a user ends their sessions and their logins', async () => {
      const dan = await users.create({ actor: adminActor(), email: 'dan@acme.example', displayName: 'Dan', roles: ['viewer'], password: STRONG });
      const session = await login('dan@acme.example', STRONG);
      const promoted = await users.update({ actor: adminActor(), userId: dan.id, roles: ['analyst'] });
      expect(promoted.roles).toEqual(['analyst']);
      const changes = await audit.query({ actor: adminActor(), action: 'user.role_change' });
      expect(changes.items.find((e) => e.target === dan.id)?.details).toEqual({ from: ['viewer'], to: ['analyst'], keysNarrowed: 0 });
      await users.update({ actor: adminActor(), userId: dan.id, status: 'disabled' });
      await expect(sessions.refresh({ refreshToken: session.refreshToken })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      await expect(login('dan@acme.example', STRONG)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });

    it('does not let an admin grant superadmin or lock themselves out', async () => {
      await expect(users.update({ actor: adminActor(), userId: adminId, status: 'disabled' })).rejects.toMatchObject({ code: ErrorCode.Conflict });
      const eve = await users.create({ actor: adminActor(), email: 'eve@acme.example', displayName: 'Eve', roles: ['viewer'], password: STRONG });
      await expect(users.update({ actor: adminActor(), userId: eve.id, roles: ['superadmin'] })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    });
  });

  describe('who may change whom', () => {
    it('does not let an admin reset, demote, disable or unlock a superadmin; a superadmin may', async () => {
      const sue = await users.create({
        actor: { ...adminActor(), permissions: permissionsOfRoles(['superadmin']) },
        email: 'sue@acme.example',
        displayName: 'Sue Super',
        roles: ['superadmin'],
        password: STRONG,
      });
      const attempts = [
        users.resetPassword({ actor: adminActor(), userId: sue.id, temporaryPassword: 'temporary-Walnut-sparrow-41' }),
        users.update({ actor: adminActor(), userId: sue.id, roles: ['viewer'] }),
        users.update({ actor: adminActor(), userId: sue.id, status: 'disabled' }),
        unlocks.unlock({ actor: adminActor(), userId: sue.id }),
      ];
      for (const attempt of attempts) await expect(attempt).rejects.toMatchObject({ code: ErrorCode.Forbidden });
      expect((await users.list(adminActor())).find((u) => u.id === sue.id)).toMatchObject({ roles: ['superadmin'], status: 'active', mustChangePassword: true });
      const superActor: ActorDto = { ...adminActor(), id: randomUUID(), permissions: permissionsOfRoles(['superadmin']) };
      await expect(unlocks.unlock({ actor: superActor, userId: sue.id })).resolves.toMatchObject({ id: sue.id });
    });

    it('unlocks a throttled account without touching its password', async () => {
      // A block of ten minutes, so only the unlock can end it within the test.
      const throttle10 = new LoginThrottleService(redis, { ...env, LOGIN_LOCKOUT_BASE_S: 600 } as AuthEnv);
      const sessions10 = new SessionService(db, env, hasher, tokens, throttle10, audit, logger, revocations);
      const unlocks10 = new AccountUnlockService(db, throttle10, audit);
      const attempt = (password: string) => sessions10.login({ tenant, email: 'lou@acme.example', password, sourceIp: '192.0.2.77', userAgent: 'jest' });
      const lou = await users.create({ actor: adminActor(), email: 'lou@acme.example', displayName: 'Lou', roles: ['viewer'], password: STRONG });
      for (let i = 0; i < env.LOGIN_MAX_FAILURES; i++) await attempt(`${STRONG}-wrong`).catch(() => undefined);
      await expect(attempt(STRONG)).rejects.toMatchObject({ code: ErrorCode.RateLimited });
      await unlocks10.unlock({ actor: adminActor(), userId: lou.id });
      await expect(attempt(STRONG)).resolves.toMatchObject({ tokenType: 'Bearer', mustChangePassword: true });
      const unlocked = await audit.query({ actor: adminActor(), action: 'user.unlock' });
      expect(unlocked.items.some((e) => e.target === lou.id)).toBe(true);
    });
  });

  describe('sessions over time and passwords', () => {
    it('refuses a refresh after the idle lifetime, and after the absolute lifetime', async () => {
      const su = new Client({ connectionString: TestInfra.superuserUrl });
      await su.connect();
      try {
        const idle = await login('ada@acme.example', STRONG);
        await su.query(`UPDATE sessions SET idle_expires_at = now() - interval '1 second' WHERE id = $1`, [idle.sessionId]);
        await expect(sessions.refresh({ refreshToken: idle.refreshToken })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
        const absolute = await login('ada@acme.example', STRONG);
        await su.query(`UPDATE sessions SET absolute_expires_at = now() - interval '1 second' WHERE id = $1`, [absolute.sessionId]);
        await expect(sessions.refresh({ refreshToken: absolute.refreshToken })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      } finally {
        await su.end();
      }
    });

    it('changes a password only with the current one', async () => {
      const frank = await users.create({ actor: adminActor(), email: 'frank@acme.example', displayName: 'Frank', roles: ['viewer'], password: STRONG });
      const actor: ActorDto = { kind: 'user', tenantId, id: frank.id, permissions: [] };
      await expect(passwords.changePassword({ actor, currentPassword: 'not-the-current-one', newPassword: 'another-Granite-bicycle-73' })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      await expect(login('frank@acme.example', 'another-Granite-bicycle-73')).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });

    it('creates the first admin from a one-time bootstrap file, and never again once the tenant has users', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'clarion-bootstrap-'));
      const file = join(dir, 'bootstrap.json');
      const slug = `boot-${run}`;
      writeFileSync(file, JSON.stringify({ tenant: slug, email: 'first@boot.example', displayName: 'First Admin', password: STRONG }));
      const bootstrap = new BootstrapAdmin(env, db, users, logger);
      expect(await bootstrap.apply(file)).toBe(true);
      await expect(sessions.login({ tenant: slug, email: 'first@boot.example', password: STRONG })).resolves.toMatchObject({ tokenType: 'Bearer' });
      writeFileSync(file, JSON.stringify({ tenant: slug, email: 'first@boot.example', displayName: 'First Admin', password: 'attacker-Chosen-passphrase-99' }));
      expect(await bootstrap.apply(file)).toBe(false);
      await expect(sessions.login({ tenant: slug, email: 'first@boot.example', password: 'attacker-Chosen-passphrase-99' })).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });
  });

  describe('API keys', () => {
    it('creates a key shown once, verifies it, and refuses it after revocation', async () => {
      const created = await apiKeys.create({ actor: adminActor(), name: 'ci', scopes: ['clusters:read', 'flows:read'] });
      expect(created.key).toMatch(/^clr_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
      expect(await apiKeys.verify(created.key)).toMatchObject({ apiKeyId: created.id, tenantId, permissions: ['clusters:read', 'flows:read'] });
      const tampered = `${created.key.slice(0, -2)}${created.key.endsWith('AA') ? 'BB' : 'AA'}`;
      await expect(apiKeys.verify(tampered)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      await apiKeys.revoke(adminActor(), created.id);
      await expect(apiKeys.verify(created.key)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });

    it('cannot exceed its creator: a viewer-level creator cannot mint a write scope', async () => {
      const analystLike: ActorDto = { ...adminActor(), permissions: [...permissionsOfRoles(['viewer']), 'apikeys:manage'] };
      await expect(apiKeys.create({ actor: analystLike, name: 'too-much', scopes: ['clusters:write'] })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    });

    it('is bounded by its creator: narrowed when the creator is demoted, ended and revoked when the creator is disabled', async () => {
      const kim = await users.create({ actor: adminActor(), email: 'kim@acme.example', displayName: 'Kim', roles: ['admin'], password: STRONG });
      const kimActor: ActorDto = { kind: 'user', tenantId, id: kim.id, permissions: permissionsOfRoles(['admin']) };
      const key = await apiKeys.create({ actor: kimActor, name: 'kim automation', scopes: ['users:manage', 'clusters:read'] });
      expect((await apiKeys.verify(key.key)).permissions).toEqual(['clusters:read', 'users:manage']);
      // A key made with that key belongs to Kim as well.
      const keyActor: ActorDto = { kind: 'api_key', tenantId, id: key.id, permissions: ['users:manage', 'clusters:read', 'apikeys:manage'] };
      const child = await apiKeys.create({ actor: keyActor, name: 'made by a key', scopes: ['clusters:read'] });
      expect(child.createdBy).toBe(kim.id);
      await users.update({ actor: adminActor(), userId: kim.id, roles: ['viewer'] });
      expect((await apiKeys.verify(key.key)).permissions).toEqual(['clusters:read']);
      await users.update({ actor: adminActor(), userId: kim.id, status: 'disabled' });
      await expect(apiKeys.verify(key.key)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      await expect(apiKeys.verify(child.key)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
      const listed = await apiKeys.list(adminActor());
      expect(listed.filter((k) => k.createdBy === kim.id).every((k) => k.revokedAt !== null)).toBe(true);
      const disabled = await audit.query({ actor: adminActor(), action: 'user.status_change' });
      expect(disabled.items.find((e) => e.target === kim.id)?.details).toMatchObject({ to: 'disabled', keysRevoked: 2 });
    });

    it('lives at most API_KEY_MAX_LIFETIME_DAYS: that is the default expiry, and a later one is refused', async () => {
      const created = await apiKeys.create({ actor: adminActor(), name: 'default life', scopes: ['flows:read'] });
      const days = (Date.parse(created.expiresAt ?? '') - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(env.API_KEY_MAX_LIFETIME_DAYS - 0.01);
      expect(days).toBeLessThanOrEqual(env.API_KEY_MAX_LIFETIME_DAYS);
      const tooLate = new Date(Date.now() + (env.API_KEY_MAX_LIFETIME_DAYS + 2) * 86_400_000).toISOString();
      await expect(apiKeys.create({ actor: adminActor(), name: 'forever', scopes: ['flows:read'], expiresAt: tooLate })).rejects.toMatchObject({
        code: ErrorCode.ValidationFailed,
        details: [{ field: 'expiresAt', message: `must be within ${env.API_KEY_MAX_LIFETIME_DAYS} days` }],
      });
    });

    it('refuses an expired key', async () => {
      const created = await apiKeys.create({ actor: adminActor(), name: 'short', scopes: ['flows:read'], expiresAt: new Date(Date.now() + 1500).toISOString() });
      await new Promise((r) => setTimeout(r, 1600));
      await expect(apiKeys.verify(created.key)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });
  });

  describe('signing keys and forged tokens', () => {
    it('keeps tokens signed before a rotation valid, and signs new ones with the new key', async () => {
      const before = await login('ada@acme.example', STRONG);
      const newKid = await keys.rotate();
      const after = await login('ada@acme.example', STRONG);
      const header = (t: string) => JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()) as { kid: string };
      expect(header(after.accessToken).kid).toBe(newKid);
      expect(header(before.accessToken).kid).not.toBe(newKid);
      await expect(verifier.verify(before.accessToken)).resolves.toMatchObject({ sub: adminId });
      await expect(verifier.verify(after.accessToken)).resolves.toMatchObject({ sub: adminId });
    });

    const forge = async (mutate: (jwt: SignJWT) => SignJWT, opts: { key?: 'own' | 'real'; kid?: string } = {}) => {
      const real = await keys.activeKey();
      const base = new SignJWT({ tid: tenantId, roles: ['admin'], sid: randomUUID() })
        .setProtectedHeader({ alg: 'EdDSA', kid: opts.kid ?? real.kid, typ: 'at+jwt' })
        .setIssuer(env.AUTH_ISSUER)
        .setAudience(env.AUTH_AUDIENCE)
        .setSubject(adminId)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime('10m');
      const key = opts.key === 'own' ? (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey : real.privateKey;
      return mutate(base).sign(key);
    };

    it('accepts a correctly signed token (control)', async () => {
      await expect(verifier.verify(await forge((j) => j))).resolves.toMatchObject({ tid: tenantId });
    });

    it('refuses alg none', async () => {
      const real = await keys.activeKey();
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const token = `${b64({ alg: 'none', kid: real.kid, typ: 'at+jwt' })}.${b64({ sub: adminId, tid: tenantId, roles: ['admin'], sid: randomUUID(), iss: env.AUTH_ISSUER, aud: env.AUTH_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600, iat: Math.floor(Date.now() / 1000), jti: 'x' })}.`;
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });

    it('refuses HS256 signed with the public key as the secret', async () => {
      const jwk = (await keys.jwks())[0]!;
      const publicPem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      const token = await new SignJWT({ tid: tenantId, roles: ['admin'], sid: randomUUID() })
        .setProtectedHeader({ alg: 'HS256', kid: jwk.kid, typ: 'at+jwt' })
        .setIssuer(env.AUTH_ISSUER)
        .setAudience(env.AUTH_AUDIENCE)
        .setSubject(adminId)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime('10m')
        .sign(createSecretKey(Buffer.from(String(publicPem))));
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });

    it('refuses a token signed by another key under a real kid', async () => {
      await expect(verifier.verify(await forge((j) => j, { key: 'own' }))).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });

    it('refuses a token whose kid is unknown', async () => {
      const { publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      expect(await exportJWK(publicKey)).toBeDefined();
      await expect(verifier.verify(await forge((j) => j, { key: 'own', kid: randomUUID() }))).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });

    it('refuses an expired token', async () => {
      const token = await forge((j) => j.setIssuedAt(Math.floor(Date.now() / 1000) - 3600).setExpirationTime(Math.floor(Date.now() / 1000) - 60));
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated, message: 'the token has expired' });
    });

    it('refuses a token for another audience', async () => {
      await expect(verifier.verify(await forge((j) => j.setAudience('someone-else')))).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });

    it("refuses a token presented for another tenant's resources", async () => {
      const pair = await login('ada@acme.example', STRONG);
      await expect(verifier.verify(pair.accessToken, randomUUID())).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    });
  });

  describe('audit log', () => {
    const superuser = () => new Client({ connectionString: TestInfra.superuserUrl });

    it('records authentication events with actor, outcome, address and user agent', async () => {
      await login('ada@acme.example', STRONG, '203.0.113.9');
      const page = await audit.query({ actor: adminActor(), action: 'auth.login', outcome: 'success', limit: 1 });
      expect(page.items[0]).toMatchObject({ actorType: 'user', actorId: adminId, target: 'ada@acme.example', sourceIp: '203.0.113.9', userAgent: 'jest' });
    });

    it('pages newest first with a cursor', async () => {
      const first = await audit.query({ actor: adminActor(), limit: 2 });
      const second = await audit.query({ actor: adminActor(), limit: 2, cursor: first.nextCursor ?? undefined });
      expect(first.items).toHaveLength(2);
      expect(second.items[0]!.seq).toBeLessThan(first.items[1]!.seq);
    });

    it('cannot be changed or deleted by the application role', async () => {
      await expect(db.withTenant(tenantId, (m) => m.query(`UPDATE audit_events SET action = 'x' WHERE seq = 1`))).rejects.toThrow(/permission denied|append-only/);
      await expect(db.withTenant(tenantId, (m) => m.query(`DELETE FROM audit_events WHERE seq = 1`))).rejects.toThrow(/permission denied|append-only/);
    });

    it('is refused by the trigger even for the table owner', async () => {
      const owner = new Client({ connectionString: TestInfra.ownerUrl });
      await owner.connect();
      try {
        await owner.query(`SELECT set_config('app.tenant_id', $1, false)`, [tenantId]);
        await expect(owner.query(`UPDATE audit_events SET action = 'x' WHERE tenant_id = $1 AND seq = 1`, [tenantId])).rejects.toThrow(/append-only/);
      } finally {
        await owner.end();
      }
    });

    it('verifies intact, then detects one changed row and one deleted row', async () => {
      expect(await audit.verify(tenantId)).toMatchObject({ ok: true });
      const su = superuser();
      await su.connect();
      try {
        await su.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update');
        await su.query(`UPDATE audit_events SET action = 'tampered' WHERE tenant_id = $1 AND seq = 2`, [tenantId]);
        const changed = await audit.verify(tenantId);
        expect(changed).toMatchObject({ ok: false, brokenAt: 2 });
        expect(changed.reason).toMatch(/changed/);
        const other = (await su.query(`SELECT id FROM tenants WHERE slug = $1`, [otherTenant])).rows[0].id as string;
        await login('gus@globex.example', STRONG).catch(() => undefined);
        await sessions.login({ tenant: otherTenant, email: 'gus@globex.example', password: STRONG });
        await su.query(`DELETE FROM audit_events WHERE tenant_id = $1 AND seq = 2`, [other]);
        const deleted = await audit.verify(other);
        expect(deleted).toMatchObject({ ok: false, brokenAt: 2 });
      } finally {
        await su.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update');
        await su.end();
      }
    });

    /** A tenant of its own with a few events, for the tests that rewrite its chain. */
    async function tenantWithEvents(name: string): Promise<string> {
      const slug = `${name}-${run}`;
      const admin = await users.createAdmin({ tenantSlug: slug, email: `root@${slug}.example`, displayName: 'Root', password: STRONG, roles: ['admin'] });
      for (let i = 0; i < 3; i++) await sessions.login({ tenant: slug, email: `root@${slug}.example`, password: STRONG, sourceIp: '192.0.2.7' });
      return admin.tenantId;
    }

    /**
     * What a database writer without the audit key can do, as the superuser: disable the append-only trigger, change
     * one event, recompute the hash of it and of every later event up to `to` by the unkeyed rule (marking them
     * unkeyed), and move the chain head to match when the last event was rewritten.
     */
    async function rewriteUnkeyed(tenant: string, from: number, change: Record<string, unknown>, to = Number.MAX_SAFE_INTEGER): Promise<void> {
      const su = superuser();
      await su.connect();
      try {
        await su.query('BEGIN');
        await su.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update');
        const rows = (await su.query(AUDIT_ROWS, [tenant])).rows as AuditEventRow[];
        let prev = from > 1 ? rows[from - 2]!.hash : genesisHash(tenant);
        for (const row of rows.filter((r) => r.seq >= from && r.seq <= to)) {
          const { chainVersion: _v, keyId: _k, prevHash: _p, hash: _h, ...fields } = row;
          const rewritten = { ...fields, ...(row.seq === from ? change : {}) } as AuditFields;
          const hash = unkeyedChainHash(prev, rewritten);
          await su.query(`UPDATE audit_events SET action = $3, chain_version = 1, key_id = NULL, prev_hash = $4, hash = $5 WHERE tenant_id = $1 AND seq = $2`, [
            tenant,
            row.seq,
            rewritten.action,
            prev,
            hash,
          ]);
          prev = hash;
        }
        if (to >= rows.length) await su.query(`UPDATE audit_chain_heads SET hash = $2 WHERE tenant_id = $1`, [tenant, prev]);
        await su.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update');
        await su.query('COMMIT');
      } finally {
        await su.end();
      }
    }

    it('detects a row changed by a database writer who recomputes the unkeyed hashes, as the service and as `audit verify`', async () => {
      const tenant = await tenantWithEvents('rewritten');
      const slug = `rewritten-${run}`;
      expect(await audit.verify(tenant)).toMatchObject({ ok: true, unkeyedEvents: 0 });
      expect(cli(['audit', 'verify', '--tenant', slug])).toMatchObject({ status: 0, stdout: expect.stringMatching(new RegExp(`^ok\\s+${slug}: \\d+ events, chain intact \\(audit keys [0-9a-f]{16}; head \\d+:[0-9a-f]{64}\\)`)) });

      // From event 2 on: the keyed event 1 remains, and unkeyed events may not follow a keyed one.
      await rewriteUnkeyed(tenant, 2, { action: 'tampered' });
      const changed = await audit.verify(tenant);
      expect(changed).toMatchObject({ ok: false, brokenAt: 2 });
      expect(changed.reason).toMatch(/unkeyed but follows keyed events/);
      // From event 1 on: nothing keyed is left, so nothing anchors the recomputed chain.
      await rewriteUnkeyed(tenant, 1, { action: 'tampered' });
      const whole = await audit.verify(tenant);
      expect(whole).toMatchObject({ ok: false });
      expect(whole.reason).toMatch(/no keyed event follows them/);
      const verified = cli(['audit', 'verify', '--tenant', slug]);
      expect(verified.status).toBe(1);
      expect(verified.stdout).toMatch(new RegExp(`^BROKEN\\s+${slug}: events 1-\\d+ are unkeyed`));
    });

    it('verifies events written before the audit key by the old rule once a keyed event seals them, and detects a rewrite of them', async () => {
      // The chain as the release before the key left it: every event unkeyed (the same rewrite, with nothing changed).
      const tenant = await tenantWithEvents('legacy');
      await rewriteUnkeyed(tenant, 1, {});
      const unsealed = await audit.verify(tenant);
      expect(unsealed).toMatchObject({ ok: false, unkeyedEvents: unsealed.events });
      expect(await audit.sealUnkeyedChain(tenant)).toBe(true);
      expect(await audit.sealUnkeyedChain(tenant)).toBe(false);
      const sealed = await audit.verify(tenant);
      expect(sealed).toMatchObject({ ok: true, unkeyedEvents: unsealed.events, events: unsealed.events + 1 });
      const seal = (await audit.query({ actor: { ...adminActor(), tenantId: tenant }, action: AUDIT_CHAIN_KEYED_ACTION })).items;
      expect(seal).toEqual([expect.objectContaining({ actorType: 'system', outcome: 'success', details: { unkeyedEvents: unsealed.events, unkeyedChainIntact: true, keyId: sealed.keyIds[0] } })]);
      // New events are keyed and follow.
      await sessions.login({ tenant: `legacy-${run}`, email: `root@legacy-${run}.example`, password: STRONG });
      expect(await audit.verify(tenant)).toMatchObject({ ok: true, unkeyedEvents: unsealed.events });

      // An unkeyed event changed and the unkeyed hashes after it recomputed: the seal no longer follows.
      await rewriteUnkeyed(tenant, 2, { action: 'tampered' }, unsealed.events);
      expect(await audit.verify(tenant)).toMatchObject({ ok: false, brokenAt: unsealed.events + 1 });
    });

    it('verifies the events of a rotated key with AUDIT_PREVIOUS_KEYS, and names the key it lacks without it', async () => {
      const tenant = await tenantWithEvents('rotated');
      const rotatedKey = 'rotated-audit-key-0123456789abcdef0123';
      const rotated = new AuditService(db, Object.assign(new AuthEnv(), env, { AUDIT_KEY: rotatedKey, AUDIT_PREVIOUS_KEYS: env.AUDIT_KEY }), logger);
      await rotated.record({ tenantId: tenant, actorType: 'system', action: 'test.after_rotation', outcome: 'success' });
      const both = await rotated.verify(tenant);
      expect(both).toMatchObject({ ok: true });
      expect(both.keyIds).toHaveLength(2);
      const newOnly = new AuditService(db, Object.assign(new AuthEnv(), env, { AUDIT_KEY: rotatedKey, AUDIT_PREVIOUS_KEYS: undefined }), logger);
      const missing = await newOnly.verify(tenant);
      expect(missing).toMatchObject({ ok: false, brokenAt: 1 });
      expect(missing.reason).toContain(`audit key ${both.keyIds[0]}, which is neither AUDIT_KEY nor in AUDIT_PREVIOUS_KEYS`);
      // And the service on the old key alone cannot verify the event the new key sealed.
      expect(await audit.verify(tenant)).toMatchObject({ ok: false, brokenAt: both.events });
    });
  });
});

const AUDIT_ROWS = `SELECT tenant_id AS "tenantId", seq::int AS seq, occurred_at AS "occurredAt", actor_type AS "actorType", actor_id AS "actorId", action, target,
  outcome, source_ip AS "sourceIp", user_agent AS "userAgent", trace_id AS "traceId", details, chain_version AS "chainVersion", key_id AS "keyId",
  prev_hash AS "prevHash", hash FROM audit_events WHERE tenant_id = $1 ORDER BY seq`;

/** `npm run clarion -- ...` (the built CLI) against the test database, as the auth service's role. */
function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [resolve(__dirname, '../../../dist/apps/auth/src/cli/clarion-cli.js'), ...args], {
    env: { PATH: process.env['PATH'] ?? '', CLARION_ENV: 'test', DATABASE_URL: TestInfra.serviceUrl('auth'), LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
}
