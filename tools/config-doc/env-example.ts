/**
 * Generates `.env.example` (every variable `npm start` and the services read, grouped by who reads it, with its
 * default) from the same declarations as docs/CONFIGURATION.md: the env classes, plus the variables the scripts of
 * ENV_SOURCES and the compose file read themselves, whose names and defaults are read from those files.
 */
import { SERVICE_NAMES } from '@clarion/contracts';
import { collectDeclarations, type EnvDefault } from './config-doc';
import type { EnvReader } from './env-readers';
import {
  COMPOSE_VARIABLES,
  DOCKER_COMPOSE,
  INTERNAL_VARIABLES,
  NPM_START,
  NPM_START_SETS,
  SCRIPT_VARIABLES,
  type EnvSource,
} from './script-variables';

/** A file's text, named by its path from the workspace root. */
export interface SourceText {
  path: string;
  text: string;
}

/** One read of an environment variable in a source file, with the default the code falls back to, where it says. */
export interface SourceRead {
  name: string;
  path: string;
  default?: string;
}

export interface EnvExampleInput {
  readers: readonly EnvReader[];
  /** ENV_SOURCES with their text; `setsServiceEnv` marks the one that gives the services variables (NPM_START_SETS). */
  sources: ReadonlyArray<EnvSource & SourceText & { setsServiceEnv?: boolean }>;
  compose: SourceText;
}

/** Shown for a secret that has no default: obviously a placeholder, and accepted by the validators (a plain string). */
export const SECRET_PLACEHOLDER = 'change-me-not-for-production';

/** Values that are file contents (certificates, keys, nkey seeds): shown in their `_FILE` form. */
const FILE_CONTENT_TYPE = /\bPEM\b|nkey seed/;

const NAME = '[A-Z][A-Z0-9_]*';

