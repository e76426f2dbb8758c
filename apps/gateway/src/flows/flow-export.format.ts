import { FLOW_FIELDS, type FlowDto } from '@clarion/contracts';
import { stringify, type Options as CsvOptions } from 'csv-stringify/sync';

export const FLOW_EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type FlowExportFormat = (typeof FLOW_EXPORT_FORMATS)[number];

export const FLOW_EXPORT_CONTENT_TYPES: Record<FlowExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/**
 * Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV injection"); a leading `'` makes it
 * text. Tab and carriage return are on the list because some spreadsheets strip them and then see the next one.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * RFC 4180 as csv-stringify writes it: CRLF after every record, a cell quoted when it holds `"`, `,`, CR or LF (any
 * of them: with a record delimiter given, csv-stringify quotes only that one unless told) or starts or ends with
 * white space (so that readers which trim keep it). Text that could start a formula gets its `'` here rather than through
 * csv-stringify's escape_formulas, which decides on quotes before the prefix and so would quote "'\t=1". Numbers are
 * written as they are (a negative one is no formula), non-finite ones as empty cells; null and undefined are empty.
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

type CsvValue = string | number | null | undefined;

/** One CSV cell (RFC 4180): text that could start a formula prefixed with `'`, quoted when it holds `"`, `,` or a line break. */
export const csvCell = (value: CsvValue): string => csvRecord([value]).slice(0, -2);

/** One CSV record, CRLF-terminated as RFC 4180 asks. */
export const csvRecord = (values: readonly CsvValue[]): string => stringify([values], CSV_OPTIONS);

export const FLOW_CSV_HEADER = csvRecord(FLOW_FIELDS as readonly string[]);

/** The text of one page of flows in the export format (the CSV header is written once, before the first page). */
export function encodeFlows(format: FlowExportFormat, flows: readonly FlowDto[]): string {
  if (format === 'ndjson') return flows.map((f) => `${JSON.stringify(f)}\n`).join('');
  return stringify(flows.map((f) => FLOW_FIELDS.map((field) => f[field])), CSV_OPTIONS);
}

export interface ExportSummary {
  rows: number;
  /** More rows matched than the export's row cap. */
  truncated: boolean;
  /** The walk reached the end (or the cap); false when the consumer stopped reading first. */
  completed: boolean;
}

export interface ExportOptions {
  format: FlowExportFormat;
  maxRows: number;
  pageSize: number;
}

/** Fetches one page of flows of the export's query; `cursor` undefined for the first. */
export type FlowPageSource = (cursor: string | undefined, limit: number) => Promise<{ items: FlowDto[]; nextCursor: string | null }>;

/**
 * The export as text chunks, one per page: the next page is fetched only when the consumer asks for the next chunk,
 * so a slow client slows the walk instead of filling memory, and a consumer that stops (client gone) stops it. The
 * first page is passed in, fetched before the response starts, so its errors can still become a problem answer.
 */
export async function* exportChunks(
  first: { items: FlowDto[]; nextCursor: string | null },
  fetchPage: FlowPageSource,
  options: ExportOptions,
  onEnd: (summary: ExportSummary) => void,
): AsyncGenerator<string> {
  const summary: ExportSummary = { rows: 0, truncated: false, completed: false };
  try {
    if (options.format === 'csv') yield FLOW_CSV_HEADER;
    let page = first;
    for (;;) {
      const room = options.maxRows - summary.rows;
      const items = page.items.length > room ? page.items.slice(0, room) : page.items;
      summary.rows += items.length;
      if (items.length > 0) yield encodeFlows(options.format, items);
      if (summary.rows >= options.maxRows) {
        summary.truncated = page.items.length > items.length || page.nextCursor !== null;
        break;
      }
      if (page.nextCursor === null) break;
      page = await fetchPage(page.nextCursor, Math.min(options.pageSize, options.maxRows - summary.rows));
    }
    summary.completed = true;
  } finally {
    onEnd(summary);
  }
}
