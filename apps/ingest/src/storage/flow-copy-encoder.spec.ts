import fc from 'fast-check';
import { FLOW_COPY_COLUMNS } from '../data';
import { flowRecord } from '../testing/flow-records';
import { FlowCopyEncoder, inetField } from './flow-copy-encoder';

const TENANT = '6f1c1b7e-3b5c-4a59-9d0e-1a2b3c4d5e6f';

/** Reads binary COPY data back into arrays of field byte strings (null for NULL). */
function readCopy(data: Uint8Array): Array<Array<Uint8Array | null>> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  expect(Buffer.from(data.subarray(0, 11)).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
  let p = 19;
  const rows: Array<Array<Uint8Array | null>> = [];
  for (;;) {
    const fields = view.getInt16(p);
    p += 2;
    if (fields === -1) break;
    const row: Array<Uint8Array | null> = [];
    for (let i = 0; i < fields; i++) {
      const length = view.getInt32(p);
      p += 4;
      if (length < 0) row.push(null);
      else {
        row.push(data.subarray(p, p + length));
        p += length;
      }
    }
    rows.push(row);
  }
  expect(p).toBe(data.length);
  return rows;
}

const column = (name: string): number => FLOW_COPY_COLUMNS.findIndex(([c]) => c === name);
const int64 = (b: Uint8Array | null): number => {
  const v = new DataView(b!.buffer, b!.byteOffset, 8);
  return v.getInt32(0) * 4294967296 + v.getUint32(4);
};

describe('binary COPY encoder', () => {
  it('encodes inet fields for IPv4, IPv6 (with :: and embedded IPv4) and refuses non-addresses', () => {
    expect([...inetField('192.0.2.1')!]).toEqual([0, 0, 0, 8, 2, 32, 0, 4, 192, 0, 2, 1]);
    const v6 = inetField('2001:db8::1')!;
    expect([...v6.subarray(0, 8)]).toEqual([0, 0, 0, 20, 3, 128, 0, 16]);
    expect(Buffer.from(v6.subarray(8)).toString('hex')).toBe('20010db8000000000000000000000001');
    expect(Buffer.from(inetField('::ffff:10.1.2.3')!.subarray(8)).toString('hex')).toBe('00000000000000000000ffff0a010203');
    expect(Buffer.from(inetField('::')!.subarray(8)).toString('hex')).toBe('0'.repeat(32));
    expect(Buffer.from(inetField('fe80::1:2:3:4')!.subarray(8)).toString('hex')).toBe('fe800000000000000001000200030004');
    for (const bad of ['', '1.2.3', '1.2.3.256', '1::2::3', 'hello', '1:2:3:4:5:6:7:8:9', '12345::']) expect(inetField(bad)).toBeUndefined();
  });

  it('writes one tuple per record in the column order, NULL for absent identifiers', () => {
    const record = flowRecord({ srcMac: '00:1b:21:0a:0b:0c', srcVlan: 42, direction: 1, srcSgt: 10, bytes: 2 ** 40 + 7 });
    const rows = readCopy(new FlowCopyEncoder().encode(TENANT, [record, flowRecord({ srcAddress: null })]));
    expect(rows).toHaveLength(2);
    const [row, second] = rows;
    expect(row).toHaveLength(FLOW_COPY_COLUMNS.length);
    expect(Buffer.from(row[column('tenant_id')]!).toString('hex')).toBe(TENANT.replace(/-/g, ''));
    // timestamps: microseconds since 2000-01-01
    expect(int64(row[column('end_time')])).toBe((record.endMs - Date.UTC(2000, 0, 1)) * 1000);
    expect(int64(row[column('bytes')])).toBe(2 ** 40 + 7);
    expect(Buffer.from(row[column('src_mac')]!).toString('hex')).toBe('001b210a0b0c');
    expect(row[column('dst_mac')]).toBeNull();
    expect(row[column('dst_vlan')]).toBeNull();
    expect(row[column('src_sgt')]).not.toBeNull();
    expect(second[column('src_address')]).toBeNull();
  });

  it('encodes only the selected records when given indexes', () => {
    const records = [flowRecord({ srcPort: 1 }), flowRecord({ srcPort: 2 }), flowRecord({ srcPort: 3 })];
    const rows = readCopy(new FlowCopyEncoder().encode(TENANT, records, [2, 0]));
    expect(rows.map((r) => new DataView(r[column('src_port')]!.buffer, r[column('src_port')]!.byteOffset).getInt32(0))).toEqual([3, 1]);
  });

  it('rounds sampled counters and clamps the rate to a positive integer', () => {
    const rows = readCopy(new FlowCopyEncoder().encode(TENANT, [flowRecord({ bytes: 10.6, packets: 2.4, samplingRate: 0.5 })]));
    expect(int64(rows[0][column('bytes')])).toBe(11);
    expect(int64(rows[0][column('packets')])).toBe(2);
    expect(new DataView(rows[0][column('sampling_rate')]!.buffer, rows[0][column('sampling_rate')]!.byteOffset).getInt32(0)).toBe(1);
  });

  it('produces well-formed COPY data for any flow the decoder could emit', () => {
    const address = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant(null));
    const mac = fc.oneof(fc.constant(null), fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':')));
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            srcAddress: address,
            dstAddress: address,
            srcMac: mac,
            srcPort: fc.integer({ min: 0, max: 65535 }),
            bytes: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
            endMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
            observationDomain: fc.integer({ min: 0, max: 0xffff_ffff }),
            inputInterface: fc.integer({ min: 0, max: 0xffff_ffff }),
          }),
          { maxLength: 20 },
        ),
        (overrides) => {
          const rows = readCopy(new FlowCopyEncoder(8).encode(TENANT, overrides.map((o) => flowRecord(o))));
          expect(rows).toHaveLength(overrides.length);
          rows.forEach((row, i) => {
            expect(row).toHaveLength(FLOW_COPY_COLUMNS.length);
            expect(int64(row[column('bytes')])).toBe(overrides[i].bytes);
            expect(int64(row[column('input_interface')])).toBe(overrides[i].inputInterface);
            expect(row[column('src_address')] === null).toBe(overrides[i].srcAddress === null);
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