/** The code of a source without its comments, so that a variable named in a comment is not taken for a read. */
function withoutComments(source: SourceText): string {
  if (source.path.endsWith('.sh')) return source.text.replace(/^\s*#.*$/gm, '');
  // Line comments first: one may hold a glob such as `apps/*/src`, which would open a block comment.
  return source.text.replace(/(^|\s)\/\/.*$/gm, '$1').replace(/\/\*[\s\S]*?\*\//g, '');
}

function unquote(literal: string): string {
  return /^(['"]).*\1$/.test(literal) ? literal.slice(1, -1) : literal;
}

/**
 * The environment variables a shell script (`${NAME:-default}`, `${NAME:=default}`) or a JavaScript/TypeScript module
 * (`process.env.NAME || 3000`, `process.env['NAME'] ?? '1'`, `seconds('NAME', 120)`) reads, with the literal default
 * it falls back to where there is one.
 */
export function readsOf(source: SourceText): SourceRead[] {
  const code = withoutComments(source);
  const reads: SourceRead[] = [];
  const add = (name: string, fallback: string | undefined) =>
    reads.push({ name, path: source.path, ...(fallback !== undefined ? { default: unquote(fallback) } : {}) });
  if (source.path.endsWith('.sh')) {
    for (const m of code.matchAll(new RegExp(`\\$\\{(${NAME}):?[-=]([^}]*)\\}`, 'g'))) add(m[1], m[2]);
    return reads;
  }
  const literal = `(\\d+(?:\\.\\d+)?|'[^']*'|"[^"]*")`;
  const env = new RegExp(`process\\.env(?:\\.(${NAME})|\\[['"](${NAME})['"]\\])(?:\\)?\\s*(?:\\|\\||\\?\\?)\\s*${literal})?`, 'g');
  for (const m of code.matchAll(env)) add(m[1] ?? m[2], m[3]);
  // A helper that reads a variable by name with a fallback (run-services.mjs: seconds('CLARION_READY_TIMEOUT_S', 120)).
  for (const m of code.matchAll(new RegExp(`\\b\\w+\\('(${NAME})',\\s*${literal}\\)`, 'g'))) add(m[1], m[2]);
  return reads;
}

/** The variables a module puts into its children's environment: the upper-case keys of its object literals. */
export function childEnvKeys(source: SourceText): string[] {
  return [...new Set([...withoutComments(source).matchAll(new RegExp(`\\b(${NAME}):\\s`, 'g'))].map((m) => m[1]))];
}

/** `${NAME:-default}` interpolations of a compose file, each name once; one name with two defaults is an error. */
export function composeInterpolations(compose: SourceText): Array<{ name: string; default: string }> {
  const found = new Map<string, string>();
  for (const m of compose.text.matchAll(new RegExp(`\\$\\{(${NAME})(?::?-([^}]*))?\\}`, 'g'))) {
    const [, name, fallback = ''] = m;
    const seen = found.get(name);
    if (seen !== undefined && seen !== fallback) throw new Error(`${compose.path}: ${name} has two defaults, "${seen}" and "${fallback}"`);
    found.set(name, fallback);
  }
  return [...found].map(([name, fallback]) => ({ name, default: fallback }));
}

interface ExampleRow {
  name: string;
  /** Who reads it: the group it is listed under. */
  group: string[];
  type?: string;
  description: string;
  secret: boolean;
  /** The default of each reader (an env class's reader, or the file of a script). */
  defaults: Array<{ by: string; value: EnvDefault }>;
  notes: string[];
}

function raw(value: EnvDefault): string {
  switch (value.kind) {
    case 'development':
      return value.value;
    case 'value':
      return Array.isArray(value.value) ? value.value.join(',') : String(value.value);
    default:
      return '';
  }
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

function scriptRows(input: EnvExampleInput, declared: ReadonlySet<string>): ExampleRow[] {
  const rows = new Map<string, ExampleRow>();
  for (const source of input.sources) {
    for (const read of readsOf(source)) {
      if (declared.has(read.name) || Object.hasOwn(INTERNAL_VARIABLES, read.name)) continue;
      const script = Object.hasOwn(SCRIPT_VARIABLES, read.name) ? SCRIPT_VARIABLES[read.name] : undefined;
      if (!script) throw new Error(`${read.path} reads ${read.name}, which no env class declares: describe it in tools/config-doc/script-variables.ts`);
      const row = rows.get(read.name) ?? { name: read.name, group: [], description: script.description, secret: script.secret === true, defaults: [], notes: [] };
      row.group = union(row.group, source.readers);
      const value: EnvDefault = read.default !== undefined ? { kind: 'value', value: read.default } : { kind: 'unset' };
      const earlier = row.defaults.find((d) => d.by === read.path);
      if (!earlier) row.defaults.push({ by: read.path, value });
      else if (earlier.value.kind === 'unset') earlier.value = value;
      rows.set(read.name, row);
    }
  }
  const stale = Object.keys(SCRIPT_VARIABLES).filter((name) => !rows.has(name));
  if (stale.length) throw new Error(`tools/config-doc/script-variables.ts describes ${stale.join(', ')}, which no source reads any more`);
  return [...rows.values()];
}

function serviceRows(input: EnvExampleInput): ExampleRow[] {
  const declarations = collectDeclarations(input.readers);
  const names = new Set(declarations.map((d) => d.descriptor.name));
  const npmStartReads = input.sources.filter((s) => s.readers.includes(NPM_START)).flatMap(readsOf);
  const allReads = input.sources.flatMap(readsOf);

  for (const source of input.sources.filter((s) => s.setsServiceEnv)) {
    const sets = childEnvKeys(source);
    const undescribed = sets.filter((key) => !Object.hasOwn(NPM_START_SETS, key));
    const stale = Object.keys(NPM_START_SETS).filter((key) => !sets.includes(key));
    if (undescribed.length) throw new Error(`${source.path} sets ${undescribed.join(', ')} for the services: say what in NPM_START_SETS (tools/config-doc/script-variables.ts)`);
    if (stale.length) throw new Error(`NPM_START_SETS describes ${stale.join(', ')}, which ${source.path} no longer sets`);
  }
  for (const key of Object.keys(NPM_START_SETS)) {
    if (!names.has(key.replace(/_FILE$/, ''))) throw new Error(`NPM_START_SETS names ${key}, which no env class declares`);
  }

  return declarations.map(({ descriptor: d, readBy, defaults }) => {
    const notes: string[] = [];
    if (d.devDefault !== undefined) notes.push('development only: production refuses this default, so set it there');
    if (defaults.some((x) => x.default.kind === 'required')) notes.push('required: there is no default');
    // A script that assumes a default of its own must assume the one the env classes have.
    const shown = new Set(defaults.map((x) => raw(x.default)));
    for (const read of allReads.filter((r) => r.name === d.name && r.default !== undefined)) {
      if (!shown.has(read.default!)) throw new Error(`${d.name}: ${read.path} falls back to "${read.default}", the env classes to "${[...shown].join('", "')}"`);
    }
    const alsoRead = [...new Set(npmStartReads.filter((r) => r.name === d.name).map((r) => r.path))];
    if (alsoRead.length) notes.push(`also read by npm start (${alsoRead.join(', ')})`);
    for (const key of [d.name, `${d.name}_FILE`]) {
      if (Object.hasOwn(NPM_START_SETS, key)) notes.push(`npm start sets ${key}: ${NPM_START_SETS[key]}`);
    }
    return { name: d.name, group: readBy, type: d.type, description: d.description, secret: d.secret === true, defaults: defaults.map((x) => ({ by: x.reader, value: x.default })), notes };
  });
}

function composeRows(input: EnvExampleInput): ExampleRow[] {
  const found = composeInterpolations(input.compose);
  const undescribed = found.filter((v) => !Object.hasOwn(COMPOSE_VARIABLES, v.name)).map((v) => v.name);
  const stale = Object.keys(COMPOSE_VARIABLES).filter((name) => !found.some((v) => v.name === name));
  if (undescribed.length) throw new Error(`${input.compose.path} interpolates ${undescribed.join(', ')}: describe it in COMPOSE_VARIABLES (tools/config-doc/script-variables.ts)`);
  if (stale.length) throw new Error(`COMPOSE_VARIABLES describes ${stale.join(', ')}, which ${input.compose.path} no longer interpolates`);
  return found.map((v) => ({
    name: v.name,
    group: [DOCKER_COMPOSE],
    description: COMPOSE_VARIABLES[v.name],
    secret: false,
    defaults: [{ by: input.compose.path, value: { kind: 'value', value: v.default } }],
    notes: [],
  }));
}

function listed(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function groupTitle(group: readonly string[], input: EnvExampleInput): string {
  if (group.length === 1 && group[0] === NPM_START) {
    return `npm start (${input.sources.filter((s) => s.readers.includes(NPM_START)).map((s) => s.path).join(', ')})`;
  }
  if (group.length === 1 && group[0] === DOCKER_COMPOSE) {
    return `docker compose (compose.yaml, which includes ${input.compose.path}): interpolated into the compose file only`;
  }
  const label = (reader: string) => (reader === 'migrate' ? 'npm run migrate' : reader);
  const services = SERVICE_NAMES as readonly string[];
  if (services.every((s) => group.includes(s))) {
    const others = group.filter((r) => !services.includes(r)).map(label);
    return others.length ? `every service and ${listed(others)}` : `every service (${services.join(', ')})`;
  }
  return listed(group.map(label));
}

function renderRow(row: ExampleRow): string[] {
  const values = [...new Set(row.defaults.map((d) => raw(d.value)))];
  const notes = [...row.notes];
  if (values.length > 1) notes.unshift(`default: ${row.defaults.map((d) => `${d.by} ${raw(d.value) || 'unset'}`).join(', ')}`);
  let value = values.length === 1 ? values[0] : '';
  // File contents, and what the declaration itself says is usually given as a file (when there is no default to show).
  const fileForm = (row.type !== undefined && FILE_CONTENT_TYPE.test(row.type)) || (value === '' && row.description.includes(`${row.name}_FILE`));
  if (row.secret) {
    // A secret whose readers each have their own default (DATABASE_URL: each service's own role) is shown empty, which
    // leaves every reader its default: one placeholder would give them all the same value.
    const perReader = values.length > 1;
    if (!fileForm && !perReader && value === '') value = SECRET_PLACEHOLDER;
    notes.push(
      fileForm
        ? 'secret: give it as a file; NOT FOR PRODUCTION unless the file holds this deployment\'s own'
        : perReader
          ? `secret: each reader has its own development default (empty keeps them), NOT FOR PRODUCTION; a deployment gives each its own ${row.name}_FILE=<file>`
          : `secret: the value shown is a development placeholder, NOT FOR PRODUCTION; a deployment gives ${row.name}_FILE=<file> instead`,
    );
  }
  if (/[\s'"$`\\#]/.test(value)) throw new Error(`${row.name}: the value "${value}" needs quoting; .env.example shows plain words only`);
  return [
    `# ${row.description}${row.type ? ` [${row.type}]` : ''}`,
    ...notes.map((note) => `#   ${note}`),
    `# ${fileForm ? `${row.name}_FILE` : row.name}=${value}`,
  ];
}

const RULE = `# ${'='.repeat(116)}`;

export const ENV_EXAMPLE_HEADER = `# Clarion: every environment variable that \`npm start\` and the services read, grouped by who reads it, with its
# default. Generated by tools/config-doc from the env classes (apps/<service>/src/<service>.env.ts, libs/config) and
# from the scripts themselves: do not edit it by hand. \`npm run config-doc\` regenerates it together with
# docs/CONFIGURATION.md (which says more about each variable), and a unit test fails when it and the code disagree.
#
# Copy it to .env and uncomment what you change: \`npm start\` exports .env to everything it runs, and \`docker compose\`
# (compose.yaml) takes the variables of the last group from it. Every line is a comment, so an unedited copy changes
# nothing; an empty value counts as unset.
#
# Any service variable may also be given as NAME_FILE=<file> (the file's content is the value); secrets should be.
# The values shown for secrets are development placeholders: NOT FOR PRODUCTION.
`;

/** The text of `.env.example`. Throws when a source reads a variable that nothing describes (see script-variables.ts). */
export function renderEnvExample(input: EnvExampleInput): string {
  const services = serviceRows(input);
  const scripts = scriptRows(input, new Set(services.map((r) => r.name)));
  const ofNpmStart = scripts.filter((r) => r.group.includes(NPM_START));
  // Variables a library reads for the services (tracing) join the services' groups, after the declared ones.
  const rows = [...ofNpmStart, ...services, ...scripts.filter((r) => !ofNpmStart.includes(r)), ...composeRows(input)];
  const groups = new Map<string, ExampleRow[]>();
  for (const row of rows) {
    const key = row.group.join(',');
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const out = [ENV_EXAMPLE_HEADER];
  for (const members of groups.values()) {
    out.push(`${RULE}\n# ${groupTitle(members[0].group, input)}\n${RULE}\n`);
    for (const row of members) out.push(`${renderRow(row).join('\n')}\n`);
  }
  return out.join('\n');
}

/** The variable lines of `.env.example` (`# NAME=value`), in order. */
export function parseEnvExample(text: string): Array<{ name: string; value: string }> {
  return [...text.matchAll(new RegExp(`^# (${NAME})=(.*)$`, 'gm'))].map((m) => ({ name: m[1], value: m[2] }));
}
