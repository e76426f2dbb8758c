import { describeEnv, EnvVar, validateEnv } from '@clarion/config';
import { IsInt } from 'class-validator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthEnv } from '../../apps/auth/src/auth.env';
import { childEnvKeys, composeInterpolations, parseEnvExample, readsOf, renderEnvExample, SECRET_PLACEHOLDER, type EnvExampleInput } from './env-example';
import { ENV_READERS } from './env-readers';
import { envExampleInput, workspaceRoot } from './main';
import { INTERNAL_VARIABLES, NPM_START, NPM_START_SETS, SCRIPT_VARIABLES } from './script-variables';

const root = workspaceRoot();
const input = envExampleInput(root);
const file = readFileSync(join(root, '.env.example'), 'utf8');
const entries = parseEnvExample(file);
const shown = new Set(entries.map((e) => e.name));
/** Listed as itself or in its `_FILE` form. */
const listed = (name: string) => shown.has(name) || shown.has(`${name}_FILE`);

/** The block of comment lines that ends with a variable's line. */
function blockOf(text: string, name: string): string {
  const block = text.split('\n\n').find((b) => new RegExp(`^# ${name}(_FILE)?=`, 'm').test(b));
  if (!block) throw new Error(`${name} is not in the file`);
  return block;
}

/** The input with one source's text changed, as if someone had edited that script. */
function withSource(path: string, edit: (text: string) => string): EnvExampleInput {
  return { ...input, sources: input.sources.map((s) => (s.path === path ? { ...s, text: edit(s.text) } : s)) };
}

class AuthEnvWithExtraVariable extends AuthEnv {
  @EnvVar({ type: 'integer', description: 'A variable added to the code but not to .env.example.' })
  @IsInt()
  AUTH_EXTRA_SETTING = 7;
}

