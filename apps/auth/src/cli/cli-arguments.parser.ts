import { parseArgs, type ParseArgsConfig } from 'node:util';

/** What the operator asked for, checked before the CLI reads its configuration or connects to anything. */
export type CliCommand =
  | {
      kind: 'admin-create';
      tenant: string;
      tenantName?: string;
      email: string;
      name: string;
      role: 'admin' | 'superadmin';
      password: { source: 'file'; path: string } | { source: 'stdin' };
    }
  | { kind: 'keys-rotate' }
  | { kind: 'audit-verify'; tenant?: string };

/** A command line the CLI cannot run: printed with the usage text, exit code 2. No message means "usage only". */
export class CliUsageError extends Error {
  constructor(message = '') {
    super(message);
    this.name = 'CliUsageError';
  }
}

export const CLI_USAGE = [
  'usage: npm run clarion -- <command>',
  '  admin create --tenant <slug> [--tenant-name <name>] --email <email> --name <display name> [--role admin|superadmin]',
  '               (--password-file <file> | --password-stdin)',
  '  keys rotate',
  '  audit verify [--tenant <slug>]',
  '',
].join('\n');

type Options = NonNullable<ParseArgsConfig['options']>;

const OPTIONS = {
  tenant: { type: 'string' },
  'tenant-name': { type: 'string' },
  email: { type: 'string' },
  name: { type: 'string' },
  role: { type: 'string' },
  'password-file': { type: 'string' },
  'password-stdin': { type: 'boolean' },
} satisfies Options;

type OptionName = keyof typeof OPTIONS;

/** The options each command takes; any other known option is refused rather than silently ignored. */
const COMMAND_OPTIONS: Record<string, readonly OptionName[]> = {
  'admin create': ['tenant', 'tenant-name', 'email', 'name', 'role', 'password-file', 'password-stdin'],
  'keys rotate': [],
  'audit verify': ['tenant'],
};

/**
 * Parses `clarion <group> <command> [options]` (argv without node and the script). Throws CliUsageError for an
 * unknown command or option, a missing option value, a stray argument or a missing required option.
 */
export function parseCliArguments(argv: readonly string[]): CliCommand {
  // Unknown options first, from a lenient pass that names them as typed (strict mode's message for them suggests
  // `--` positionals, which this CLI has none of).
  const unknown = parseArgs({ args: [...argv], options: OPTIONS, strict: false, allowPositionals: true, tokens: true }).tokens.find(
    (token) => token.kind === 'option' && !Object.hasOwn(OPTIONS, token.name),
  );
  if (unknown?.kind === 'option') throw new CliUsageError(`unknown option ${unknown.rawName}`);

  let parsed: { values: Partial<Record<OptionName, string | boolean>>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    // ERR_PARSE_ARGS_INVALID_OPTION_VALUE: a string option without its value (or one that swallowed the next
    // option), a value given to --password-stdin. Node's first line names the option.
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_')) throw new CliUsageError((err as Error).message.split('\n')[0]);
    throw err;
  }

  const [group, command, ...extra] = parsed.positionals;
  if (!group || !command) throw new CliUsageError();
  const allowed = COMMAND_OPTIONS[`${group} ${command}`];
  if (!allowed) throw new CliUsageError(`unknown command: ${group} ${command}`);
  if (extra.length > 0) throw new CliUsageError(`unexpected argument: ${extra[0]}`);
  const given = Object.keys(parsed.values) as OptionName[];
  const foreign = given.find((name) => !allowed.includes(name));
  if (foreign) throw new CliUsageError(`${group} ${command} does not take --${foreign}`);

  const text = (name: OptionName): string | undefined => {
    const value = parsed.values[name];
    return typeof value === 'string' ? value : undefined;
  };

  if (group === 'keys') return { kind: 'keys-rotate' };
  if (group === 'audit') return { kind: 'audit-verify', tenant: text('tenant') };

  const tenant = text('tenant');
  const email = text('email');
  const name = text('name');
  const role = text('role') ?? 'admin';
  if (!tenant || !email || !name) throw new CliUsageError('admin create needs --tenant, --email and --name');
  if (role !== 'admin' && role !== 'superadmin') throw new CliUsageError('--role must be admin or superadmin');
  // Never a password option: the command line is visible to every user of the machine in `ps`.
  const file = text('password-file');
  let password: Extract<CliCommand, { kind: 'admin-create' }>['password'];
  if (file) password = { source: 'file', path: file };
  else if (parsed.values['password-stdin'] === true) password = { source: 'stdin' };
  else throw new CliUsageError('a password is required: --password-file <file> or --password-stdin');
  return { kind: 'admin-create', tenant, tenantName: text('tenant-name'), email, name, role, password };
}
