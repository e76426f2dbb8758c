/**
 * `npm run bench:auth`: throughput of the auth paths on this machine, against the real PostgreSQL and Redis
 * (database `clarion`, migrated; a throw-away tenant per run).
 *
 * - login_per_s: full password logins (tenant lookup, throttle check in Redis, argon2id verify, session + refresh
 *   token rows, access token signing, audit append), 2 in flight (2 cores).
 * - refresh_per_s: refresh-token rotations (lookup, reuse check, new token, audit append), 8 in flight.
 * - verify_per_s: local access-token verification (EdDSA, cached JWKS), one core.
 * - apikey_per_s: API-key checks served from the Redis cache (what the gateway does per request), 16 in flight;
 *   apikey_uncached_per_s: the auth service's own check (two queries), 8 in flight.
 * Ends with one JSON line.
 */
import { AccessTokenVerifier, permissionsOfRoles } from '@clarion/contracts';
import { validateEnv } from '@clarion/config';
import { NatsConnectionHolder, natsConnectionOptions } from '@clarion/messaging';
import { createLogger } from '@clarion/observability';
import { ApiKeyCache, Database, RedisClient } from '@clarion/persistence';
import type { JSONWebKeySet } from 'jose';
import { cpus } from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import { ApiKeyService } from '../../../apps/auth/src/api-keys/api-key.service';
import { AuditService } from '../../../apps/auth/src/audit/audit.service';
import { AuthEnv } from '../../../apps/auth/src/auth.env';
import { KeyRingService } from '../../../apps/auth/src/keys/key-ring.service';
import { PasswordHasherService } from '../../../apps/auth/src/passwords/password-hasher.service';
import { SessionRevocations } from '../../../apps/auth/src/sessions/session-revocations';
import { SessionService } from '../../../apps/auth/src/sessions/session.service';
import { LoginThrottleService } from '../../../apps/auth/src/throttle/login-throttle.service';
import { TokenService } from '../../../apps/auth/src/tokens/token.service';
import { UserService } from '../../../apps/auth/src/users/user.service';

async function rate(label: string, seconds: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = w; performance.now() < deadline; i += concurrency) {
        await op(i);
        done++;
      }
    }),
  );
  const perSecond = done / ((performance.now() - started) / 1000);
  console.log(`${label.padEnd(28)} ${perSecond.toFixed(0).padStart(9)} /s   (${done} in ${seconds}s, ${concurrency} in flight)`);
  return perSecond;
}

async function main(): Promise<void> {
  const env = validateEnv(AuthEnv, { ...process.env, LOGIN_IP_LIMIT_PER_MIN: '1000000', LOGIN_NETWORK_LIMIT_PER_MIN: '1000000' }, 'bench-auth');
  const logger = createLogger('bench-auth', 'warn');
  const db = new Database({ url: env.DATABASE_URL, poolSize: 8, statementTimeoutMs: 30_000, applicationName: 'bench-auth' }, logger);
  const redis = new RedisClient(env.REDIS_URL, 'bench-auth', logger);
  await db.start();
  redis.start();
  await new Promise((r) => setTimeout(r, 200));
  const hasher = new PasswordHasherService(env);
  const audit = new AuditService(db, env, logger);
  const keys = new KeyRingService(db, env, logger);
  const tokens = new TokenService(keys, env);
  // Revocations reach Redis; their event goes nowhere (no NATS connection in this in-process bench).
  const revocations = new SessionRevocations(redis, new NatsConnectionHolder(natsConnectionOptions({ servers: env.NATS_URL, name: 'bench-auth' }), logger), env, logger);
  const sessions = new SessionService(db, env, hasher, tokens, new LoginThrottleService(redis, env), audit, logger, revocations);
  const apiKeys = new ApiKeyService(db, audit, redis, env);
  const users = new UserService(db, hasher, audit, apiKeys, revocations);
  await keys.ensureActiveKey();

  const tenant = `bench-${randomUUID().slice(0, 8)}`;
  const password = 'bench-violet-Harbor-quantum-57';
  const admin = await users.createAdmin({ tenantSlug: tenant, email: 'bench@bench.example', displayName: 'Bench', password, roles: ['admin'] });
  const actor = { kind: 'user' as const, tenantId: admin.tenantId, id: admin.id, permissions: permissionsOfRoles(['admin']) };

  console.log(`clarion bench:auth  ${new Date().toISOString()}  ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}  node ${process.version}`);
  console.log(`argon2id m=${env.ARGON2_MEMORY_KIB} KiB t=${env.ARGON2_TIME_COST} p=${env.ARGON2_PARALLELISM}`);
  const hashStarted = performance.now();
  for (let i = 0; i < 10; i++) await hasher.hash(password);
  const hashMs = (performance.now() - hashStarted) / 10;
  console.log(`${'argon2id hash'.padEnd(28)} ${hashMs.toFixed(1).padStart(9)} ms each`);

  const login = () => sessions.login({ tenant, email: 'bench@bench.example', password, sourceIp: '127.0.0.1' });
  const loginPerS = await rate('login', 8, 2, login);

  let current = (await login()).refreshToken;
  const chains = await Promise.all(Array.from({ length: 8 }, async () => (await login()).refreshToken));
  const refreshPerS = await rate('refresh (rotation)', 8, 8, async (i) => {
    const slot = i % 8;
    const next = await sessions.refresh({ refreshToken: chains[slot]! });
    chains[slot] = next.refreshToken;
  });
  current = chains[0]!;

  const access = (await login()).accessToken;
  const verifier = new AccessTokenVerifier({ issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, fetchJwks: async () => ({ keys: await keys.jwks() }) as JSONWebKeySet });
  await verifier.verify(access);
  const verifyPerS = await rate('verify (local JWT)', 5, 1, () => verifier.verify(access));

  const created = await apiKeys.create({ actor, name: 'bench', scopes: ['flows:read', 'clusters:read'] });
  const cache = new ApiKeyCache(redis, 30, randomBytes(32));
  const uncachedPerS = await rate('api key (auth, uncached)', 5, 8, () => apiKeys.verify(created.key));
  const apikeyPerS = await rate('api key (Redis cache)', 5, 16, async () => {
    const hit = await cache.get(created.key);
    if (!hit) await cache.put(created.key, await apiKeys.verify(created.key));
  });

  const figures = {
    login_per_s: Math.round(loginPerS),
    refresh_per_s: Math.round(refreshPerS),
    verify_per_s: Math.round(verifyPerS),
    apikey_per_s: Math.round(apikeyPerS),
    apikey_uncached_per_s: Math.round(uncachedPerS),
    argon2_hash_ms: Number(hashMs.toFixed(1)),
    argon2: { algorithm: 'argon2id', memory_kib: env.ARGON2_MEMORY_KIB, time_cost: env.ARGON2_TIME_COST, parallelism: env.ARGON2_PARALLELISM },
    unused_refresh_token_left: current.length > 0,
  };
  await redis.close();
  await db.close();
  console.log(JSON.stringify(figures));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
