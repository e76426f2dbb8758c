/**
 * Generates the variables table of docs/CONFIGURATION.md from the env classes (their @EnvVar registry, initial
 * values and validators), and reads it back so that a test can compare the doc with the code. The table sits
 * between two marker comments; the hand-written prose around it is left alone.
 */
import { ConfigValidationError, describeEnv, validateEnv, type EnvVarDescriptor } from '@clarion/config';
import type { EnvReader } from './env-readers';

export const TABLE_START = '<!-- config-table:start -->';
export const TABLE_END = '<!-- config-table:end -->';

const HEADER = ['Variable', 'Type', 'Default', 'Secret', 'Read by', 'Description'] as const;

/** One row of the table: what an operator needs to know about one variable. */
export interface DocumentedVariable {
  name: string;
  type: string;
  /** As shown: `` `9400` ``, `development only: ...`, `required`, `unset (optional)`, or one value per reader. */
  default: string;
  /** Also accepted as `<name>_FILE`. */
  secret: boolean;
  /** Names of the services (and tools) that read it, in ENV_READERS order. */
  readBy: string[];
  description: string;
}

/** Variables that a reader refuses to start without when nothing is set outside production. */
function requiredVariables(reader: EnvReader): Set<string> {
  try {
    validateEnv(reader.envClass, { CLARION_ENV: 'test' }, reader.name);
    return new Set();
  } catch (err) {
    if (!(err instanceof ConfigValidationError)) throw err;
    return new Set(err.problems.map((p) => p.variable));
  }
}

function code(value: string): string {
  return `\`${value}\``;
}

function formatValue(value: unknown): string {
  if (value === '') return 'empty';
  if (Array.isArray(value)) return code(value.join(','));
  return code(String(value));
}

/** What one reader does when a variable is not set. */
export type EnvDefault =
  | { kind: 'value'; value: unknown }
  | { kind: 'development'; value: string }
  | { kind: 'required' }
  | { kind: 'unset' };

/** A variable as the env classes declare it: its declaration, the readers that read it and each one's default. */
export interface DeclaredVariable {
  descriptor: EnvVarDescriptor;
  readBy: string[];
  defaults: Array<{ reader: string; default: EnvDefault }>;
}

function defaultOf(d: EnvVarDescriptor, instance: Record<string, unknown>, required: Set<string>): EnvDefault {
  if (d.devDefault !== undefined) return { kind: 'development', value: d.devDefault };
  const value = instance[d.name];
  if (value === undefined || value === null) return { kind: required.has(d.name) ? 'required' : 'unset' };
  return { kind: 'value', value };
}

/**
 * Every variable the readers read, once each, in declaration order (base class first, then each reader's own), with
 * the default of every reader that reads it. docs/CONFIGURATION.md and .env.example are both rendered from this.
 */
export function collectDeclarations(readers: readonly EnvReader[]): DeclaredVariable[] {
  const rows = new Map<string, DeclaredVariable>();
  for (const reader of readers) {
    const instance = new reader.envClass() as Record<string, unknown>;
    const required = requiredVariables(reader);
    for (const d of describeEnv(reader.envClass)) {
      const value = defaultOf(d, instance, required);
      const existing = rows.get(d.name);
      if (!existing) {
        rows.set(d.name, { descriptor: d, readBy: [reader.name], defaults: [{ reader: reader.name, default: value }] });
        continue;
      }
      // One variable means one thing everywhere; a second declaration that disagrees is a bug in an env class.
      for (const [field, a, b] of [
        ['type', existing.descriptor.type, d.type],
        ['description', existing.descriptor.description, d.description],
        ['secret', existing.descriptor.secret === true, d.secret === true],
      ] as const) {
        if (a !== b) {
          throw new Error(`${d.name} is declared with a different ${field} by ${existing.readBy.join(', ')} and by ${reader.name}; make the declarations agree`);
        }
      }
      existing.readBy.push(reader.name);
      existing.defaults.push({ reader: reader.name, default: value });
    }
  }
  return [...rows.values()];
}

function formatDefault(value: EnvDefault): string {
  switch (value.kind) {
    case 'development':
      return `development only: ${code(value.value)}`;
    case 'required':
      return 'required';
    case 'unset':
      return 'unset (optional)';
    case 'value':
      return formatValue(value.value);
  }
}

