import { REDIS_IDENTITIES, REDIS_KEYSPACES, SERVICE_NAMES, redisAclOf, redisKeyPatternOf, type RedisIdentity } from '@clarion/contracts';
import {
  deployedRedisAclFile,
  ensureRedisCredentials,
  fillRedisAclTemplate,
  redisPasswordHashOf,
  redisPasswordPlaceholderOf,
  renderRedisAclFile,
  type RedisPasswordHashes,
} from '@clarion/persistence';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const passwordsOf = (tag: string) => Object.fromEntries(REDIS_IDENTITIES.map((identity) => [identity, `${tag}-${identity}`])) as Record<RedisIdentity, string>;

describe('deploy/redis/users.acl', () => {
  const committed = readFileSync(join(ROOT, 'deploy/redis/users.acl'), 'utf8');

  it('is what libs/contracts renders (regenerate with: npm run redis-acl -- config)', () => {
    expect(committed).toBe(deployedRedisAclFile());
  });

  it('becomes, its placeholders filled with the hashes of real passwords, the file rendered with those passwords', () => {
    const passwords = passwordsOf('pw');
    const hashes = Object.fromEntries(REDIS_IDENTITIES.map((identity) => [identity, [redisPasswordHashOf(passwords[identity])]])) as RedisPasswordHashes;
    expect(fillRedisAclTemplate(committed, passwords)).toBe(renderRedisAclFile(hashes));
    for (const identity of REDIS_IDENTITIES) expect(committed.split(redisPasswordPlaceholderOf(identity)).length).toBe(2);
  });

  it('has only user lines (the format has no comments), the default user off and no service with every key, channel or command', () => {
    const lines = committed.trimEnd().split('\n');
    expect(lines.every((line) => line.startsWith('user '))).toBe(true);
    expect(lines[0]).toBe('user default reset');
    for (const service of SERVICE_NAMES) {
      const line = lines.find((l) => l.startsWith(`user ${service} `)) ?? '';
      expect(line).toMatch(new RegExp(`^user ${service} reset on #@${service.toUpperCase()}_PASSWORD_SHA256@ `));
      expect(line.split(' ').filter((rule) => /^(~\*|&|allkeys|allchannels|allcommands|\+@|%\w*~\*$)/.test(rule))).toEqual([]);
    }
  });

  it('keeps the key families apart: no family’s pattern covers another family’s keys', () => {
    const families = Object.entries(REDIS_KEYSPACES).map(([name, keyspace]) => ({ name, pattern: redisKeyPatternOf(keyspace), sample: 'key' in keyspace ? keyspace.key : `${keyspace.prefix}:x` }));
    const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    for (const a of families) for (const b of families) if (a !== b) expect({ pattern: a.pattern, covers: b.name, matches: glob(a.pattern).test(b.sample) }).toEqual({ pattern: a.pattern, covers: b.name, matches: false });
  });

  it('refuses a password hash that is not one', () => {
    const hashes = Object.fromEntries(REDIS_IDENTITIES.map((identity) => [identity, [redisPasswordHashOf(identity)]])) as RedisPasswordHashes;
    expect(() => renderRedisAclFile({ ...hashes, gateway: ['secret on ~* +@all'] })).toThrow(/gateway: not a SHA-256 password hash/);
    expect(() => renderRedisAclFile({ ...hashes, auth: [redisPasswordPlaceholderOf('gateway')] })).toThrow(/auth: not a SHA-256/);
  });

  it('gives the operator everything and the three services without keys only the connection commands', () => {
    expect(redisAclOf('operator').all).toBe(true);
    for (const service of ['ingest', 'clustering', 'retention'] as const) expect(redisAclOf(service)).toEqual({ all: false, commands: ['ping', 'info', 'client|setname', 'select'], keys: [] });
  });
});

describe('ensureRedisCredentials (npm run redis-acl -- render)', () => {
  let dir = '';
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'clarion-redis-acl-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const hashesIn = (file: string, identity: RedisIdentity): string[] =>
    [...(readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`user ${identity} `)) ?? '').matchAll(/#([0-9a-f]{64})/g)].map((m) => m[1]);

  it('writes a URL per identity (0600, its own user, a fresh hex password) and users.acl with their hashes', () => {
    const credentials = ensureRedisCredentials(join(dir, 'out'), { address: 'redis.internal:6380', tls: true });
    expect(statSync(join(dir, 'out')).mode & 0o777).toBe(0o700);
    const passwords = new Set<string>();
    for (const identity of REDIS_IDENTITIES) {
      const url = new URL(credentials.url(identity));
      expect([url.protocol, url.username, url.host]).toEqual(['rediss:', identity, 'redis.internal:6380']);
      expect(url.password).toMatch(/^[0-9a-f]{64}$/);
      passwords.add(url.password);
      expect(statSync(credentials.urlFile(identity)).mode & 0o777).toBe(0o600);
      expect(hashesIn(credentials.aclFile, identity)).toEqual([redisPasswordHashOf(url.password)]);
    }
    expect(passwords.size).toBe(REDIS_IDENTITIES.length);
    expect(statSync(credentials.aclFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(credentials.aclFile, 'utf8')).toBe(fillRedisAclTemplate(deployedRedisAclFile(), Object.fromEntries(REDIS_IDENTITIES.map((i) => [i, new URL(credentials.url(i)).password])) as Record<RedisIdentity, string>));
  });

  it('keeps the passwords and the address between runs, and rotates one with the old hash kept until it is retired', () => {
    const first = ensureRedisCredentials(dir, { address: 'redis:6379' });
    const before = Object.fromEntries(REDIS_IDENTITIES.map((i) => [i, first.url(i)]));
    const again = ensureRedisCredentials(dir);
    for (const identity of REDIS_IDENTITIES) expect(again.url(identity)).toBe(before[identity]);

    ensureRedisCredentials(dir, { rotate: ['gateway'] });
    const rotated = new URL(again.url('gateway'));
    expect(rotated.host).toBe('redis:6379');
    expect(rotated.password).not.toBe(new URL(before['gateway']).password);
    expect(hashesIn(first.aclFile, 'gateway')).toEqual([redisPasswordHashOf(rotated.password), redisPasswordHashOf(new URL(before['gateway']).password)]);
    expect(again.url('auth')).toBe(before['auth']);
    // A run in between keeps both, until the old one is retired.
    ensureRedisCredentials(dir);
    expect(hashesIn(first.aclFile, 'gateway')).toHaveLength(2);
    ensureRedisCredentials(dir, { retirePrevious: true });
    expect(hashesIn(first.aclFile, 'gateway')).toEqual([redisPasswordHashOf(rotated.password)]);
  });
});
