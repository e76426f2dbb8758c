import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { CsvSyntaxError, parseCsv } from './csv-records';

/** Rows as a CSV writer puts them; a field starting with a BOM is quoted, so a reader does not take it for the file's. */
const serialise = (rows: string[][], eol: string) => stringify(rows, { record_delimiter: eol, quote_record_delimiter: true, eof: false, quoted_match: /^\ufeff/ });
/** Line ends in a text, CRLF counting as one. */
const lineEnds = (text: string) => text.match(/\r\n|\r|\n/g)?.length ?? 0;

describe('parseCsv', () => {
  it('reads quoted fields holding commas, doubled quotes and line breaks, with the line each record starts on', () => {
    const text = 'mac,user\r\n"aa:bb","Doe, ""JD"" John"\n"multi\nline",x\n\nlast,';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['mac', 'user'] },
      { line: 2, fields: ['aa:bb', 'Doe, "JD" John'] },
      { line: 3, fields: ['multi\nline', 'x'] },
      { line: 6, fields: ['last', ''] },
    ]);
  });

  it('ignores a leading byte-order mark and accepts CR-only line ends', () => {
    expect(parseCsv('\ufeffa,b\rc,d\r')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['c', 'd'] },
    ]);
  });

  it('keeps a quote inside an unquoted field as text', () => {
    expect(parseCsv('12" screen,ok')).toEqual([{ line: 1, fields: ['12" screen', 'ok'] }]);
  });

  it('refuses a quoted field that never closes, naming the line it opened on', () => {
    expect(() => parseCsv('a,b\nc,"open\nstill open')).toThrow(CsvSyntaxError);
    try {
      parseCsv('a,b\nc,"open\nstill open');
    } catch (err) {
      expect((err as CsvSyntaxError).line).toBe(2);
    }
  });

  it('gives back any records serialised as CSV (property)', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', ',', '"', '\n', '\r', ';', 'é', '\ufeff', ':'), maxLength: 12 });
    // A record of one empty field is an empty line, which a reader cannot tell from no record.
    const record = fc.array(field, { minLength: 1, maxLength: 6 }).filter((r) => !(r.length === 1 && r[0] === ''));
    fc.assert(
      fc.property(fc.array(record, { maxLength: 12 }), fc.constantFrom('\n', '\r\n', '\r'), fc.boolean(), (rows, eol, bom) => {
        const text = (bom ? '\ufeff' : '') + serialise(rows, eol) + (rows.length > 0 && bom ? eol : '');
        expect(parseCsv(text).map((r) => r.fields)).toEqual(rows);
      }),
      { numRuns: 500 },
    );
  });

  it('names the line each record starts on, across quoted line breaks, empty lines and mixed line ends (property)', () => {
    const field = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' '), maxLength: 6 });
    const record = fc.array(field, { minLength: 1, maxLength: 4 }).filter((r) => !(r.length === 1 && r[0] === ''));
    const lineEnd = fc.constantFrom('\n', '\r\n', '\r');
    fc.assert(
      fc.property(fc.array(fc.tuple(record, lineEnd, fc.nat(2)), { maxLength: 10 }), fc.boolean(), (rows, bom) => {
        let text = bom ? '\ufeff' : '';
        let line = 1;
        const expected: Array<{ line: number; fields: string[] }> = [];
        for (const [fields, eol, emptyLinesAfter] of rows) {
          const written = serialise([fields], eol);
          expected.push({ line, fields });
          text += written + eol.repeat(1 + emptyLinesAfter);
          line += lineEnds(written) + 1 + emptyLinesAfter;
        }
        expect(parseCsv(text)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('names the line a never-closed quote opened on, past records, empty lines and earlier quoted line breaks', () => {
    const lineOf = (text: string) => {
      try {
        parseCsv(text);
      } catch (err) {
        expect(err).toBeInstanceOf(CsvSyntaxError);
        return (err as CsvSyntaxError).line;
      }
      throw new Error('parsed');
    };
    expect(lineOf('"a\r\nb",c\r\n\r\nd,"open\r\nstill open')).toBe(4);
    expect(lineOf('a\nb\nc\n\n"open')).toBe(5);
    expect(lineOf('x\r"y\rz",w\r"a\r\nb","open\r\n')).toBe(5);
    expect(lineOf('"quoted"text,"open\n')).toBe(1);
    expect(lineOf('\ufeff\n\n"never closed')).toBe(3);
  });
});
