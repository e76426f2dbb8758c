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

/**
 * RFC 4180 CSV, as spreadsheets and directory exports write it: comma-separated fields, fields in double quotes may
 * hold commas, line breaks and doubled quotes (`""`); CRLF, LF or CR line endings; a leading UTF-8 BOM is ignored.
 * Leniencies: a quote inside an unquoted field is an ordinary character, and text after a closing quote is kept.
 * Empty lines (outside quotes) produce no record. Throws CsvSyntaxError for a quoted field that never closes.
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let recordLine = 1;
  let fields: string[] = [];
  let field = '';
  let atFieldStart = true;
  /** Whether the current record has any content, so that an empty line produces no record. */
  let started = false;

  const endRecord = () => {
    fields.push(field);
    if (started) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
    atFieldStart = true;
    started = false;
  };

  while (i < text.length) {
    const c = text[i];
    if (c === '"' && atFieldStart) {
      const openedOn = line;
      started = true;
      atFieldStart = false;
      i++;
      for (;;) {
        if (i >= text.length) throw new CsvSyntaxError(`a quoted field opened on line ${openedOn} is never closed`, openedOn);
        const q = text[i];
        if (q === '"') {
          if (text[i + 1] !== '"') {
            i++;
            break;
          }
          field += '"';
          i += 2;
          continue;
        }
        if (q === '\n' || (q === '\r' && text[i + 1] !== '\n')) line++;
        field += q;
        i++;
      }
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      atFieldStart = true;
      started = true;
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
      continue;
    }
    field += c;
    atFieldStart = false;
    started = true;
    i++;
  }
  if (started) endRecord();
  return records;
}

/** One field as a CSV writer would put it: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value.startsWith('\ufeff') ? `"${value.replace(/"/g, '""')}"` : value;
}
