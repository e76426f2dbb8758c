import { ErrorCode } from '@clarion/contracts';
import fc from 'fast-check';
import { checkedField, oneOf, readImportRecords, textField, writeImportRecords, type ImportColumn } from './import-records';

const COLUMNS: ImportColumn[] = [
  { csv: 'cidr', json: 'cidr' },
  { csv: 'name', json: 'name' },
  { csv: 'time_zone', json: 'timeZone' },
];

const fieldsOf = (format: 'csv' | 'json', content: string) => readImportRecords(format, content, COLUMNS, 10).map((r) => ({ at: r.at, defect: r.defect, fields: Object.fromEntries(r.fields) }));

describe('bulk import records (CSV and JSON)', () => {
  it('reads a CSV with a header in any order and case, a BOM, CRLF and blank lines, counting lines as an editor does', () => {
    expect(fieldsOf('csv', '\ufeffName,CIDR\r\n\r\n" Lab ",10.0.0.0/8\r\nOffice,\r\n')).toEqual([
      { at: 3, defect: undefined, fields: { name: 'Lab', cidr: '10.0.0.0/8' } },
      { at: 4, defect: undefined, fields: { name: 'Office', cidr: '' } },
    ]);
  });

  it('refuses a CSV without the key column, with a column twice or an unknown one, as a whole', () => {
    for (const content of ['name\nx\n', 'cidr,cidr\n1,2\n', 'cidr,owner\n10.0.0.0/8,x\n', '']) {
      expect(() => readImportRecords('csv', content, COLUMNS, 10)).toThrow(expect.objectContaining({ code: ErrorCode.ValidationFailed }));
    }
    expect(() => readImportRecords('csv', `cidr\n${'10.0.0.0/8\n'.repeat(11)}`, COLUMNS, 10)).toThrow(/at most 10 records/);
  });

  it('marks a CSV record with more fields than the header, and JSON items that are not objects or have unknown keys', () => {
    expect(fieldsOf('csv', 'cidr,name\n10.0.0.0/8,a,b\n')[0]!.defect).toMatch(/more fields/);
    expect(fieldsOf('json', '[1, {"cidr": "10.0.0.0/8", "owner": "x"}, {"cidr": null}]').map((r) => r.defect ?? r.fields)).toEqual([
      'not an object',
      expect.stringMatching(/unknown field owner/),
      { cidr: null },
    ]);
    expect(() => readImportRecords('json', '{"cidr": "x"}', COLUMNS, 10)).toThrow(/array/);
  });

  it('tells a column left out (keep) from an empty cell (clear) and checks present values', () => {
    const [record] = readImportRecords('csv', 'cidr,name\n10.0.0.0/8,\n', COLUMNS, 10);
    expect(textField(record!, 'timeZone')).toEqual({ absent: true });
    expect(textField(record!, 'name')).toEqual({ value: null });
    expect(checkedField(textField(record!, 'cidr'), (v) => ({ value: v.length }))).toEqual({ value: 10 });
    expect(oneOf('kind', ['internal', 'external'] as const)('EXTERNAL')).toEqual({ value: 'external' });
    expect(oneOf('kind', ['internal', 'external'] as const)('sideways')).toEqual({ reason: "kind must be one of internal, external (not 'sideways')" });
  });

  it('writes what it reads back: every record through CSV (formula-looking text guarded) and JSON', () => {
    // A text that itself starts with the guard (`'=`) would come back without it: the one text that does not round-trip.
    const text = fc.string({ maxLength: 30 }).map((s) => s.trim()).filter((s) => s !== '' && !s.startsWith("'"));
    fc.assert(
      fc.property(fc.array(fc.record({ cidr: text, name: fc.option(text, { nil: null }), timeZone: fc.option(fc.constantFrom('=1+1', '@SUM(A1)', '-2', '+x', 'Europe/Zurich'), { nil: null }) }), { maxLength: 10 }), (records) => {
        for (const format of ['csv', 'json'] as const) {
          const back = readImportRecords(format, writeImportRecords(format, COLUMNS, records), COLUMNS, 10).map((r) =>
            Object.fromEntries([...r.fields].map(([k, v]) => [k, v === '' ? null : v])),
          );
          expect(back).toEqual(records);
        }
      }),
    );
  });
});
