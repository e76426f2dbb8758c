import { DomainException, ErrorCode, permissionsOfRoles, type ActorDto } from '@clarion/contracts';
import { validateEnv } from '@clarion/config';
import { Database, RedisClient } from '@clarion/persistence';
import { TestInfra, testLogger } from '@clarion/testing';
import { NatsConnectionHolder, natsConnectionOptions } from '@clarion/messaging';
import { randomInt, randomUUID } from 'node:crypto';
import { ApiKeyService } from '../api-keys/api-key.service';
import { SessionRevocations } from '../sessions/session-revocations';
import { AuditService } from '../audit/audit.service';
import { AuthEnv } from '../auth.env';
import { KeyRingService } from '../keys/key-ring.service';
import { PasswordHasherService } from '../passwords/password-hasher.service';
import { SessionService } from '../sessions/session.service';
import { TokenService } from '../tokens/token.service';
import { PasswordChangeService } from '../users/password-change.service';
import { UserService } from '../users/user.service';
import { AccountUnlockService } from './account-unlock.service';
import { LoginThrottleService } from './login-throttle.service';

const STRONG = 'violet-Harbor-quantum-57-lantern';
const WRONG = 'not-the-password-at-all-1';

/** What a caller sees of one attempt: the code, and the wait a refusal announces. */
interface Answer {
  code: string;
  retryAfterSeconds?: number;
}