describe('.env.example', () => {
  it('is byte-for-byte what the generator writes from the env classes and the scripts (`npm run config-doc -- --check`)', () => {
    expect(renderEnvExample(input)).toBe(file);
  });

  it('lists every variable of every env class once, in the group of the processes that read it', () => {
    const declared = ENV_READERS.flatMap((r) => describeEnv(r.envClass).map((d) => d.name));
    for (const name of new Set(declared)) expect({ name, listed: listed(name) }).toEqual({ name, listed: true });
    expect(new Set(entries.map((e) => e.name)).size).toBe(entries.length);
    expect(file).toMatch(/# every service \(gateway, auth, ingest, clustering, retention\)\n[^]*# NATS_URL=nats:\/\/127\.0\.0\.1:4222\n/);
    expect(file.indexOf('# gateway\n')).toBeLessThan(file.indexOf('# HTTP_PORT=3000'));
    expect(file.indexOf('# ingest\n')).toBeLessThan(file.indexOf('# INGEST_UDP_PORTS=2055,4739'));
  });

  it('lists every variable that npm start, its scripts and the tracing start-up read, except the ones they pass between themselves', () => {
    const read = input.sources.flatMap(readsOf).map((r) => r.name);
    expect(read).toEqual(expect.arrayContaining(['CLARION_READY_TIMEOUT_S', 'CLARION_STOP_TIMEOUT_S', 'CLARION_PG_PORT', 'HTTP_PORT', 'PGHOST', 'OTEL_BSP_SCHEDULE_DELAY']));
    for (const name of new Set(read)) {
      expect({ name, listed: listed(name) }).toEqual({ name, listed: !Object.hasOwn(INTERNAL_VARIABLES, name) });
    }
  });

  it('lists the variables the compose file interpolates, with its defaults', () => {
    for (const { name, default: fallback } of composeInterpolations(input.compose)) {
      expect(entries).toContainEqual({ name, value: fallback });
    }
    expect(entries).toContainEqual({ name: 'CLARION_HTTP_PORT', value: '3000' });
  });

  it('shows the NATS identity and TLS variables as npm start and compose give them, and what npm start sets', () => {
    for (const name of ['NATS_URL', 'NATS_TLS', 'NATS_NKEY_SEED_FILE', 'NATS_TLS_CA_FILE']) expect(entries.map((e) => e.name)).toContain(name);
    expect(blockOf(file, 'NATS_NKEY_SEED')).toContain('npm start sets NATS_NKEY_SEED_FILE: tmp/nats/<service>.nk');
    expect(blockOf(file, 'NATS_TLS')).toContain('npm start sets NATS_TLS: true');
    expect(blockOf(file, 'OPS_PORT')).toContain('default: gateway 9400, auth 9401, ingest 9402, clustering 9403, retention 9404');
    for (const key of Object.keys(NPM_START_SETS)) expect(file).toContain(`npm start sets ${key}: `);
  });

  it('shows only values the env classes accept: uncommented, every service would start on them', () => {
    for (const reader of ENV_READERS) {
      const names = new Set(describeEnv(reader.envClass).map((d) => d.name));
      const env = Object.fromEntries(entries.filter((e) => names.has(e.name) && e.value !== '').map((e) => [e.name, e.value]));
      expect(Object.keys(env)).toContain('CLARION_ENV');
      expect(() => validateEnv(reader.envClass, env, reader.name)).not.toThrow();
    }
  });

  it('marks the value of every secret as a placeholder, not for production', () => {
    const secrets = [
      ...ENV_READERS.flatMap((r) => describeEnv(r.envClass)).filter((d) => d.secret).map((d) => d.name),
      ...Object.entries(SCRIPT_VARIABLES).filter(([, v]) => v.secret).map(([name]) => name),
    ];
    expect(secrets).toEqual(expect.arrayContaining(['DATABASE_URL', 'AUTH_MASTER_KEY', 'NATS_NKEY_SEED', 'CLARION_APP_PASSWORD']));
    for (const name of new Set(secrets)) expect({ name, marked: blockOf(file, name).includes('NOT FOR PRODUCTION') }).toEqual({ name, marked: true });
    expect(entries).toContainEqual({ name: 'NATS_TOKEN', value: SECRET_PLACEHOLDER });
    expect(entries).toContainEqual({ name: 'AUTH_MASTER_KEY', value: 'development-only-master-key-never-use-in-production' });
  });

  it('is all comments, so that an unedited copy (.env) changes nothing for npm start or docker compose', () => {
    const lines = file.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(200);
    expect(lines.filter((l) => !l.startsWith('#'))).toEqual([]);
  });
});

describe('generating .env.example', () => {
  it('adds a variable that an env class gains', () => {
    const readers = ENV_READERS.map((r) => (r.name === 'auth' ? { name: 'auth', envClass: AuthEnvWithExtraVariable } : r));
    const next = renderEnvExample({ ...input, readers });
    expect(next).not.toBe(file);
    expect(blockOf(next, 'AUTH_EXTRA_SETTING')).toBe('# A variable added to the code but not to .env.example. [integer]\n# AUTH_EXTRA_SETTING=7');
  });

  it('refuses a variable a script starts reading without a description, and a description nothing reads', () => {
    const reading = withSource('tools/dev/run-services.mjs', (t) => `${t}\nconst extra = Number(process.env.CLARION_NEW_KNOB || 5);\n`);
    expect(() => renderEnvExample(reading)).toThrow('tools/dev/run-services.mjs reads CLARION_NEW_KNOB, which no env class declares');
    const withoutEnsure = { ...input, sources: input.sources.filter((s) => s.path !== 'tools/infra/ensure-services.sh') };
    expect(() => renderEnvExample(withoutEnsure)).toThrow(/describes CLARION_NATS_PORT, CLARION_PG_PORT, CLARION_REDIS_PORT, CLARION_INFRA_AUTO_INSTALL, which no source reads/);
  });

  it('refuses a script that falls back to another default than the env class', () => {
    const edited = withSource('tools/dev/run-services.mjs', (t) => t.replace('process.env.HTTP_PORT || 3000', 'process.env.HTTP_PORT || 3001'));
    expect(() => renderEnvExample(edited)).toThrow('HTTP_PORT: tools/dev/run-services.mjs falls back to "3001", the env classes to "3000"');
  });

  it('refuses a variable npm start gives the services that NPM_START_SETS does not describe', () => {
    const edited = withSource('tools/dev/run-services.mjs', (t) => t.replace('NATS_TLS: ', 'NATS_EXTRA: 1, NATS_TLS: '));
    expect(() => renderEnvExample(edited)).toThrow('tools/dev/run-services.mjs sets NATS_EXTRA for the services');
  });

  it('refuses a compose interpolation without a description', () => {
    const compose = { ...input.compose, text: `${input.compose.text}\n# x\nx-extra: \${CLARION_EXTRA:-1}\n` };
    expect(() => renderEnvExample({ ...input, compose })).toThrow('interpolates CLARION_EXTRA');
  });

  it('groups a variable by its readers and shows each one its default where they differ', () => {
    const nats = blockOf(file, 'CLARION_NATS_PORT');
    expect(nats).toContain('4222');
    expect(nats.endsWith('# CLARION_NATS_PORT=4222')).toBe(true);
    const devNats = blockOf(file, 'CLARION_DEV_NATS_PORT');
    expect(devNats.endsWith('# CLARION_DEV_NATS_PORT=4223')).toBe(true);
    const npmStart = file.slice(file.indexOf(`# ${NPM_START} (`), file.indexOf('# every service'));
    expect(npmStart).toContain('# CLARION_READY_TIMEOUT_S=120');
  });
});

describe('reading the variables a source reads', () => {
  it('finds shell defaults, both forms', () => {
    expect(readsOf({ path: 'x.sh', text: 'A="${CLARION_A:-5432}"\n: "${PGUSER:=postgres}"\n# ${IN_A_COMMENT:-1}\necho "$PLAIN"' })).toEqual([
      { name: 'CLARION_A', path: 'x.sh', default: '5432' },
      { name: 'PGUSER', path: 'x.sh', default: 'postgres' },
    ]);
  });

  it('finds JavaScript reads with and without a literal fallback, and none in comments', () => {
    const text = [
      "const a = Number(process.env.PORT_A || 3000);",
      "const b = process.env['RATIO_B'] ?? '1';",
      'const c = Number(process.env.STARTED) || Date.now();',
      "const d = seconds('WAIT_D', 120);",
      '// process.env.IN_A_COMMENT',
      '/* process.env.IN_A_BLOCK */',
    ].join('\n');
    expect(readsOf({ path: 'x.mjs', text })).toEqual([
      { name: 'PORT_A', path: 'x.mjs', default: '3000' },
      { name: 'RATIO_B', path: 'x.mjs', default: '1' },
      { name: 'STARTED', path: 'x.mjs' },
      { name: 'WAIT_D', path: 'x.mjs', default: '120' },
    ]);
  });

  it('finds the variables a module puts into its children environment', () => {
    expect(childEnvKeys({ path: 'x.mjs', text: "start({ OPS_PORT: '1', ...{ NATS_TLS: 'true' } });\n// ESRCH: gone\n" })).toEqual(['OPS_PORT', 'NATS_TLS']);
  });
});
