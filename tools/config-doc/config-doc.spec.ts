import { describeEnv, EnvVar, noWildcard } from '@clarion/config';
import { IsInt, IsString } from 'class-validator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthEnv } from '../../apps/auth/src/auth.env';
import { collectVariables, compareVariables, parseTable, renderTable, TABLE_END, TABLE_START, updateDoc } from './config-doc';
import { ENV_READERS, type EnvReader } from './env-readers';

const DOC_PATH = join(__dirname, '..', '..', 'docs', 'CONFIGURATION.md');
const doc = readFileSync(DOC_PATH, 'utf8');

/** ENV_READERS with one reader's env class swapped, as if someone had edited that class. */
function withReader(name: string, envClass: new () => object): EnvReader[] {
  return ENV_READERS.map((r) => (r.name === name ? { name, envClass } : r));
}

class AuthEnvWithExtraVariable extends AuthEnv {
  @EnvVar({ type: 'integer', description: 'A variable added to the code but not to the doc.' })
  @IsInt()
  AUTH_EXTRA_SETTING = 7;
}

class AuthEnvWithChangedDefault extends AuthEnv {
  override RPC_TIMEOUT_MS = 9000;
}

class AuthEnvWithRequiredSecret extends AuthEnv {
  @EnvVar({ type: 'string', secret: true, description: 'Signing key | rotated yearly.' })
  @IsString()
  AUTH_SIGNING_KEY!: string;
}

describe('docs/CONFIGURATION.md', () => {
  const documented = parseTable(doc);

  it('documents every variable exactly as the env classes declare it', () => {
    expect(compareVariables(documented, collectVariables(ENV_READERS))).toEqual([]);
  });

  it('lists, for every variable describeEnv returns, its type, secrecy and every service that reads it', () => {
    const byName = new Map(documented.map((v) => [v.name, v]));
    for (const reader of ENV_READERS) {
      for (const d of describeEnv(reader.envClass)) {
        const row = byName.get(d.name);
        expect({ reader: reader.name, variable: d.name, found: row !== undefined }).toEqual({ reader: reader.name, variable: d.name, found: true });
        expect(row?.type).toBe(d.type);
        expect(row?.description).toBe(d.description);
        expect(row?.secret).toBe(d.secret === true);
        expect(row?.readBy).toContain(reader.name);
        if (d.devDefault !== undefined) expect(row?.default).toContain(`development only: \`${d.devDefault}\``);
      }
    }
  });

  it('is byte-for-byte what the generator writes (what `main.js --check` enforces)', () => {
    expect(updateDoc(doc, ENV_READERS)).toBe(doc);
  });

  it('names, in its production section, every variable that has production-only rules or a development-only default', () => {
    const start = doc.indexOf('\n## Production\n');
    expect(start).toBeGreaterThan(0);
    const production = doc.slice(start, doc.indexOf('\n## ', start + 1));
    const strict = ENV_READERS.flatMap((r) => describeEnv(r.envClass)).filter((d) => d.devDefault !== undefined || d.production?.length);
    expect(strict.length).toBeGreaterThan(0);
    for (const d of strict) expect({ variable: d.name, named: production.includes(`\`${d.name}\``) }).toEqual({ variable: d.name, named: true });
  });
});

