import { CliUsageError, parseCliArguments } from './cli-arguments.parser';

const refusal = (argv: string[]): string => {
  try {
    parseCliArguments(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(CliUsageError);
    return (err as CliUsageError).message;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
};

const adminCreate = ['admin', 'create', '--tenant', 'acme', '--email', 'ops@acme.example', '--name', 'Ops Admin'];

describe('parseCliArguments', () => {
  it('reads admin create as the e2e suites and the runbook call it', () => {
    expect(parseCliArguments([...adminCreate, '--password-stdin'])).toEqual({
      kind: 'admin-create',
      tenant: 'acme',
      tenantName: undefined,
      email: 'ops@acme.example',
      name: 'Ops Admin',
      role: 'admin',
      password: { source: 'stdin' },
    });
  });

  it('reads every admin create option, in any order and in --name=value form', () => {
    expect(
      parseCliArguments(['admin', '--role', 'superadmin', 'create', '--tenant-name=Acme Corp', ...adminCreate.slice(2), '--password-file', '/run/secrets/pw']),
    ).toEqual({
      kind: 'admin-create',
      tenant: 'acme',
      tenantName: 'Acme Corp',
      email: 'ops@acme.example',
      name: 'Ops Admin',
      role: 'superadmin',
      password: { source: 'file', path: '/run/secrets/pw' },
    });
  });

  it('prefers --password-file when both password sources are given, as before', () => {
    expect(parseCliArguments([...adminCreate, '--password-stdin', '--password-file', 'pw.txt'])).toMatchObject({ password: { source: 'file', path: 'pw.txt' } });
  });

  it('reads keys rotate and audit verify with and without a tenant', () => {
    expect(parseCliArguments(['keys', 'rotate'])).toEqual({ kind: 'keys-rotate' });
    expect(parseCliArguments(['audit', 'verify'])).toEqual({ kind: 'audit-verify', tenant: undefined });
    expect(parseCliArguments(['audit', 'verify', '--tenant', 'acme'])).toEqual({ kind: 'audit-verify', tenant: 'acme' });
  });

  it('asks for the usage alone when the group or the command is missing', () => {
    expect(refusal([])).toBe('');
    expect(refusal(['admin'])).toBe('');
    expect(refusal(['--tenant', 'acme', 'audit'])).toBe('');
  });

  it('refuses an unknown command', () => {
    expect(refusal(['keys', 'list'])).toBe('unknown command: keys list');
    expect(refusal(['users', 'create', '--tenant', 'acme'])).toBe('unknown command: users create');
  });

  it('refuses admin create without --tenant, --email or --name, or with an empty one', () => {
    const needs = 'admin create needs --tenant, --email and --name';
    expect(refusal(['admin', 'create', '--email', 'a@b.example', '--name', 'A', '--password-stdin'])).toBe(needs);
    expect(refusal(['admin', 'create', '--tenant', 'acme', '--name', 'A', '--password-stdin'])).toBe(needs);
    expect(refusal(['admin', 'create', '--tenant', 'acme', '--email', 'a@b.example', '--password-stdin'])).toBe(needs);
    expect(refusal(['admin', 'create', '--tenant=', '--email', 'a@b.example', '--name', 'A', '--password-stdin'])).toBe(needs);
  });

  it('refuses a role other than admin or superadmin', () => {
    expect(refusal([...adminCreate, '--role', 'viewer', '--password-stdin'])).toBe('--role must be admin or superadmin');
    expect(refusal([...adminCreate, '--role=', '--password-stdin'])).toBe('--role must be admin or superadmin');
  });

  it('refuses admin create without a password source (never a password on the command line)', () => {
    expect(refusal(adminCreate)).toBe('a password is required: --password-file <file> or --password-stdin');
    expect(refusal([...adminCreate, '--password-file='])).toBe('a password is required: --password-file <file> or --password-stdin');
    expect(refusal([...adminCreate, '--password', 'hunter2'])).toBe('unknown option --password');
  });

  it('refuses unknown options, short ones included, instead of ignoring them', () => {
    expect(refusal(['audit', 'verify', '--tenent', 'acme'])).toBe('unknown option --tenent');
    expect(refusal(['keys', 'rotate', '-f'])).toBe('unknown option -f');
  });

  it('refuses an option the command does not take', () => {
    expect(refusal(['keys', 'rotate', '--tenant', 'acme'])).toBe('keys rotate does not take --tenant');
    expect(refusal(['audit', 'verify', '--password-stdin'])).toBe('audit verify does not take --password-stdin');
  });

  it('refuses an option without its value, or one that would swallow the next option', () => {
    expect(refusal(['audit', 'verify', '--tenant'])).toBe("Option '--tenant <value>' argument missing");
    expect(refusal(['admin', 'create', '--tenant', '--email', 'a@b.example', '--name', 'A', '--password-stdin'])).toBe("Option '--tenant' argument is ambiguous.");
    expect(refusal([...adminCreate, '--password-stdin=yes'])).toBe("Option '--password-stdin' does not take an argument");
  });

  it('refuses a stray argument after the command', () => {
    expect(refusal(['keys', 'rotate', 'now'])).toBe('unexpected argument: now');
    expect(refusal(['admin', 'create', 'acme', ...adminCreate.slice(2), '--password-stdin'])).toBe('unexpected argument: acme');
  });
});
