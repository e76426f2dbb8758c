import { REDIS_IDENTITIES, redisAclRulesOf, type RedisIdentity } from '@clarion/contracts';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Redis ACL file of a deployment: one user per identity with exactly the permissions of `redisAclRulesOf`
 * (libs/contracts), a password known only by its SHA-256 (`#<hex>`), and the default user off. Redis reads it at
 * start and on `ACL LOAD`. The committed deploy/redis/users.acl is this with a placeholder for each hash (compose
 * fills them in from its password secrets when Redis starts); `ensureRedisCredentials` writes a deployment's own.
 * The format has no comments: deploy/redis/README.md says what the file is.
 */
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** What stands for an identity's password hash in the committed file. */
export const redisPasswordPlaceholderOf = (identity: RedisIdentity): string => `@${identity.toUpperCase()}_PASSWORD_SHA256@`;

/** The SHA-256 of a password, as a Redis ACL file holds it. */
export const redisPasswordHashOf = (password: string): string => createHash('sha256').update(password, 'utf8').digest('hex');

/**
 * Per identity the hashes it may authenticate with (two while its password is being rotated), or its placeholder.
 * An identity with none cannot sign in.
 */
export type RedisPasswordHashes = Record<RedisIdentity, string[]>;

export function renderRedisAclFile(hashes: RedisPasswordHashes): string {
  // The default user (what a client that never authenticates is) is switched off and may do nothing.
  const lines = ['user default reset'];
  for (const identity of REDIS_IDENTITIES) {
    const passwords = hashes[identity].map((hash) => {
      if (!SHA256_HEX.test(hash) && hash !== redisPasswordPlaceholderOf(identity)) throw new Error(`${identity}: not a SHA-256 password hash`);
      return `#${hash}`;
    });
    lines.push(['user', identity, 'reset', passwords.length ? 'on' : 'off', ...passwords, ...redisAclRulesOf(identity)].join(' '));
  }
  return `${lines.join('\n')}\n`;
}

/** The committed deploy/redis/users.acl: every hash a placeholder. */
export const deployedRedisAclFile = (): string =>
  renderRedisAclFile(Object.fromEntries(REDIS_IDENTITIES.map((identity) => [identity, [redisPasswordPlaceholderOf(identity)]])) as RedisPasswordHashes);

/** The committed file with each placeholder replaced by the hash of that identity's password (what compose's Redis does). */
export function fillRedisAclTemplate(template: string, passwords: Record<RedisIdentity, string>): string {
  let filled = template;
  for (const identity of REDIS_IDENTITIES) filled = filled.split(redisPasswordPlaceholderOf(identity)).join(redisPasswordHashOf(passwords[identity]));
  return filled;
}

export interface RedisCredentialOptions {
  /** `host:port` the services reach Redis at (default: what the existing URL files say, else 127.0.0.1:6379). */
  address?: string;
  /** `rediss://` URLs (default: what the existing URL files say). */
  tls?: boolean;
  /** Identities that get a new password; the old one stays valid (second hash) until `retirePrevious`. */
  rotate?: readonly RedisIdentity[];
  /** Forget the passwords kept by an earlier rotation. */
  retirePrevious?: boolean;
}

/**
 * A deployment's Redis credentials in one directory: per identity `<identity>.redis_url` (mode 0600; the service's
 * REDIS_URL, the only place its password is kept), during a rotation `<identity>.previous.redis_url`, and
 * `users.acl` for redis-server (hashes only).
 */
export interface RedisCredentialFiles {
  dir: string;
  aclFile: string;
  urlFile(identity: RedisIdentity): string;
  url(identity: RedisIdentity): string;
}

function writeSecret(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

const urlFileOf = (dir: string, identity: RedisIdentity, previous = false): string => join(dir, `${identity}${previous ? '.previous' : ''}.redis_url`);
const readUrl = (path: string): URL | undefined => (existsSync(path) ? new URL(readFileSync(path, 'utf8').trim()) : undefined);

/**
 * Makes what is missing in `dir` (a password per identity, kept across runs), applies `rotate` and `retirePrevious`,
 * and writes every URL file and users.acl again from the passwords now held.
 */
export function ensureRedisCredentials(dir: string, options: RedisCredentialOptions = {}): RedisCredentialFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const existing = REDIS_IDENTITIES.map((identity) => readUrl(urlFileOf(dir, identity))).find((url) => url !== undefined);
  const address = options.address ?? existing?.host ?? '127.0.0.1:6379';
  const scheme = (options.tls ?? existing?.protocol === 'rediss:') ? 'rediss' : 'redis';
  const hashes = {} as Record<RedisIdentity, string[]>;
  for (const identity of REDIS_IDENTITIES) {
    const current = urlFileOf(dir, identity);
    const previous = urlFileOf(dir, identity, true);
    if (options.retirePrevious) rmSync(previous, { force: true });
    if (options.rotate?.includes(identity) && existsSync(current)) renameSync(current, previous);
    const password = readUrl(current)?.password ?? randomBytes(32).toString('hex');
    writeSecret(current, `${scheme}://${identity}:${password}@${address}\n`);
    const kept = readUrl(previous)?.password;
    hashes[identity] = [redisPasswordHashOf(decodeURIComponent(password)), ...(kept ? [redisPasswordHashOf(decodeURIComponent(kept))] : [])];
  }
  const aclFile = join(dir, 'users.acl');
  writeSecret(aclFile, renderRedisAclFile(hashes));
  return {
    dir,
    aclFile,
    urlFile: (identity) => urlFileOf(dir, identity),
    url: (identity) => readFileSync(urlFileOf(dir, identity), 'utf8').trim(),
  };
}
