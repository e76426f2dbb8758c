import { CsvError, parse, type InfoRecord } from 'csv-parse/sync';
import { stringify, type Options as CsvOptions } from 'csv-stringify/sync';

/** One CSV record with the 1-based line it starts on (a quoted field may span lines). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * RFC 4180 CSV, as spreadsheets and directory exports write it: comma-separated fields, fields in double quotes may
 * hold commas, line breaks and doubled quotes (`""`); CRLF, LF or CR line endings, mixed too; a leading UTF-8 BOM is
 * ignored. Leniencies: a quote inside an unquoted field is an ordinary character, and a quoted field followed by more
 * text is read as it stands, quotes included; records may differ in their number of fields. Empty lines (outside
 * quotes) produce no record. Throws CsvSyntaxError for a quoted field that never closes.
 */
export function parseCsv(text: string): CsvRecord[] {
  // Parsed as bytes so that csv-parse's byte offsets (info.bytes) index the same array the lines are counted in.
  const bytes = Buffer.from(text, 'utf8');
  const lines = new LineCounter(bytes);
  let parsed: Array<{ record: string[]; info: InfoRecord }>;
  try {
    parsed = parse(bytes, {
      bom: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
    }) as unknown as Array<{ record: string[]; info: InfoRecord }>;
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    // csv-parse's own `lines` is where it stopped. Its `bytes` is where the last field (after the field's comma) or
    // the last record (past its line end) ended, and `index` the fields read of the record: a quote opens a field
    // only at its start, so the field being read starts there.
    const fieldsRead = typeof err['index'] === 'number' ? err['index'] : 0;
    const line = lines.startOf((typeof err['bytes'] === 'number' ? err['bytes'] : 0) + (fieldsRead > 0 ? 1 : 0));
    if (err.code === 'CSV_QUOTE_NOT_CLOSED') throw new CsvSyntaxError(`a quoted field opened on line ${line} is never closed`, line);
    throw new CsvSyntaxError(`the field starting on line ${line} cannot be read (${err.code})`, line);
  }
  // csv-parse's info.lines is the line a record ends on, and counts a CRLF inside quotes twice: the start line is
  // counted here instead, from where the previous record ended (info.bytes, past its line end).
  const records: CsvRecord[] = [];
  let from = 0;
  for (const { record, info } of parsed) {
    records.push({ line: lines.startOf(from), fields: record });
    from = info.bytes;
  }
  return records;
}

/** Lines of a byte array, counted once and forwards: CRLF, LF and CR each end one. */
class LineCounter {
  private at = 0;
  private line = 1;
  /** Where the text starts, past a byte-order mark. */
  private readonly textStart: number;

  constructor(private readonly bytes: Uint8Array) {
    this.textStart = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  }

  /**
   * The line of the first byte at or after `offset` that is not a line end (where a record read from there starts,
   * empty lines being skipped). Offsets must not decrease from one call to the next.
   */
  startOf(offset: number): number {
    let start = Math.max(offset, this.textStart);
    while (start < this.bytes.length && (this.bytes[start] === CR || this.bytes[start] === LF)) start++;
    for (; this.at < start; this.at++) {
      const b = this.bytes[this.at];
      if (b === LF || (b === CR && this.bytes[this.at + 1] !== LF)) this.line++;
    }
    return this.line;
  }
}

/**
 * Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV injection"): files written for people
 * to open prefix such text with `'`, and reading them back removes the prefix again.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * RFC 4180 as csv-stringify writes it, for files people edit in spreadsheets and import again: CRLF after every
 * record, a cell quoted when it holds `"`, `,`, CR or LF or starts or ends with white space, formula-looking text
 * prefixed with `'`; null and undefined are empty cells, numbers and booleans written as they are.
 */
const CSV_OPTIONS: CsvOptions = {
  record_delimiter: 'windows',
  quote_record_delimiter: true,
  quoted_match: /^\s|\s$/,
  cast: {
    string: (value) => (FORMULA_START.test(value) ? `'${value}` : value),
    number: (value) => (Number.isFinite(value) ? String(value) : ''),
    boolean: (value) => (value ? 'true' : 'false'),
  },
};

export type CsvCell = string | number | boolean | null | undefined;

/** The CSV text of these records (the header is the first). */
export function formatCsv(records: ReadonlyArray<readonly CsvCell[]>): string {
  return stringify(records as CsvCell[][], CSV_OPTIONS);
}

/** A cell as `formatCsv` meant it: the `'` in front of formula-looking text removed. */
export function unguardCsvCell(cell: string): string {
  return cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}
