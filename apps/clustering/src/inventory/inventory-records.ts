import {
  ADDRESS_SCOPES,
  DomainException,
  ErrorCode,
  INVENTORY_IMPORT_MAX_RECORDS,
  INVENTORY_NAME_PATTERN,
  SITE_KINDS,
  SUBNET_PURPOSES,
  formatNetwork,
  isTimeZone,
  parseCidr,
  type InventoryFormat,
  type InventoryKind,
} from '@clarion/contracts';
import { stringify, type Options as CsvOptions } from 'csv-stringify/sync';
import { CsvSyntaxError, parseCsv } from '@clarion/platform';

/**
 * The import and export formats of the network inventory. CSV: a header naming columns (any order, the key column
 * required), one record per line; JSON: an array of objects with the JSON names. The same for both directions, so
 * an export imports back unchanged.
 *
 * A column left out of the header (a key left out of a JSON object) keeps what is stored; an empty cell (`null`)
 * clears it. Values are trimmed. The key of a record: a site's name, an address space's or a subnet's CIDR.
 */
export interface InventoryColumn {
  csv: string;
  json: string;
}

export const INVENTORY_COLUMNS: Record<InventoryKind, readonly InventoryColumn[]> = {
  sites: [
    { csv: 'name', json: 'name' },
    { csv: 'kind', json: 'kind' },
    { csv: 'parent', json: 'parent' },
    { csv: 'time_zone', json: 'timeZone' },
    { csv: 'description', json: 'description' },
  ],
  'address-spaces': [
    { csv: 'cidr', json: 'cidr' },
    { csv: 'name', json: 'name' },
    { csv: 'kind', json: 'kind' },
    { csv: 'description', json: 'description' },
  ],
  subnets: [
    { csv: 'cidr', json: 'cidr' },
    { csv: 'name', json: 'name' },
    { csv: 'site', json: 'site' },
    { csv: 'vlan', json: 'vlan' },
    { csv: 'purpose', json: 'purpose' },
    { csv: 'description', json: 'description' },
  ],
};

/** One record as read: the 1-based CSV line or 0-based JSON index, and the fields it gives by JSON name. */
export interface RawRecord {
  at: number;
  /** Why the record cannot be read at all. */
  defect?: string;
  fields: Map<string, unknown>;
}

const invalid = (message: string) => new DomainException(ErrorCode.ValidationFailed, message, [{ field: 'content', message }]);

/** Spreadsheets run a cell starting with one of these as a formula; the export prefixes `'`, which the import removes. */
const FORMULA_START = /^[=+\-@\t\r]/;
const unguard = (cell: string): string => (cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell);

function fromCsv(kind: InventoryKind, content: string): RawRecord[] {
  let records;
  try {
    records = parseCsv(content).filter((r) => r.fields.some((f) => f.trim() !== ''));
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw invalid(`the CSV is not valid: ${err.message}`);
    throw err;
  }
  const columns = INVENTORY_COLUMNS[kind];
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
    names.forEach((name, i) => fields.set(known.get(name) ?? name, unguard((r.fields[i] ?? '').trim())));
    return { at: r.line, fields };
  });
}

