import { DomainException, ErrorCode } from '@clarion/contracts';
import { CsvSyntaxError, formatCsv, parseCsv, unguardCsvCell, type CsvCell } from './csv-records';

/**
 * The bulk import and export format of the API's registries (network inventory, exporters): CSV with a header naming
 * its columns (any order, the key column required; names are case-insensitive), or a JSON array of objects keyed by
 * the JSON names. A column left out (a key left out of an object) means "keep what is stored"; an empty cell (`null`)
 * clears. An export in either format imports back unchanged.
 */
export interface ImportColumn {
  csv: string;
  json: string;
}

/** One record as read: the 1-based CSV line or 0-based JSON index, and the fields it gives by JSON name. */
export interface ImportRecord {
  at: number;
  /** Why the record cannot be read at all. */
  defect?: string;
  fields: Map<string, unknown>;
}

const invalid = (message: string) => new DomainException(ErrorCode.ValidationFailed, message, [{ field: 'content', message }]);

function fromCsv(columns: readonly ImportColumn[], content: string): ImportRecord[] {
  let records;
  try {
    records = parseCsv(content).filter((r) => r.fields.some((f) => f.trim() !== ''));
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw invalid(`the CSV is not valid: ${err.message}`);
    throw err;
  }
  const header = records.shift();
  const names = header?.fields.map((f) => f.trim().toLowerCase()) ?? [];
  const known = new Map(columns.map((c) => [c.csv, c.json]));
  const headerHelp = `the CSV must start with a header naming its columns (${columns.map((c) => c.csv).join(',')}; ${columns[0].csv} required)`;
  if (names.length === 0 || !names.includes(columns[0].csv) || new Set(names).size !== names.length) throw invalid(headerHelp);
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) throw invalid(`${headerHelp}; unknown: ${unknown.join(', ')}`);
  return records.map((r) => {
    if (r.fields.length > names.length) return { at: r.line, defect: 'more fields than the header has columns', fields: new Map() };
    const fields = new Map<string, unknown>();
    names.forEach((name, i) => fields.set(known.get(name) ?? name, unguardCsvCell((r.fields[i] ?? '').trim())));
    return { at: r.line, fields };
  });
}

function fromJson(columns: readonly ImportColumn[], content: string): ImportRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.charCodeAt(0) === 0xfeff ? content.slice(1) : content);
  } catch (err) {
    throw invalid(`the content is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw invalid('the JSON must be an array of records');
  const known = new Set(columns.map((c) => c.json));
  return parsed.map((item: unknown, at): ImportRecord => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return { at, defect: 'not an object', fields: new Map() };
    const extra = Object.keys(item).filter((k) => !known.has(k));
    if (extra.length > 0) return { at, defect: `unknown field ${extra[0]} (known: ${[...known].join(', ')})`, fields: new Map() };
    return { at, fields: new Map(Object.entries(item)) };
  });
}

/** The records of an import (`columns[0]` is the key), or VALIDATION_FAILED when the content as a whole cannot be read. */
export function readImportRecords(format: 'csv' | 'json', content: string, columns: readonly ImportColumn[], maxRecords: number): ImportRecord[] {
  const records = format === 'csv' ? fromCsv(columns, content) : fromJson(columns, content);
  if (records.length > maxRecords) throw invalid(`at most ${maxRecords} records per import (this one has ${records.length})`);
  return records;
}

/** Records (by JSON name) in the format: CSV with every column, or a JSON array. */
export function writeImportRecords(format: 'csv' | 'json', columns: readonly ImportColumn[], records: ReadonlyArray<Record<string, CsvCell>>): string {
  if (format === 'json') return `${JSON.stringify(records, null, 2)}\n`;
  return formatCsv([columns.map((c) => c.csv), ...records.map((r) => columns.map((c) => r[c.json] ?? null))]);
}

/** A field's verdict: absent (keep), a value, or why not. */
export type FieldVerdict<T> = { absent: true } | { value: T } | { reason: string };
export type FieldCheck<T> = { value: T } | { reason: string };

/** A text field: a string (or a number or boolean, from JSON) trimmed, empty meaning null. */
export function textField(record: ImportRecord, key: string): FieldVerdict<string | null> {
  if (!record.fields.has(key)) return { absent: true };
  const raw = record.fields.get(key);
  if (raw === null || raw === undefined) return { value: null };
  if ((typeof raw === 'number' && Number.isFinite(raw)) || typeof raw === 'boolean') return { value: String(raw) };
  if (typeof raw !== 'string') return { reason: `${key} must be text` };
  const trimmed = raw.trim();
  return { value: trimmed === '' ? null : trimmed };
}

/** Applies `check` to a present, non-null value. */
export function checkedField<T>(verdict: FieldVerdict<string | null>, check: (value: string) => FieldCheck<T>): FieldVerdict<T | null> {
  if ('absent' in verdict || 'reason' in verdict) return verdict;
  return verdict.value === null ? { value: null } : check(verdict.value);
}

/** The first reason among the verdicts, if any. */
export function firstReason(verdicts: Record<string, FieldVerdict<unknown>>): string | undefined {
  for (const v of Object.values(verdicts)) if ('reason' in v) return v.reason;
  return undefined;
}

/** The value a verdict gives, else `fallback` (absent: keep the stored value). */
export function valueOr<T>(verdict: FieldVerdict<T>, fallback: T): T {
  return 'value' in verdict ? verdict.value : fallback;
}

/** A value one of `allowed` (case-insensitive, answered in lower case). */
export const oneOf =
  <T extends string>(key: string, allowed: readonly T[]) =>
  (value: string): FieldCheck<T> => {
    const lower = value.toLowerCase();
    return (allowed as readonly string[]).includes(lower) ? { value: lower as T } : { reason: `${key} must be one of ${allowed.join(', ')} (not '${value}')` };
  };
