/**
 * The Redis ACL users against a real redis-server running the rendered users.acl (libs/testing RedisServerProcess):
 * every service connects as its own user and runs its own code (the gateway's rate limits, hot-read cache, API-key
 * cache, flag cache and revoked-session reads; auth's sign-in throttle, SSO state, tombstones and revocations;
 * the others' readiness PING) without one refusal in the server's ACL LOG, and every identity is then tried on every
 * key family and on the commands no service may run, against a matrix written here: a permission added to or taken
 * from redisAclOf, or a new key family, fails this test until the matrix says so.
 */
import { ErrorCode, REDIS_KEYSPACES, SERVICE_NAMES, featureFlagCacheKey, type ServiceName } from '@clarion/contracts';
import { validateEnv } from '@clarion/config';
import { ApiKeyCache, Database, RedisClient, RevokedSessionsStore, ensureRedisCredentials } from '@clarion/persistence';
import { RedisServerProcess, TestInfra, testLogger } from '@clarion/testing';
import { randomUUID } from 'node:crypto';
import { createConnection } from 'node:net';
import { AuthEnv } from '../../apps/auth/src/auth.env';
import { SsoStateStore } from '../../apps/auth/src/sso/sso-state.store';
import { LoginThrottleService } from '../../apps/auth/src/throttle/login-throttle.service';
import { HotReadCache } from '../../apps/gateway/src/cache/hot-read-cache';
import { FeatureFlagService } from '../../apps/gateway/src/flags/feature-flag.service';
import { GatewayEnv } from '../../apps/gateway/src/gateway.env';
import { RateLimiter, rateLimitKey } from '../../apps/gateway/src/rate-limit/rate-limiter';

type Operation = 'read' | 'write' | 'delete';
type Family = keyof typeof REDIS_KEYSPACES | 'elsewhere';

/** A key of each family and the commands that read, write and delete it (by the family's type). */
const FAMILIES: Record<Family, { key: string; read: string[]; write: string[]; delete: string[] }> = {
  rateLimits: { key: 'rl:v1:ip:198.51.100.7', read: ['HMGET', 'c'], write: ['HSET', 'c', '1'], delete: ['DEL'] },
  hotReads: { key: 'hot:v1:gen:matrix', read: ['GET'], write: ['SET', '1'], delete: ['DEL'] },
  featureFlags: { key: 'flags:v1:matrix', read: ['GET'], write: ['SET', '[]'], delete: ['DEL'] },
  apiKeyCache: { key: 'apikey:v2:matrix0001', read: ['GET'], write: ['SET', 'revoked'], delete: ['DEL'] },
  revokedSessions: { key: 'clarion:revoked-sessions:v1', read: ['ZRANGEBYSCORE', '-inf', '+inf'], write: ['ZADD', '1', 'matrix'], delete: ['DEL'] },
  loginThrottle: { key: 'auth:login:fail:matrix', read: ['GET'], write: ['SET', '1'], delete: ['DEL'] },
  ssoState: { key: 'auth:sso:state:matrix', read: ['GET'], write: ['SET', '{}'], delete: ['DEL'] },
  elsewhere: { key: 'somebody-else:key', read: ['GET'], write: ['SET', '1'], delete: ['DEL'] },
};

/** What each service may do, by family (r read, w write, d delete); anything not listed must be refused. */
const MATRIX: Record<ServiceName, Partial<Record<Family, string>>> = {
  gateway: { rateLimits: 'rwd', hotReads: 'rwd', featureFlags: 'rwd', apiKeyCache: 'rwd', revokedSessions: 'r' },
  auth: { apiKeyCache: 'wd', revokedSessions: 'wd', loginThrottle: 'rwd', ssoState: 'rwd' },
  ingest: {},
  clustering: {},
  retention: {},
};

/** Commands no service may run (administration, every key at once, Pub/Sub, persistence, replication). */
const FORBIDDEN: string[][] = [
  ['FLUSHALL'],
  ['FLUSHDB'],
  ['KEYS', '*'],
  ['RANDOMKEY'],
  ['CONFIG', 'GET', '*'],
  ['CONFIG', 'SET', 'appendonly', 'yes'],
  ['ACL', 'LIST'],
  ['ACL', 'SETUSER', 'intruder', 'on', '>x', '+@all', '~*'],
  ['ACL', 'LOAD'],
  ['CLIENT', 'LIST'],
  ['CLIENT', 'KILL', 'ID', '1'],
  ['SCRIPT', 'FLUSH'],
  ['FUNCTION', 'FLUSH'],
  ['PUBLISH', 'clarion', 'x'],
  ['BGSAVE'],
  ['REPLICAOF', 'NO', 'ONE'],
  ['MIGRATE', '127.0.0.1', '1', 'rl:v1:x', '0', '100'],
  ['OBJECT', 'ENCODING', 'rl:v1:x'],
  ['COPY', 'apikey:v2:matrix0001', 'apikey:v2:copy'],
  ['RENAME', 'apikey:v2:matrix0001', 'apikey:v2:moved'],
];