function fromJson(kind: InventoryKind, content: string): RawRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.charCodeAt(0) === 0xfeff ? content.slice(1) : content);
  } catch (err) {
    throw invalid(`the content is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw invalid('the JSON must be an array of records');
  const known = new Set(INVENTORY_COLUMNS[kind].map((c) => c.json));
  return parsed.map((item: unknown, at): RawRecord => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return { at, defect: 'not an object', fields: new Map() };
    const extra = Object.keys(item).filter((k) => !known.has(k));
    if (extra.length > 0) return { at, defect: `unknown field ${extra[0]} (known: ${[...known].join(', ')})`, fields: new Map() };
    return { at, fields: new Map(Object.entries(item)) };
  });
}

/** The records of an import, or VALIDATION_FAILED when the content as a whole cannot be read. */
export function readInventoryRecords(kind: InventoryKind, format: InventoryFormat, content: string): RawRecord[] {
  const records = format === 'csv' ? fromCsv(kind, content) : fromJson(kind, content);
  if (records.length > INVENTORY_IMPORT_MAX_RECORDS) throw invalid(`at most ${INVENTORY_IMPORT_MAX_RECORDS} records per import (this one has ${records.length})`);
  return records;
}

/** A field's verdict: absent (keep), a value, or why not. */
export type FieldVerdict<T> = { absent: true } | { value: T } | { reason: string };

/** Text fields: a string (or a number, from JSON) trimmed, empty meaning null. */
function text(record: RawRecord, key: string): FieldVerdict<string | null> {
  if (!record.fields.has(key)) return { absent: true };
  const raw = record.fields.get(key);
  if (raw === null || raw === undefined) return { value: null };
  if (typeof raw === 'number' && Number.isFinite(raw)) return { value: String(raw) };
  if (typeof raw !== 'string') return { reason: `${key} must be text` };
  const trimmed = raw.trim();
  return { value: trimmed === '' ? null : trimmed };
}

type Check<T> = { value: T } | { reason: string };

/** Applies `check` to a present, non-null value. */
function checked<T>(verdict: FieldVerdict<string | null>, check: (value: string) => Check<T>): FieldVerdict<T | null> {
  if ('absent' in verdict || 'reason' in verdict) return verdict;
  return verdict.value === null ? { value: null } : check(verdict.value);
}

const oneOf =
  <T extends string>(key: string, allowed: readonly T[]) =>
  (value: string): Check<T> => {
    const lower = value.toLowerCase();
    return (allowed as readonly string[]).includes(lower) ? { value: lower as T } : { reason: `${key} must be one of ${allowed.join(', ')} (not '${value}')` };
  };

const NAME =
  (key: string) =>
  (value: string): Check<string> =>
  INVENTORY_NAME_PATTERN.test(value) ? { value } : { reason: `${key} must be 1-200 characters without control characters` };
const DESCRIPTION = (value: string): Check<string> => (value.length <= 500 ? { value } : { reason: 'description must be at most 500 characters' });
const CIDR = (value: string): Check<string> => {
  const verdict = parseCidr(value);
  return 'error' in verdict ? { reason: `cidr: ${verdict.error}` } : { value: formatNetwork(verdict.network) };
};
const TIME_ZONE = (value: string): Check<string> => (isTimeZone(value) ? { value } : { reason: `time zone '${value}' is not an IANA time zone name (such as Europe/Zurich)` });
const VLAN = (value: string): Check<number> => (/^\d{1,4}$/.test(value) && Number(value) >= 1 && Number(value) <= 4094 ? { value: Number(value) } : { reason: `vlan must be 1-4094 (not '${value}')` });

/** The fields of one site record, each checked on its own (references and the hierarchy are the importer's). */
export function siteFields(record: RawRecord) {
  return {
    name: checked(text(record, 'name'), NAME('name')),
    kind: checked(text(record, 'kind'), oneOf('kind', SITE_KINDS)),
    parent: checked(text(record, 'parent'), NAME('parent')),
    timeZone: checked(text(record, 'timeZone'), TIME_ZONE),
    description: checked(text(record, 'description'), DESCRIPTION),
  };
}

export function addressSpaceFields(record: RawRecord) {
  return {
    cidr: checked(text(record, 'cidr'), CIDR),
    name: checked(text(record, 'name'), NAME('name')),
    kind: checked(text(record, 'kind'), oneOf('kind', ADDRESS_SCOPES)),
    description: checked(text(record, 'description'), DESCRIPTION),
  };
}

export function subnetFields(record: RawRecord) {
  return {
    cidr: checked(text(record, 'cidr'), CIDR),
    name: checked(text(record, 'name'), NAME('name')),
    site: checked(text(record, 'site'), NAME('site')),
    vlan: checked(text(record, 'vlan'), VLAN),
    purpose: checked(text(record, 'purpose'), oneOf('purpose', SUBNET_PURPOSES)),
    description: checked(text(record, 'description'), DESCRIPTION),
  };
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

/**
 * RFC 4180 as the flow export writes it: CRLF, quoted when needed (or when a cell starts or ends with white space),
 * text that could start a formula prefixed with `'`.
 */
const CSV_OPTIONS: CsvOptions = {
  record_delimiter: 'windows',
  quote_record_delimiter: true,
  quoted_match: /^\s|\s$/,
  cast: {
    string: (value) => (FORMULA_START.test(value) ? `'${value}` : value),
    number: (value) => (Number.isFinite(value) ? String(value) : ''),
  },
};

/** Records (by JSON name) in the kind's format: CSV with every column, or a JSON array. */
export function writeInventoryRecords(kind: InventoryKind, format: InventoryFormat, records: ReadonlyArray<Record<string, string | number | null>>): string {
  const columns = INVENTORY_COLUMNS[kind];
  if (format === 'json') return `${JSON.stringify(records, null, 2)}\n`;
  return stringify([columns.map((c) => c.csv), ...records.map((r) => columns.map((c) => r[c.json] ?? null))], CSV_OPTIONS);
}
