import fc from 'fast-check';
import { CsvSyntaxError, csvField, parseCsv } from './csv.parser';

const serialise = (rows: string[][], eol: string) => rows.map((r) => r.map(csvField).join(',')).join(eol);

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
});
