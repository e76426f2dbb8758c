import { FLOW_FIELDS, type FlowDto } from '@clarion/contracts';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { csvCell, csvRecord, encodeFlows, exportChunks, FLOW_CSV_HEADER, type ExportSummary, type FlowPageSource } from './flow-export.format';

/**
 * The export read back by csv-parse, strictly: no quote inside an unquoted cell, nothing after a closing quote, and
 * any line end (CRLF, LF or CR, as spreadsheets take them) ends a record, so a line break in a cell must be quoted;
 * the last record has its line end too.
 */
function parseCsv(text: string): string[][] {
  if (text !== '' && !text.endsWith('\r\n')) throw new Error('the last record has no line end');
  return parse(text, { record_delimiter: ['\r\n', '\n', '\r'], relax_column_count: true });
}

const FORMULA = /^[=+\-@\t\r]/;
/** What a reader of the export sees for a text cell: itself, or `'` and itself when it would start a formula. */
const asExported = (value: string) => (FORMULA.test(value) ? `'${value}` : value);

const flow = (overrides: Partial<FlowDto> = {}): FlowDto => ({
  startTime: '2026-01-02T10:00:00.000Z',
  endTime: '2026-01-02T10:00:05.000Z',
  exporter: '192.0.2.1',
  observationDomain: 0,
  version: 9,
  srcAddress: '10.0.0.1',
  dstAddress: '10.0.0.2',
  srcPort: 40000,
  dstPort: 443,
  protocol: 6,
  tcpFlags: 27,
  bytes: 1500,
  packets: 3,
  samplingRate: 1,
  inputInterface: 1,
  outputInterface: 2,
  srcMac: null,
  dstMac: null,
  srcVlan: null,
  dstVlan: null,
  direction: null,
  srcSgt: null,
  dstSgt: 10,
  ...overrides,
});

describe('CSV cells and records', () => {
  it('round-trips any rows of text through an RFC 4180 reader, formula starters made text', () => {
    const text = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('=1+2', '+SUM(A1)', '-2', '@cmd', '\tx', '\r\n', '"', '""', ',', 'a"b,c\nd', 'lf\nonly', 'cr\ronly', ' lead', 'trail '));
    fc.assert(
      fc.property(fc.array(fc.array(text, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }), (rows) => {
        const parsed = parseCsv(rows.map((r) => csvRecord(r)).join(''));
        expect(parsed).toEqual(rows.map((r) => r.map(asExported)));
      }),
      { numRuns: 500 },
    );
  });

  it('defuses cells that would start a formula and leaves numbers and empty cells alone', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell(0)).toBe('0');
    expect(csvCell(null)).toBe('');
    expect(csvCell('2001:db8::1')).toBe('2001:db8::1');
  });

  it('writes a header naming every column and one record per flow, in the header order', () => {
    expect(parseCsv(FLOW_CSV_HEADER)).toEqual([[...FLOW_FIELDS]]);
    const rows = parseCsv(encodeFlows('csv', [flow(), flow({ srcAddress: null, srcMac: 'aa:bb:cc:dd:ee:ff' })]));
    expect(rows).toHaveLength(2);
    expect(Object.fromEntries(FLOW_FIELDS.map((f, i) => [f, rows[1]![i]]))).toMatchObject({ srcAddress: '', srcMac: 'aa:bb:cc:dd:ee:ff', dstSgt: '10', bytes: '1500' });
  });

  it('writes NDJSON as one JSON object per line that parses back to the flow', () => {
    const flows = [flow({ srcMac: 'a\nb' }), flow({ dstAddress: '"quoted"' })];
    const lines = encodeFlows('ndjson', flows).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l) as FlowDto)).toEqual(flows);
  });
});

describe('exportChunks', () => {
  /** A source of `total` flows (srcPort = row number) in pages of the requested size, counting fetches. */
  function source(total: number) {
    const calls: Array<{ cursor: string | undefined; limit: number }> = [];
    const fetchPage: FlowPageSource = async (cursor, limit) => {
      calls.push({ cursor, limit });
      const start = cursor === undefined ? 0 : Number(cursor);
      const end = Math.min(total, start + limit);
      return { items: Array.from({ length: end - start }, (_, i) => flow({ srcPort: start + i })), nextCursor: end < total ? String(end) : null };
    };
    return { calls, fetchPage };
  }

  async function run(total: number, maxRows: number, pageSize: number) {
    const { calls, fetchPage } = source(total);
    const summaries: ExportSummary[] = [];
    let text = '';
    for await (const chunk of exportChunks(await fetchPage(undefined, Math.min(pageSize, maxRows)), fetchPage, { format: 'csv', maxRows, pageSize }, (s) => summaries.push(s))) {
      text += chunk;
    }
    return { rows: parseCsv(text).slice(1), calls, summaries };
  }

  it('writes every row once, in order, when they fit under the cap', async () => {
    const { rows, summaries } = await run(23, 1000, 5);
    expect(rows.map((r) => Number(r[FLOW_FIELDS.indexOf('srcPort')]))).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(summaries).toEqual([{ rows: 23, truncated: false, completed: true }]);
  });

  it('stops at the cap and says the export was truncated, without fetching past it', async () => {
    const { rows, calls, summaries } = await run(50, 12, 5);
    expect(rows).toHaveLength(12);
    expect(calls.map((c) => c.limit)).toEqual([5, 5, 2]);
    expect(summaries).toEqual([{ rows: 12, truncated: true, completed: true }]);
    expect((await run(12, 12, 5)).summaries).toEqual([{ rows: 12, truncated: false, completed: true }]);
  });

  it('fetches the next page only when the consumer asks, and stops fetching when it stops reading', async () => {
    const { calls, fetchPage } = source(1000);
    const summaries: ExportSummary[] = [];
    const chunks = exportChunks(await fetchPage(undefined, 10), fetchPage, { format: 'ndjson', maxRows: 1000, pageSize: 10 }, (s) => summaries.push(s));
    await chunks.next();
    await chunks.next();
    expect(calls).toHaveLength(2);
    await chunks.return(undefined);
    expect(calls).toHaveLength(2);
    expect(summaries).toEqual([{ rows: 20, truncated: false, completed: false }]);
  });
});