describe('comparing the doc with the env classes', () => {
  const documented = parseTable(doc);

  it('reports a variable added to an env class but missing from the doc', () => {
    const problems = compareVariables(documented, collectVariables(withReader('auth', AuthEnvWithExtraVariable)));
    expect(problems).toEqual(['AUTH_EXTRA_SETTING: read by auth but not documented']);
  });

  it('reports a default changed in one service only, naming the new per-service defaults', () => {
    const problems = compareVariables(documented, collectVariables(withReader('auth', AuthEnvWithChangedDefault)));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^RPC_TIMEOUT_MS: the doc says default "`5000`"/);
    expect(problems[0]).toContain('auth: `9000`');
  });

  it('reports a documented variable that no env class reads any more', () => {
    const problems = compareVariables(
      documented,
      collectVariables(ENV_READERS.filter((r) => r.name !== 'gateway')),
    );
    expect(problems).toContain('HTTP_PORT: documented but no env class reads it');
    expect(problems).toContain('OPS_PORT: the doc says read by "gateway, auth, ingest, clustering, retention", the env classes say "auth, ingest, clustering, retention"');
  });

  it('reports a row whose cells were edited by hand', () => {
    const edited = doc.replace(/\| `HTTP_PORT` \| integer \(1-65535\) \| `3000` \|/, '| `HTTP_PORT` | integer (1-65535) | `8080` |');
    expect(edited).not.toBe(doc);
    expect(compareVariables(parseTable(edited), collectVariables(ENV_READERS))).toEqual([
      'HTTP_PORT: the doc says default "`8080`", the env classes say "`3000`"',
    ]);
  });
});

describe('generating the table', () => {
  it('lists per-service defaults where the services differ', () => {
    const opsPort = collectVariables(ENV_READERS).find((v) => v.name === 'OPS_PORT');
    expect(opsPort?.default).toBe('gateway: `9400`, auth: `9401`, ingest: `9402`, clustering: `9403`, retention: `9404`');
  });

  it('shows a development default as development only, a missing one as required, and a secret with its _FILE form', () => {
    const variables = collectVariables(withReader('auth', AuthEnvWithRequiredSecret));
    const byName = new Map(variables.map((v) => [v.name, v]));
    expect(byName.get('DATABASE_URL')?.default).toContain('auth: development only: `postgres://clarion_auth@127.0.0.1:5432/clarion`');
    expect(byName.get('AUTH_SIGNING_KEY')).toEqual({
      name: 'AUTH_SIGNING_KEY',
      type: 'string',
      default: 'required',
      secret: true,
      readBy: ['auth'],
      description: 'Signing key | rotated yearly.',
    });
    expect(byName.get('NATS_TOKEN')?.default).toBe('unset (optional)');
    expect(renderTable(variables)).toContain('| `AUTH_SIGNING_KEY` | string | required | yes (or `AUTH_SIGNING_KEY_FILE`) | auth | Signing key \\| rotated yearly. |');
  });

  it('reads back exactly the rows it renders, pipes and all', () => {
    const variables = collectVariables(withReader('auth', AuthEnvWithRequiredSecret));
    expect(parseTable(`${TABLE_START}\n${renderTable(variables)}\n${TABLE_END}`)).toEqual(variables);
  });

  it('keeps the hand-written prose around the markers when it regenerates', () => {
    const stale = `# Title\n\nProse before.\n\n${TABLE_START}\n| old | table |\n${TABLE_END}\n\nProse after.\n`;
    const updated = updateDoc(stale, ENV_READERS);
    expect(updated.startsWith(`# Title\n\nProse before.\n\n${TABLE_START}\n| Variable |`)).toBe(true);
    expect(updated.endsWith(`|\n${TABLE_END}\n\nProse after.\n`)).toBe(true);
    expect(updateDoc(updated, ENV_READERS)).toBe(updated);
  });

  it('refuses a document without the markers', () => {
    expect(() => updateDoc('# no table here\n', ENV_READERS)).toThrow(TABLE_START);
  });

  it('refuses two env classes that declare one variable differently', () => {
    class ConflictingEnv {
      @EnvVar({ type: 'string', devDefault: '*', production: [noWildcard], description: 'Something else entirely.' })
      @IsString()
      CLARION_ENV = 'development';
    }
    expect(() => collectVariables([...ENV_READERS, { name: 'conflicting', envClass: ConflictingEnv }])).toThrow(
      /CLARION_ENV is declared with a different type by gateway, auth, ingest, clustering, retention, migrate and by conflicting/,
    );
  });
});