/** Sign-in throttling against the real Redis (and the real PostgreSQL behind the login it guards). */
describe('login throttling (real Redis)', () => {
  const logger = testLogger();
  const baseEnv = validateEnv(
    AuthEnv,
    { CLARION_ENV: 'test', DATABASE_URL: TestInfra.serviceUrl('auth'), REDIS_URL: TestInfra.redisUrl, ARGON2_MEMORY_KIB: '8192', LOGIN_IP_LIMIT_PER_MIN: '1000', LOGIN_NETWORK_LIMIT_PER_MIN: '1000' },
    'throttle-test',
  );
  const db = new Database({ url: baseEnv.DATABASE_URL, poolSize: 4, statementTimeoutMs: 10_000, applicationName: 'throttle-test' }, logger);
  const redis = new RedisClient(TestInfra.redisUrl, 'throttle-test', logger);
  const hasher = new PasswordHasherService(baseEnv);
  const audit = new AuditService(db, baseEnv, logger);
  const keys = new KeyRingService(db, baseEnv, logger);
  const tokens = new TokenService(keys, baseEnv);
  const revocations = new SessionRevocations(redis, new NatsConnectionHolder(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'throttle-test' }), logger), baseEnv, logger);
  const users = new UserService(db, hasher, audit, new ApiKeyService(db, audit, redis, baseEnv), revocations);
  const run = randomUUID().slice(0, 8);
  const tenant = `throttle-${run}`;
  let tenantId = '';
  let adminId = '';

  /** A throttle and the login it guards, with some limits changed. */
  const stack = (overrides: Partial<AuthEnv> = {}) => {
    const env = { ...baseEnv, ...overrides } as AuthEnv;
    const throttle = new LoginThrottleService(redis, env);
    return {
      env,
      throttle,
      sessions: new SessionService(db, env, hasher, tokens, throttle, audit, logger, revocations),
      unlocks: new AccountUnlockService(db, throttle, audit),
      passwords: new PasswordChangeService(db, hasher, throttle, audit, revocations),
    };
  };
  /** A /24 of the benchmarking range (RFC 2544) no other test of this run uses, so address limits start empty. */
  const freshNetwork = () => `198.${18 + randomInt(2)}.${randomInt(256)}`;
  const answerOf = async (attempt: Promise<unknown>): Promise<Answer> => {
    try {
      await attempt;
      return { code: 'OK' };
    } catch (err) {
      if (!(err instanceof DomainException)) throw err;
      const retry = (err.details ?? []).find((d) => d.field === 'retryAfterSeconds');
      return retry ? { code: err.code, retryAfterSeconds: Number(retry.message) } : { code: err.code };
    }
  };
  const newUser = async (name: string) => {
    const email = `${name}-${run}@throttle.example`;
    const user = await users.create({ actor: adminActor(), email, displayName: name, roles: ['viewer'], password: STRONG });
    return { ...user, email };
  };
  const adminActor = (): ActorDto => ({ kind: 'user', tenantId, id: adminId, permissions: permissionsOfRoles(['admin']) });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    await db.start();
    redis.start();
    await keys.ensureActiveKey();
    const admin = await users.createAdmin({ tenantSlug: tenant, email: `admin-${run}@throttle.example`, displayName: 'Admin', password: STRONG, roles: ['admin'] });
    tenantId = admin.tenantId;
    adminId = admin.id;
  });

  afterAll(async () => {
    await redis.close();
    await db.close();
  });

  it("blocks an attacker's address for the account while the owner still signs in from another address", async () => {
    const { sessions } = stack();
    const owner = await newUser('owner');
    const attacker = `${freshNetwork()}.66`;
    const home = `${freshNetwork()}.10`;
    const login = (password: string, sourceIp: string) => sessions.login({ tenant, email: owner.email, password, sourceIp });
    for (let i = 0; i < 5; i++) expect(await answerOf(login(WRONG, attacker))).toEqual({ code: ErrorCode.Unauthenticated });
    // Even the right password is refused from the attacker's address now, without being checked.
    expect(await answerOf(login(STRONG, attacker))).toEqual({ code: ErrorCode.RateLimited, retryAfterSeconds: 30 });
    await expect(login(STRONG, home)).resolves.toMatchObject({ tokenType: 'Bearer' });
    // The owner's success lifts nothing for the attacker.
    expect(await answerOf(login(STRONG, attacker))).toMatchObject({ code: ErrorCode.RateLimited });
    const lockouts = await audit.query({ actor: adminActor(), action: 'auth.lockout' });
    expect(lockouts.items.some((e) => e.target === owner.email && e.sourceIp === attacker)).toBe(true);
  });

  it('answers an unknown tenant and an unknown user exactly like a real account, 429s and waits included', async () => {
    const { sessions } = stack({ LOGIN_LOCKOUT_BASE_S: 1 });
    const real = await newUser('real');
    const targets = {
      realAccount: { tenant, email: real.email },
      unknownUser: { tenant, email: `ghost-${run}@throttle.example` },
      unknownTenant: { tenant: `no-such-tenant-${run}`, email: real.email },
    };
    const sequenceFor = async (target: { tenant: string; email: string }): Promise<Answer[]> => {
      const sourceIp = `${freshNetwork()}.7`;
      const attempt = (password: string) => answerOf(sessions.login({ ...target, password, sourceIp }));
      const answers: Answer[] = [];
      for (let i = 0; i < 5; i++) answers.push(await attempt(WRONG));
      answers.push(await attempt(STRONG));
      await sleep(1100);
      answers.push(await attempt(WRONG), await attempt(STRONG));
      return answers;
    };
    const [realAccount, unknownUser, unknownTenant] = await Promise.all(Object.values(targets).map(sequenceFor));
    const unauthenticated = { code: ErrorCode.Unauthenticated };
    // The real account is asked the wrong password, then the right one, while blocked: it never gets in.
    expect(realAccount).toEqual([
      ...Array<Answer>(5).fill(unauthenticated),
      { code: ErrorCode.RateLimited, retryAfterSeconds: 1 },
      unauthenticated,
      { code: ErrorCode.RateLimited, retryAfterSeconds: 2 },
    ]);
    expect(unknownUser).toEqual(realAccount);
    expect(unknownTenant).toEqual(realAccount);
  });

  it('blocks the address longer after each further failure, up to LOGIN_LOCKOUT_MAX_S', async () => {
    const { throttle } = stack({ LOGIN_MAX_FAILURES: 3, LOGIN_LOCKOUT_BASE_S: 10, LOGIN_LOCKOUT_MAX_S: 45 });
    const email = `grow-${run}@throttle.example`;
    const sourceIp = `${freshNetwork()}.9`;
    const locks = [];
    for (let i = 0; i < 6; i++) locks.push(await throttle.recordFailure(tenant, email, sourceIp));
    expect(locks.map((l) => l.retryAfterSeconds)).toEqual([0, 0, 10, 20, 40, 45]);
    expect(await answerOf(throttle.assertAllowed(tenant, email, sourceIp))).toEqual({ code: ErrorCode.RateLimited, retryAfterSeconds: 45 });
  });

  it("forgets an address's consecutive failures when the right password comes from it", async () => {
    const { sessions } = stack();
    const user = await newUser('forgetful');
    const sourceIp = `${freshNetwork()}.12`;
    const login = (password: string) => answerOf(sessions.login({ tenant, email: user.email, password, sourceIp }));
    for (let i = 0; i < 4; i++) expect(await login(WRONG)).toEqual({ code: ErrorCode.Unauthenticated });
    expect(await login(STRONG)).toEqual({ code: 'OK' });
    for (let i = 0; i < 4; i++) expect(await login(WRONG)).toEqual({ code: ErrorCode.Unauthenticated });
    expect(await login(STRONG)).toEqual({ code: 'OK' });
    // Counting starts again from the success: the fifth failure since then blocks.
    for (let i = 0; i < 5; i++) await login(WRONG);
    expect(await login(STRONG)).toMatchObject({ code: ErrorCode.RateLimited });
  });

  it('lets an admin unlock a user from every address without changing the password, and no one else', async () => {
    const { sessions, unlocks } = stack();
    const user = await newUser('unlocked');
    const addresses = [`${freshNetwork()}.1`, `${freshNetwork()}.2`];
    const login = (password: string, sourceIp: string) => answerOf(sessions.login({ tenant, email: user.email, password, sourceIp }));
    for (const sourceIp of addresses) for (let i = 0; i < 5; i++) await login(WRONG, sourceIp);
    for (const sourceIp of addresses) expect(await login(STRONG, sourceIp)).toMatchObject({ code: ErrorCode.RateLimited });
    const viewer: ActorDto = { kind: 'user', tenantId, id: user.id, permissions: permissionsOfRoles(['viewer']) };
    await expect(unlocks.unlock({ actor: viewer, userId: user.id })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(unlocks.unlock({ actor: adminActor(), userId: randomUUID() })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(unlocks.unlock({ actor: adminActor(), userId: user.id })).resolves.toMatchObject({ id: user.id, email: user.email });
    for (const sourceIp of addresses) expect(await login(STRONG, sourceIp)).toEqual({ code: 'OK' });
    const events = await audit.query({ actor: adminActor(), action: 'user.unlock' });
    // Failures and blocks of both addresses, and the account's count across addresses.
    expect(events.items.find((e) => e.target === user.id)?.details).toEqual({ removed: 5 });
  });

  it('throttles guesses of the current password at a password change like logins, on the same counts', async () => {
    const { sessions, passwords } = stack();
    const user = await newUser('changer');
    const sourceIp = `${freshNetwork()}.44`;
    const actor: ActorDto = { kind: 'user', tenantId, id: user.id, permissions: [], sourceIp };
    const change = (currentPassword: string) => answerOf(passwords.changePassword({ actor, currentPassword, newPassword: 'brand-New-orchard-lamp-6120' }));
    for (let i = 0; i < 3; i++) expect(await change(WRONG)).toEqual({ code: ErrorCode.Unauthenticated });
    // Two more failed logins from the same address make five consecutive failures of this account there.
    for (let i = 0; i < 2; i++) await answerOf(sessions.login({ tenant, email: user.email, password: WRONG, sourceIp }));
    expect(await change(STRONG)).toEqual({ code: ErrorCode.RateLimited, retryAfterSeconds: 30 });
    expect(await answerOf(sessions.login({ tenant, email: user.email, password: STRONG, sourceIp }))).toMatchObject({ code: ErrorCode.RateLimited });
    // From another address the user still changes it.
    const elsewhere: ActorDto = { ...actor, sourceIp: `${freshNetwork()}.45` };
    await expect(passwords.changePassword({ actor: elsewhere, currentPassword: STRONG, newPassword: 'brand-New-orchard-lamp-6120' })).resolves.toEqual({ changed: true });
  });

  it('limits attempts per network across accounts and addresses, IPv4 /24 and IPv6 /48', async () => {
    const { throttle } = stack({ LOGIN_NETWORK_LIMIT_PER_MIN: 3 });
    const v4 = freshNetwork();
    const v6 = `2001:db8:${randomInt(0x10000).toString(16)}`;
    for (const [network, addressAt] of [
      [v4, (i: number) => `${v4}.${i + 1}`],
      [v6, (i: number) => `${v6}:${i + 1}::5`],
    ] as const) {
      for (let i = 0; i < 3; i++) await throttle.assertAllowed(tenant, `spray${i}-${run}@throttle.example`, addressAt(i));
      const refused = await answerOf(throttle.assertAllowed(tenant, `spray9-${run}@throttle.example`, addressAt(9)));
      expect({ network, code: refused.code }).toEqual({ network, code: ErrorCode.RateLimited });
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    // A neighbouring network has its own allowance.
    await expect(throttle.assertAllowed(tenant, `spray9-${run}@throttle.example`, `${freshNetwork()}.1`)).resolves.toBeUndefined();
  });

  it('counts every address of an IPv6 /64 as one address', async () => {
    const { throttle } = stack({ LOGIN_IP_LIMIT_PER_MIN: 2 });
    const subnet = `2001:db8:${randomInt(0x10000).toString(16)}:${randomInt(0x10000).toString(16)}`;
    await throttle.assertAllowed(tenant, `a-${run}@throttle.example`, `${subnet}::1`);
    await throttle.assertAllowed(tenant, `b-${run}@throttle.example`, `${subnet}:aaaa::2`);
    expect(await answerOf(throttle.assertAllowed(tenant, `c-${run}@throttle.example`, `${subnet}:bbbb:cccc:dddd:3`))).toMatchObject({ code: ErrorCode.RateLimited });
  });

  it('slows an account attacked from many addresses for at most its short window, without blocking any of them', async () => {
    const { throttle } = stack({ LOGIN_ACCOUNT_FAILURE_LIMIT: 4, LOGIN_ACCOUNT_FAILURE_WINDOW_S: 10 });
    const email = `spread-${run}@throttle.example`;
    const addresses = Array.from({ length: 4 }, (_, i) => `${freshNetwork()}.${i + 1}`);
    for (const sourceIp of addresses) expect(await throttle.recordFailure(tenant, email, sourceIp)).toEqual({ locked: false, retryAfterSeconds: 0 });
    const refused = await answerOf(throttle.assertAllowed(tenant, email, `${freshNetwork()}.99`));
    expect(refused.code).toBe(ErrorCode.RateLimited);
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(10);
    // Other accounts from the same addresses are not affected.
    await expect(throttle.assertAllowed(tenant, `bystander-${run}@throttle.example`, addresses[0])).resolves.toBeUndefined();
  });

  it('keeps email addresses and tenant slugs out of Redis', async () => {
    const { throttle } = stack();
    const email = `secret-${run}@throttle.example`;
    for (let i = 0; i < 6; i++) await throttle.recordFailure(tenant, email, `${freshNetwork()}.3`);
    const stored: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.client.scan(cursor, 'MATCH', 'auth:login:*', 'COUNT', 1000);
      stored.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.filter((k) => k.includes(run))).toEqual([]);
  });

  it('refuses sign-in with DEPENDENCY_UNAVAILABLE, not a 500, while Redis cannot be reached', async () => {
    const unreachable = new RedisClient('redis://127.0.0.1:1', 'throttle-test-down', logger);
    const throttle = new LoginThrottleService(unreachable, baseEnv);
    await expect(throttle.assertAllowed(tenant, `x-${run}@throttle.example`, '192.0.2.1')).rejects.toMatchObject({ code: ErrorCode.DependencyUnavailable });
    await expect(throttle.recordFailure(tenant, `x-${run}@throttle.example`, '192.0.2.1')).rejects.toMatchObject({ code: ErrorCode.DependencyUnavailable });
    await unreachable.close();
  });
});