/** The table's rows, from the env classes (see collectDeclarations), with the defaults as the table shows them. */
export function collectVariables(readers: readonly EnvReader[]): DocumentedVariable[] {
  return collectDeclarations(readers).map(({ descriptor: d, readBy, defaults }) => {
    const shown = defaults.map((x) => ({ reader: x.reader, value: formatDefault(x.default) }));
    return {
      name: d.name,
      type: d.type,
      default: new Set(shown.map((x) => x.value)).size === 1 ? shown[0].value : shown.map((x) => `${x.reader}: ${x.value}`).join(', '),
      secret: d.secret === true,
      readBy,
      description: d.description,
    };
  });
}

/** Markdown table cells: no line breaks, and `|` escaped (also inside code spans, as GitHub's tables require). */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

function secretCell(v: DocumentedVariable): string {
  return v.secret ? `yes (or ${code(`${v.name}_FILE`)})` : 'no';
}

export function renderTable(variables: readonly DocumentedVariable[]): string {
  const lines = [`| ${HEADER.join(' | ')} |`, `| ${HEADER.map(() => '---').join(' | ')} |`];
  for (const v of variables) {
    const cells = [code(v.name), v.type, v.default, secretCell(v), v.readBy.join(', '), v.description];
    lines.push(`| ${cells.map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

function splitRow(line: string): string[] {
  const trimmed = line.trim();
  if (!trimmed.startsWith('|') || !trimmed.endsWith('|')) throw new Error(`not a table row: ${line}`);
  return trimmed
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** The generated region of a document (between the markers), or an error naming the missing marker. */
export function tableRegion(doc: string): { before: string; table: string; after: string } {
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  if (start < 0) throw new Error(`missing ${TABLE_START}`);
  if (end < start) throw new Error(`missing ${TABLE_END} after ${TABLE_START}`);
  return { before: doc.slice(0, start + TABLE_START.length), table: doc.slice(start + TABLE_START.length, end), after: doc.slice(end) };
}

/** Reads the variables table of a document back into rows. Throws when the table is malformed. */
export function parseTable(doc: string): DocumentedVariable[] {
  const lines = tableRegion(doc)
    .table.split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('|'));
  if (lines.length < 2) throw new Error('the config table has no header');
  const header = splitRow(lines[0]);
  if (header.join('|') !== HEADER.join('|')) throw new Error(`unexpected table header: ${header.join(', ')}`);
  return lines.slice(2).map((line) => {
    const cells = splitRow(line);
    if (cells.length !== HEADER.length) throw new Error(`expected ${HEADER.length} cells: ${line}`);
    const [nameCell, type, defaultCell, secret, readBy, description] = cells;
    const name = nameCell.replace(/^`|`$/g, '');
    const isSecret = secret.startsWith('yes');
    if (isSecret && !secret.includes(code(`${name}_FILE`))) throw new Error(`${name}: a secret row must name ${name}_FILE`);
    return {
      name,
      type,
      default: defaultCell,
      secret: isSecret,
      readBy: readBy
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      description,
    };
  });
}

/** Differences between the rows a document shows and the rows the env classes give; empty when they agree. */
export function compareVariables(documented: readonly DocumentedVariable[], expected: readonly DocumentedVariable[]): string[] {
  const problems: string[] = [];
  const doc = new Map(documented.map((v) => [v.name, v]));
  const declared = new Map(expected.map((v) => [v.name, v]));
  if (doc.size !== documented.length) problems.push('the table lists a variable more than once');
  for (const want of expected) {
    const got = doc.get(want.name);
    if (!got) {
      problems.push(`${want.name}: read by ${want.readBy.join(', ')} but not documented`);
      continue;
    }
    const fields: Array<[string, string, string]> = [
      ['type', got.type, want.type],
      ['default', got.default, want.default],
      ['secret', String(got.secret), String(want.secret)],
      ['read by', got.readBy.join(', '), want.readBy.join(', ')],
      ['description', got.description, want.description],
    ];
    for (const [field, have, should] of fields) {
      if (have !== should) problems.push(`${want.name}: the doc says ${field} "${have}", the env classes say "${should}"`);
    }
  }
  for (const got of documented) {
    if (!declared.has(got.name)) problems.push(`${got.name}: documented but no env class reads it`);
  }
  return problems;
}

/** The document with its table replaced by a fresh one; everything outside the markers is kept byte for byte. */
export function updateDoc(doc: string, readers: readonly EnvReader[]): string {
  const { before, after } = tableRegion(doc);
  return `${before}\n${renderTable(collectVariables(readers))}\n${after}`;
}
