/**
 * `npm run clarion -- <command>`: operator commands that act directly on the database with the auth service's
 * configuration (DATABASE_URL, AUTH_MASTER_KEY, AUDIT_KEY, ...). `audit verify` recomputes every tenant's chain with
 * AUDIT_KEY and AUDIT_PREVIOUS_KEYS and prints each head (seq:hash): record it outside the database to detect later
 * that the chain was cut short, which no key can.
 *
 *   admin create --tenant <slug> [--tenant-name <name>] --email <email> --name <display name>
 *                [--role admin|superadmin] (--password-file <file> | --password-stdin)
 *   keys rotate
 *   audit verify [--tenant <slug>]
 *
 * Passwords are never taken from the command line (it is visible to every user of the machine in `ps`).
 */
// The services it builds carry Nest's decorators (DI metadata), as in a service process.
import 'reflect-metadata';
import { createLogger } from '@clarion/observability';
import { NatsConnectionHolder, natsConnectionOptions } from '@clarion/messaging';
import { Database, RedisClient, TenantEntity } from '@clarion/persistence';
import { loadEnvOrExit } from '@clarion/platform';
import { readFileSync } from 'node:fs';
import { ApiKeyService } from '../api-keys/api-key.service';
import { SessionRevocations } from '../sessions/session-revocations';
import { AuditService } from '../audit/audit.service';
import { AuthEnv } from '../auth.env';
import { KeyRingService } from '../keys/key-ring.service';
import { PasswordHasherService } from '../passwords/password-hasher.service';
import { UserService } from '../users/user.service';
import { CLI_USAGE, CliUsageError, parseCliArguments, type CliCommand } from './cli-arguments.parser';

function usage(message: string): never {
  if (message) process.stderr.write(`${message}\n\n`);
  process.stderr.write(CLI_USAGE);
  process.exit(2);
}

async function readPassword(password: Extract<CliCommand, { kind: 'admin-create' }>['password']): Promise<string> {
  if (password.source === 'file') return readFileSync(password.path, 'utf8').replace(/\r?\n$/, '');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function main(): Promise<number> {
  // The command line is checked before the configuration is read or PostgreSQL is reached: a typo fails at once.
  const cli = parseCliArguments(process.argv.slice(2));
  const env = loadEnvOrExit(AuthEnv, 'clarion-cli');
  const logger = createLogger('clarion-cli', env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL);
  const db = new Database({ url: env.DATABASE_URL, poolSize: 2, statementTimeoutMs: 60_000, applicationName: 'clarion-cli' }, logger);
  await Promise.race([
    db.start(),
    new Promise((_, reject) => setTimeout(() => reject(new Error('PostgreSQL is not reachable (DATABASE_URL)')), 15_000)),
  ]);
  const audit = new AuditService(db, env, logger);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    switch (cli.kind) {
      case 'admin-create': {
        // Creating a user touches no API key and ends no session: Redis (lazy) and NATS are never connected.
        const redis = new RedisClient(env.REDIS_URL, 'clarion-cli', logger);
        const nats = new NatsConnectionHolder(natsConnectionOptions({ servers: env.NATS_URL, name: 'clarion-cli' }), logger);
        const users = new UserService(db, new PasswordHasherService(env), audit, new ApiKeyService(db, audit, redis, env), new SessionRevocations(redis, nats, env, logger));
        const user = await users.createAdmin({
          tenantSlug: cli.tenant,
          tenantName: cli.tenantName,
          email: cli.email,
          displayName: cli.name,
          password: await readPassword(cli.password),
          roles: [cli.role],
        });
        out(`created ${cli.role} ${user.email} (${user.id}) in tenant ${cli.tenant}`);
        return 0;
      }
      case 'keys-rotate': {
        const keys = new KeyRingService(db, env, logger);
        await keys.ensureActiveKey();
        const kid = await keys.rotate();
        out(`new active signing key ${kid}; earlier keys keep verifying their tokens until they expire`);
        return 0;
      }
      case 'audit-verify': {
        const slug = cli.tenant;
        const tenants = await db.withoutTenant((m) => m.getRepository(TenantEntity).find({ where: slug ? { slug } : {}, order: { slug: 'ASC' } }));
        if (slug && tenants.length === 0) throw new CliUsageError(`no tenant ${slug}`);
        let broken = 0;
        for (const t of tenants) {
          const result = await audit.verify(t.id);
          if (result.ok) {
            const unkeyed = result.unkeyedEvents > 0 ? `, the first ${result.unkeyedEvents} from before the audit key` : '';
            const sealed = result.head && result.events > 0 ? ` (audit keys ${result.keyIds.join(', ')}; head ${result.head.seq}:${result.head.hash})` : '';
            out(`ok      ${t.slug}: ${result.events} events, chain intact${unkeyed}${sealed}`);
          }
          else {
            broken++;
            out(`BROKEN  ${t.slug}: ${result.reason} (first bad seq ${result.brokenAt})`);
          }
        }
        return broken === 0 ? 0 : 1;
      }
    }
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CliUsageError) usage(err.message);
    const e = err as { code?: string; message?: string; details?: Array<{ message: string }> };
    process.stderr.write(`error: ${e.message ?? String(err)}${e.details?.length ? ` (${e.details.map((d) => d.message).join('; ')})` : ''}\n`);
    process.exit(1);
  },
);
