/**
 * `npm run clarion -- <command>`: operator commands that act directly on the database with the auth service's
 * configuration (DATABASE_URL, AUTH_MASTER_KEY, ...).
 *
 *   admin create --tenant <slug> [--tenant-name <name>] --email <email> --name <display name>
 *                [--role admin|superadmin] (--password-file <file> | --password-stdin)
 *   keys rotate
 *   audit verify [--tenant <slug>]
 *
 * Passwords are never taken from the command line (it is visible to every user of the machine in `ps`).
 */
import { createLogger } from '@clarion/observability';
import { Database, TenantEntity } from '@clarion/persistence';
import { loadEnvOrExit } from '@clarion/platform';
import { readFileSync } from 'node:fs';
import { AuditService } from '../audit/audit.service';
import { AuthEnv } from '../auth.env';
import { KeyRingService } from '../keys/key-ring.service';
import { PasswordHasherService } from '../passwords/password-hasher.service';
import { UserService } from '../users/user.service';
import type { RoleName } from '@clarion/contracts';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function usage(message?: string): never {
  if (message) process.stderr.write(`${message}\n\n`);
  process.stderr.write(
    [
      'usage: npm run clarion -- <command>',
      '  admin create --tenant <slug> [--tenant-name <name>] --email <email> --name <display name> [--role admin|superadmin]',
      '               (--password-file <file> | --password-stdin)',
      '  keys rotate',
      '  audit verify [--tenant <slug>]',
      '',
    ].join('\n'),
  );
  process.exit(2);
}

async function readPassword(args: string[]): Promise<string> {
  const file = option(args, 'password-file');
  if (file) return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (args.includes('--password-stdin')) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  return usage('a password is required: --password-file <file> or --password-stdin');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const [group, command] = args;
  if (!group || !command) usage();
  const env = loadEnvOrExit(AuthEnv, 'clarion-cli');
  const logger = createLogger('clarion-cli', env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL);
  const db = new Database({ url: env.DATABASE_URL, poolSize: 2, statementTimeoutMs: 60_000, applicationName: 'clarion-cli' }, logger);
  await Promise.race([
    db.start(),
    new Promise((_, reject) => setTimeout(() => reject(new Error('PostgreSQL is not reachable (DATABASE_URL)')), 15_000)),
  ]);
  const audit = new AuditService(db);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    if (group === 'admin' && command === 'create') {
      const tenant = option(args, 'tenant');
      const email = option(args, 'email');
      const name = option(args, 'name');
      const role = (option(args, 'role') ?? 'admin') as RoleName;
      if (!tenant || !email || !name) usage('admin create needs --tenant, --email and --name');
      if (role !== 'admin' && role !== 'superadmin') usage('--role must be admin or superadmin');
      const users = new UserService(db, new PasswordHasherService(env), audit);
      const user = await users.createAdmin({ tenantSlug: tenant, tenantName: option(args, 'tenant-name'), email, displayName: name, password: await readPassword(args), roles: [role] });
      out(`created ${role} ${user.email} (${user.id}) in tenant ${tenant}`);
      return 0;
    }
    if (group === 'keys' && command === 'rotate') {
      const keys = new KeyRingService(db, env, logger);
      await keys.ensureActiveKey();
      const kid = await keys.rotate();
      out(`new active signing key ${kid}; earlier keys keep verifying their tokens until they expire`);
      return 0;
    }
    if (group === 'audit' && command === 'verify') {
      const slug = option(args, 'tenant');
      const tenants = await db.withoutTenant((m) => m.getRepository(TenantEntity).find({ where: slug ? { slug } : {}, order: { slug: 'ASC' } }));
      if (slug && tenants.length === 0) usage(`no tenant ${slug}`);
      let broken = 0;
      for (const t of tenants) {
        const result = await audit.verify(t.id);
        if (result.ok) out(`ok      ${t.slug}: ${result.events} events, chain intact`);
        else {
          broken++;
          out(`BROKEN  ${t.slug}: ${result.reason} (first bad seq ${result.brokenAt})`);
        }
      }
      return broken === 0 ? 0 : 1;
    }
    return usage(`unknown command: ${group} ${command}`);
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const e = err as { code?: string; message?: string; details?: Array<{ message: string }> };
    process.stderr.write(`error: ${e.message ?? String(err)}${e.details?.length ? ` (${e.details.map((d) => d.message).join('; ')})` : ''}\n`);
    process.exit(1);
  },
);
