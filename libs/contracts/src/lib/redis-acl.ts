import { SERVICE_NAMES, type ServiceName } from './services';

/**
 * Who may touch what in Redis: every key family Clarion uses, who reads and who writes it, and the commands each
 * service's code sends, in one place. The code builds its keys from `REDIS_KEYSPACES`; `tools/redis-acl` renders
 * `redisAclOf` into Redis ACL users (deploy/redis/users.acl; a test compares the two), and an integration test
 * against a real redis-server with that file connects as every service, runs its code, and tries every other key.
 *
 * Redis checks a script's commands and keys as it runs them (as the user who called EVAL/EVALSHA), so allowing
 * scripts widens nothing: a script may do only what its caller may.
 */
export type RedisKeyAccess = 'read' | 'write' | 'read-write';

/** A family of keys: one exact key, or every key under `<prefix>:`. */
export type RedisKeyspace = ({ prefix: string; key?: undefined } | { key: string; prefix?: undefined }) & {
  /** Who may read or write it; a service not listed has no access at all. */
  access: Partial<Record<ServiceName, RedisKeyAccess>>;
};

export const REDIS_KEYSPACES = {
  /** The gateway's sliding-window rate limits, one hash per bucket (`rl:v1:ip:<address>`, `rl:v1:principal:...`). */
  rateLimits: { prefix: 'rl:v1', access: { gateway: 'read-write' } },
  /** The gateway's hot-read cache: entries `hot:v1:e:<tenant>:<generation>:<digest>`, generations `hot:v1:gen:<tenant>`. */
  hotReads: { prefix: 'hot:v1', access: { gateway: 'read-write' } },
  /** The gateway's cache of a tenant's feature flags (`flags:v1:<tenant>`). */
  featureFlags: { prefix: 'flags:v1', access: { gateway: 'read-write' } },
  /**
   * Verified API keys (`apikey:v2:<prefix>`): gateways read and fill them (SET NX), auth only writes tombstones; it
   * never needs to read one, so it may not.
   */
  apiKeyCache: { prefix: 'apikey:v2', access: { gateway: 'read-write', auth: 'write' } },
  /** Ended sessions (a sorted set): auth adds and trims them, gateways only read them. */
  revokedSessions: { key: 'clarion:revoked-sessions:v1', access: { auth: 'write', gateway: 'read' } },
  /** Sign-in throttling (rate-limiter-flexible's counters and blocks: `auth:login:<limiter>:<account>[:<address>]`). */
  loginThrottle: { prefix: 'auth:login', access: { auth: 'read-write' } },
  /** Pending SSO sign-ins by the hash of their state (`auth:sso:state:<hash>`). */
  ssoState: { prefix: 'auth:sso:state', access: { auth: 'read-write' } },
} as const satisfies Record<string, RedisKeyspace>;

export type RedisKeyspaceName = keyof typeof REDIS_KEYSPACES;

/** The glob pattern of a key family, as the ACL and SCAN write it. */
export const redisKeyPatternOf = (keyspace: RedisKeyspace): string => (keyspace.key !== undefined ? keyspace.key : `${keyspace.prefix}:*`);

/** The users Redis knows: one per service, and the operator's (ACL administration, health checks, maintenance). */
export const REDIS_IDENTITIES = [...SERVICE_NAMES, 'operator'] as const;
export type RedisIdentity = (typeof REDIS_IDENTITIES)[number];

/**
 * What every connection sends: AUTH (always allowed), CLIENT SETNAME (ioredis' `connectionName`), INFO (ioredis'
 * ready check, which waits while Redis loads its data; it reads no key), PING (readiness) and SELECT (a database
 * number in REDIS_URL; the key patterns hold in every database).
 */
const CONNECTION_COMMANDS = ['ping', 'info', 'client|setname', 'select'];

/** The commands each service's code sends, beyond the connection's, with where they come from. */
const SERVICE_COMMANDS: Record<ServiceName, string[]> = {
  gateway: [
    // Rate-limit and hot-read scripts (ioredis defineCommand: EVALSHA, EVAL once per connection) and what they call.
    'evalsha',
    'eval',
    'time',
    'hmget',
    'hset',
    'pexpire',
    // Hot-read entries and generations, the API-key cache (GET, SET NX EX), the feature-flag cache (GET, SET EX, DEL).
    'get',
    'set',
    'incr',
    'del',
    // The revoked sessions, read every few seconds.
    'zrangebyscore',
  ],
  auth: [
    // rate-limiter-flexible: its increment script (SET NX EX, INCRBY, PTTL, EXPIRE), reads and blocks in MULTI, DEL;
    // unlocking an account finds its per-address entries with SCAN.
    'evalsha',
    'eval',
    'multi',
    'exec',
    'get',
    'set',
    'incrby',
    'pttl',
    'expire',
    'del',
    'scan',
    // SSO state: SET EX, then GETDEL (taken once).
    'getdel',
    // Revoked sessions: ZADD and trimming expired ones, in one MULTI; API-key tombstones are SET EX in a MULTI.
    'zadd',
    'zremrangebyscore',
  ],
  // Redis is only a readiness dependency of these three: they connect and PING.
  ingest: [],
  clustering: [],
  retention: [],
};

/** One identity's ACL: the commands it may run and the keys it may touch (nothing else: no channels). */
export interface RedisAcl {
  /** `all`: every command and key (the operator). */
  all: boolean;
  commands: string[];
  keys: Array<{ pattern: string; access: RedisKeyAccess }>;
}

export function redisAclOf(identity: RedisIdentity): RedisAcl {
  if (identity === 'operator') return { all: true, commands: [], keys: [] };
  const keys = Object.values(REDIS_KEYSPACES as Record<string, RedisKeyspace>).flatMap((keyspace) => {
    const access = keyspace.access[identity];
    return access ? [{ pattern: redisKeyPatternOf(keyspace), access }] : [];
  });
  return { all: false, commands: [...CONNECTION_COMMANDS, ...SERVICE_COMMANDS[identity]], keys };
}

const SELECTOR: Record<RedisKeyAccess, string> = { read: '%R~', write: '%W~', 'read-write': '~' };

/**
 * The permissions of an identity in Redis 7 ACL syntax: its commands and a key selector per family (`~` read and
 * write, `%R~` read only, `%W~` write only). The ACL file puts them after `reset` (no password, command, key or
 * channel), `on` and the passwords, so whatever is not listed here is refused, Pub/Sub included.
 */
export function redisAclRulesOf(identity: RedisIdentity): string[] {
  const acl = redisAclOf(identity);
  if (acl.all) return ['~*', '&*', '+@all'];
  return [...acl.commands.map((c) => `+${c}`), ...acl.keys.map((k) => `${SELECTOR[k.access]}${k.pattern}`)];
}