/**
 * Commands on one fresh connection that never authenticated, as RESP arrays; their one-line replies
 * (`+OK`, `-WRONGPASS ...`). A client library would give up on a connection whose first command is refused.
 */
function rawCommands(port: number, commands: string[][]): Promise<string[]> {
  const encoded = commands.map((args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`).join('');
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write(encoded));
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      const lines = received.split('\r\n').slice(0, -1);
      if (lines.length >= commands.length) {
        socket.destroy();
        resolve(lines.slice(0, commands.length));
      }
    });
    socket.on('error', reject);
  });
}

/** NOPERM, or (for a command inside a script, Redis 7.0) the script error that says the same. */
const isRefusal = (err: Error): boolean => /^NOPERM |^ERR The user executing the script can't (run this command|access)/.test(err.message);

describe('Redis ACL users (a real redis-server with the rendered users.acl)', () => {
  const logger = testLogger();
  const server = new RedisServerProcess({ acl: true });
  const clients = new Map<string, RedisClient>();
  const clientOf = (identity: ServiceName | 'operator'): RedisClient => {
    const client = clients.get(identity);
    if (!client) throw new Error(`no client for ${identity}`);
    return client;
  };
  const operator = () => clientOf('operator').client;
  const tally = { tried: 0, refused: 0, allowed: 0 };

  /** One command as an identity: 'allowed', 'refused' by the ACL, or the test fails on any other error. */
  async function attempt(identity: ServiceName, args: string[]): Promise<'allowed' | 'refused'> {
    tally.tried += 1;
    try {
      await clientOf(identity).client.call(args[0], ...args.slice(1));
      return 'allowed';
    } catch (err) {
      if (isRefusal(err as Error)) return 'refused';
      throw new Error(`${identity} ${args.join(' ')}: ${(err as Error).message}`);
    }
  }

  beforeAll(async () => {
    await server.start();
    for (const identity of [...SERVICE_NAMES, 'operator'] as const) {
      const client = new RedisClient(server.urlOf(identity), `clarion-${identity}`, logger);
      client.start();
      clients.set(identity, client);
    }
    for (const client of clients.values()) await waitUntilReady(client);
    await operator().call('ACL', 'LOG', 'RESET');
  });

  afterAll(async () => {
    for (const client of clients.values()) await client.close();
    await server.stop();
    console.log(`Redis ACL: identities x key families x operations, and forbidden commands: ${tally.tried} tried, ${tally.refused} refused as expected, ${tally.allowed} allowed as expected`);
  });

  it('lets every service run its own code without a single refusal in the ACL LOG', async () => {
    const gateway = clientOf('gateway');
    const auth = clientOf('auth');

    // Gateway: the sliding window and the two-bucket admission (scripts: EVALSHA/EVAL, TIME, HMGET, HSET, PEXPIRE).
    const limiter = new RateLimiter(gateway);
    expect((await limiter.hit('ip:192.0.2.1', 5, 60)).allowed).toBe(true);
    const limits = { addressBucketKey: rateLimitKey('ip:192.0.2.1'), principalBucketKey: rateLimitKey('principal:t:user:u'), windowMs: 60_000, addressLimit: 5, principalLimit: 5 };
    expect(await limiter.admit(limits)).toEqual({});

    // Gateway: a hot read admitted and missed, stored, found, and dropped by the tenant's invalidation.
    const hot = new HotReadCache(gateway.client, 60, undefined, 0);
    const tenantId = randomUUID();
    const admitted = await hot.admitAndLookup(tenantId, 'GET /clusters', limits);
    if (!admitted || admitted.refused) throw new Error(`hot read not admitted: ${JSON.stringify(admitted)}`);
    expect(admitted.lookup.hit).toBeUndefined();
    await hot.store(admitted.lookup, { etag: 'W/"one"', body: '[]' });
    expect((await hot.lookup(tenantId, 'GET /clusters'))?.hit).toEqual({ etag: 'W/"one"', body: '[]' });
    await hot.invalidate(tenantId);
    expect((await hot.lookup(tenantId, 'GET /clusters'))?.hit).toBeUndefined();

    // Gateway: the feature-flag cache (filled from PostgreSQL as the gateway's role, then read back from Redis).
    const gatewayEnv = validateEnv(GatewayEnv, { CLARION_ENV: 'test', REDIS_URL: server.urlOf('gateway') }, 'redis-acl-test');
    const db = new Database({ url: TestInfra.serviceUrl('gateway'), poolSize: 1, statementTimeoutMs: 10_000, applicationName: 'redis-acl-test' }, logger);
    try {
      await db.start();
      const flags = new FeatureFlagService(db, gateway, gatewayEnv, logger);
      const listed = await flags.list(tenantId);
      expect(await gateway.client.get(featureFlagCacheKey(tenantId))).toBe(JSON.stringify(listed));
      expect(await flags.list(tenantId)).toEqual(listed);
    } finally {
      await db.close();
    }

    // Gateway caches a verified API key; auth tombstones it (SET EX in MULTI) and the gateway no longer finds it.
    const apiKey = `clr_acl${randomUUID().slice(0, 8).replace(/-/g, '')}_secret-part`;
    const prefix = /^clr_([a-z0-9]+)_/.exec(apiKey)?.[1] ?? '';
    const principal = { apiKeyId: randomUUID(), tenantId, permissions: ['clusters:read'], expiresAt: null };
    const cache = new ApiKeyCache(gateway, 30, ApiKeyCache.macKeyFrom('a signing key only the gateways hold'));
    await cache.put(apiKey, principal);
    expect(await cache.get(apiKey)).toEqual(principal);
    await ApiKeyCache.tombstone(auth, [prefix]);
    expect(await cache.get(apiKey)).toBeNull();
    await cache.put(apiKey, principal);
    expect(await cache.get(apiKey)).toBeNull();

    // Auth ends a session (ZADD and trimming, in MULTI); the gateway reads it.
    const sessionId = randomUUID();
    await new RevokedSessionsStore(auth).add([sessionId], Date.now() + 60_000);
    expect((await new RevokedSessionsStore(gateway).live()).has(sessionId)).toBe(true);

    // Auth: sign-in throttling up to a block, a success, and an admin's unlock (script, MULTI, DEL, SCAN).
    const authEnv = validateEnv(AuthEnv, { CLARION_ENV: 'test', REDIS_URL: server.urlOf('auth'), LOGIN_MAX_FAILURES: '2' }, 'redis-acl-test');
    const throttle = new LoginThrottleService(auth, authEnv);
    await throttle.assertAllowed('acme', 'ada@example.com', '203.0.113.9');
    await throttle.recordFailure('acme', 'ada@example.com', '203.0.113.9');
    expect((await throttle.recordFailure('acme', 'ada@example.com', '203.0.113.9')).locked).toBe(true);
    await expect(throttle.assertAllowed('acme', 'ada@example.com', '203.0.113.9')).rejects.toMatchObject({ code: ErrorCode.RateLimited });
    await throttle.recordSuccess('acme', 'ada@example.com', '203.0.113.10');
    expect(await throttle.unlockAccount('acme', 'ada@example.com')).toBeGreaterThan(0);
    await throttle.assertAllowed('acme', 'ada@example.com', '203.0.113.9');

    // Auth: a pending SSO sign-in, taken once.
    const sso = new SsoStateStore(auth);
    const pending = { tenantId, issuer: 'https://idp.example', clientId: 'clarion', redirectUri: 'https://clarion.example/cb', nonce: 'n', codeVerifier: 'v' };
    await sso.put('state-1', pending);
    expect(await sso.take('state-1')).toEqual(pending);
    expect(await sso.take('state-1')).toBeNull();

    // Every service: the readiness check.
    for (const name of SERVICE_NAMES) await clientOf(name).check();

    expect(await operator().call('ACL', 'LOG')).toEqual([]);
  });

  it.each(SERVICE_NAMES)('gives %s exactly its key families and operations, and refuses it the rest', async (name) => {
    const outcomes: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const [family, spec] of Object.entries(FAMILIES) as Array<[Family, (typeof FAMILIES)[Family]]>) {
      for (const operation of ['read', 'write', 'delete'] as Operation[]) {
        const [command, ...rest] = spec[operation];
        const label = `${family} ${operation}`;
        outcomes[label] = await attempt(name, [command, spec.key, ...rest]);
        expected[label] = MATRIX[name][family]?.includes(operation[0]) ? 'allowed' : 'refused';
      }
    }
    expect(outcomes).toEqual(expected);
    for (const outcome of Object.values(outcomes)) tally[outcome === 'allowed' ? 'allowed' : 'refused'] += 1;
  });

  it('covers every key family libs/contracts declares, with the pattern the code builds its keys under', () => {
    expect(Object.keys(FAMILIES).filter((f) => f !== 'elsewhere')).toEqual(Object.keys(REDIS_KEYSPACES));
    for (const [family, keyspace] of Object.entries(REDIS_KEYSPACES)) {
      const key = FAMILIES[family as Family].key;
      expect({ family, inside: 'key' in keyspace ? key === keyspace.key : key.startsWith(`${keyspace.prefix}:`) }).toEqual({ family, inside: true });
    }
  });

  it.each(SERVICE_NAMES)('refuses %s every administrative, keyspace-wide, Pub/Sub and replication command', async (name) => {
    const allowed: string[] = [];
    for (const args of FORBIDDEN) if ((await attempt(name, args)) === 'allowed') allowed.push(args.join(' '));
    expect(allowed).toEqual([]);
    tally.refused += FORBIDDEN.length;
  });

  it('runs no script beyond what its caller may do: a script cannot flush, nor touch another service’s keys', async () => {
    const scripts: Array<[ServiceName, string, string[]]> = [
      ['gateway', "return redis.call('FLUSHALL')", ['0']],
      ['gateway', "return redis.call('SET', 'auth:login:block:x', '1')", ['0']],
      ['gateway', "return redis.call('ZADD', KEYS[1], 1, 'forged')", ['1', 'clarion:revoked-sessions:v1']],
      ['gateway', "return redis.call('GET', KEYS[1])", ['1', 'auth:sso:state:x']],
      ['auth', "return redis.call('GET', KEYS[1])", ['1', 'apikey:v2:matrix0001']],
      ['auth', "return redis.call('HSET', 'rl:v1:ip:x', 'c', 0)", ['0']],
      ['auth', "return redis.call('KEYS', '*')", ['0']],
    ];
    const outcomes = [];
    for (const [name, body, args] of scripts) outcomes.push(`${name}: ${await attempt(name, ['EVAL', body, ...args])}`);
    expect(outcomes).toEqual(scripts.map(([name]) => `${name}: refused`));
    tally.refused += scripts.length;
    const others = ['ingest', 'clustering', 'retention'] as const;
    for (const name of others) expect(await attempt(name, ['EVAL', 'return 1', '0'])).toBe('refused');
    tally.refused += others.length;
  });

  it('knows no default user and no password but each identity’s own', async () => {
    const gatewayPassword = new URL(server.urlOf('gateway')).password;
    const answers = await rawCommands(server.port, [
      ['PING'],
      ['AUTH', 'anything'],
      ['AUTH', 'default', ''],
      ['AUTH', 'auth', gatewayPassword],
      ['AUTH', 'operator', gatewayPassword],
      ['AUTH', 'gateway', gatewayPassword],
    ]);
    expect(answers.map((a) => a.split(' ')[0])).toEqual(['-NOAUTH', '-WRONGPASS', '-WRONGPASS', '-WRONGPASS', '-WRONGPASS', '+OK']);
    tally.tried += 5;
    tally.refused += 5;
  });

  it('rotates a password without a gap: old and new both work until the old one is retired', async () => {
    const dir = server.credentials!.dir;
    const old = new URL(server.urlOf('gateway'));
    ensureRedisCredentials(dir, { rotate: ['gateway'] });
    const fresh = new URL(server.urlOf('gateway'));
    expect(fresh.password).not.toBe(old.password);
    const signIn = async (url: URL) => (await rawCommands(server.port, [['AUTH', url.username, url.password]]))[0];
    // ACL LOAD replaces every user, and Redis then closes their connections: the services reconnect at once.
    const operatorUrl = new URL(server.urlOf('operator'));
    const load = () => rawCommands(server.port, [['AUTH', 'operator', operatorUrl.password], ['ACL', 'LOAD']]);
    expect(await load()).toEqual(['+OK', '+OK']);
    expect([await signIn(old), await signIn(fresh)]).toEqual(['+OK', '+OK']);
    // The running gateway, still on its old URL, is back within its reconnect delay.
    await eventually(() => clientOf('gateway').check());
    ensureRedisCredentials(dir, { retirePrevious: true });
    expect(await load()).toEqual(['+OK', '+OK']);
    expect([await signIn(old), await signIn(fresh)]).toEqual([expect.stringMatching(/^-WRONGPASS/), '+OK']);
    tally.tried += 1;
    tally.refused += 1;
  });

  async function eventually(check: () => Promise<void>, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await check();
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async function waitUntilReady(client: RedisClient): Promise<void> {
    const deadline = Date.now() + 5000;
    while (client.client.status !== 'ready') {
      if (Date.now() > deadline) throw new Error(`Redis client not ready (${client.client.status})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
});
