/**
 * `npm run redis-acl -- <command>`: the Redis ACL users of a Clarion deployment (docs/SECURITY.md, "Redis").
 *   config [--check]      write deploy/redis/users.acl from libs/contracts (--check: exit 1 when it differs)
 *   render --out <dir> [--address host:port] [--tls] [--rotate identity,...] [--retire-previous]
 *                         make what is missing in <dir>: a password per identity, kept between runs, in
 *                         <identity>.redis_url (0600: that service's REDIS_URL), and write <dir>/users.acl for
 *                         redis-server (password hashes only). --rotate gives those identities a new password and keeps
 *                         the old one valid; --retire-previous ends the old ones once every service has its new URL
 */
import { REDIS_IDENTITIES, SERVICE_NAMES, type RedisIdentity } from '@clarion/contracts';
import { deployedRedisAclFile, ensureRedisCredentials } from '@clarion/persistence';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

function workspaceRoot(start = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no workspace (nx.json) above ${start}`);
  }
}

export const DEPLOYED_ACL_FILE = 'deploy/redis/users.acl';

const isIdentity = (name: string): name is RedisIdentity => (REDIS_IDENTITIES as readonly string[]).includes(name);

function main(argv: string[]): number {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      check: { type: 'boolean' },
      out: { type: 'string' },
      address: { type: 'string' },
      tls: { type: 'boolean' },
      rotate: { type: 'string' },
      'retire-previous': { type: 'boolean' },
    },
  });
  const [command] = positionals;
  if (command === 'config') {
    const path = join(workspaceRoot(), DEPLOYED_ACL_FILE);
    const wanted = deployedRedisAclFile();
    const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (values.check) {
      if (current === wanted) return 0;
      process.stderr.write(`${DEPLOYED_ACL_FILE} differs from libs/contracts; run: npm run redis-acl -- config\n`);
      return 1;
    }
    writeFileSync(path, wanted);
    process.stdout.write(`wrote ${DEPLOYED_ACL_FILE}\n`);
    return 0;
  }
  if (command === 'render') {
    if (!values.out) {
      process.stderr.write('render: --out <dir> is required\n');
      return 2;
    }
    const rotate = values.rotate?.split(',').map((n) => n.trim()).filter(Boolean) ?? [];
    const unknown = rotate.filter((name) => !isIdentity(name));
    if (unknown.length) {
      process.stderr.write(`render: --rotate names no Redis identity: ${unknown.join(', ')} (one of ${REDIS_IDENTITIES.join(', ')})\n`);
      return 2;
    }
    const credentials = ensureRedisCredentials(resolve(values.out), {
      address: values.address,
      tls: values.tls,
      rotate: rotate.filter(isIdentity),
      retirePrevious: values['retire-previous'],
    });
    process.stdout.write(
      `wrote ${credentials.aclFile} (redis-server: aclfile; then ACL LOAD as operator, or restart) and, in ${credentials.dir}, ` +
        `<identity>.redis_url: give each service only its own (${SERVICE_NAMES.join(', ')}) as REDIS_URL_FILE; operator.redis_url is for redis-cli\n`,
    );
    return 0;
  }
  process.stderr.write('usage: npm run redis-acl -- config [--check] | render --out <dir> [--address host:port] [--tls] [--rotate identity,...] [--retire-previous]\n');
  return 2;
}

process.exitCode = main(process.argv.slice(2));
