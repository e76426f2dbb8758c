import { buildV5Packet, type V5RecordSpec } from '../testing/packet-builders';
import { DecodeErrorReason } from './decode-error';
import { NetflowDecoder } from './netflow-decoder';

const EXPORT_SECS = 1_700_000_000;
const UPTIME = 5_000_000;

function record(overrides: Partial<V5RecordSpec> = {}): V5RecordSpec {
  return {
    srcAddress: '10.1.2.3',
    dstAddress: '192.168.200.1',
    inputInterface: 3,
    outputInterface: 65535,
    packets: 12,
    bytes: 3456,
    firstUptimeMs: UPTIME - 30_000,
    lastUptimeMs: UPTIME - 1_000,
    srcPort: 51515,
    dstPort: 443,
    tcpFlags: 0x1b,
    protocol: 6,
    ...overrides,
  };
}

describe('NetFlow v5', () => {
  it('decodes every field of a record with times relative to the header uptime and clock', () => {
    const decoder = new NetflowDecoder();
    const packet = buildV5Packet({
      sysUptimeMs: UPTIME,
      unixSecs: EXPORT_SECS,
      unixNsecs: 250_000_000,
      sequence: 100,
      engineType: 1,
      engineId: 2,
      records: [record()],
    });
    const result = decoder.decode(packet, '198.51.100.1', 0);
    expect(result.errors).toEqual([]);
    expect(result.version).toBe(5);
    expect(result.observationDomain).toBe(0x0102);
    const exportMs = EXPORT_SECS * 1000 + 250;
    expect(result.records).toEqual([
      {
        exporter: '198.51.100.1',
        observationDomain: 0x0102,
        version: 5,
        templateId: 0,
        srcAddress: '10.1.2.3',
        dstAddress: '192.168.200.1',
        srcPort: 51515,
        dstPort: 443,
        protocol: 6,
        tcpFlags: 0x1b,
        bytes: 3456,
        packets: 12,
        rawBytes: 3456,
        rawPackets: 12,
        samplingRate: 1,
        startMs: exportMs - 30_000,
        endMs: exportMs - 1_000,
        inputInterface: 3,
        outputInterface: 65535,
        srcMac: null,
        dstMac: null,
        srcVlan: null,
        dstVlan: null,
        direction: null,
        srcSgt: null,
        dstSgt: null,
        fromHeldData: false,
      },
    ]);
  });

  it('decodes the maximum of 30 records of 48 bytes after the 24-byte header', () => {
    const records = Array.from({ length: 30 }, (_, i) => record({ srcPort: 1000 + i, bytes: i * 100 }));
    const packet = buildV5Packet({ sysUptimeMs: UPTIME, unixSecs: EXPORT_SECS, sequence: 0, records });
    expect(packet.length).toBe(24 + 30 * 48);
    const result = new NetflowDecoder().decode(packet, '198.51.100.1', 0);
    expect(result.records.map((r) => [r.srcPort, r.bytes])).toEqual(records.map((r) => [r.srcPort, r.bytes]));
  });

  it('keeps the duration of flows whose times straddle the 32-bit uptime wrap', () => {
    // Exported 2 s after the uptime counter wrapped; the flow started 10 s before export.
    const packet = buildV5Packet({
      sysUptimeMs: 2_000,
      unixSecs: EXPORT_SECS,
      sequence: 0,
      records: [record({ firstUptimeMs: 0xffff_ffff - 7_999, lastUptimeMs: 1_000 })],
    });
    const [flow] = new NetflowDecoder().decode(packet, '198.51.100.1', 0).records;
    expect(flow.startMs).toBe(EXPORT_SECS * 1000 - 10_000);
    expect(flow.endMs).toBe(EXPORT_SECS * 1000 - 1_000);
  });

  it('scales bytes and packets by the 14-bit header sampling interval and keeps the raw values', () => {
    const packet = buildV5Packet({
      sysUptimeMs: UPTIME,
      unixSecs: EXPORT_SECS,
      sequence: 0,
      samplingMode: 1,
      samplingInterval: 1000,
      records: [record({ packets: 3, bytes: 180 })],
    });
    const [flow] = new NetflowDecoder().decode(packet, '198.51.100.1', 0).records;
    expect([flow.samplingRate, flow.packets, flow.bytes, flow.rawPackets, flow.rawBytes]).toEqual([1000, 3000, 180_000, 3, 180]);
  });

  it('reads the interval from the low 14 bits only, whatever the 2 mode bits say', () => {
    const packet = buildV5Packet({
      sysUptimeMs: UPTIME,
      unixSecs: EXPORT_SECS,
      sequence: 0,
      samplingMode: 2,
      samplingInterval: 0x3fff,
      records: [record()],
    });
    expect(new NetflowDecoder().decode(packet, '198.51.100.1', 0).records[0].samplingRate).toBe(0x3fff);
  });

  it('applies a configured sampling rate when the header announces none', () => {
    const decoder = new NetflowDecoder();
    decoder.setSamplingRate('198.51.100.1', 64);
    const packet = buildV5Packet({ sysUptimeMs: UPTIME, unixSecs: EXPORT_SECS, sequence: 0, records: [record({ packets: 2 })] });
    expect(decoder.decode(packet, '198.51.100.1', 0).records[0].packets).toBe(128);
    expect(decoder.decode(packet, '198.51.100.2', 0).records[0].packets).toBe(2);
  });

  it('rejects a header announcing more than 30 records as BAD_RECORD_COUNT', () => {
    const decoder = new NetflowDecoder();
    const packet = buildV5Packet({ sysUptimeMs: UPTIME, unixSecs: EXPORT_SECS, sequence: 0, count: 31, records: [record()] });
    const result = decoder.decode(packet, '198.51.100.1', 0);
    expect(result.records).toEqual([]);
    expect(result.errors.map((e) => e.reason)).toEqual([DecodeErrorReason.BAD_RECORD_COUNT]);
    expect(decoder.stats().errors.BAD_RECORD_COUNT).toBe(1);
  });

  it('keeps the complete records of a packet shorter than its count says and reports BAD_LENGTH', () => {
    const full = buildV5Packet({ sysUptimeMs: UPTIME, unixSecs: EXPORT_SECS, sequence: 0, records: [record(), record(), record()] });
    const result = new NetflowDecoder().decode(full.subarray(0, 24 + 2 * 48 + 20), '198.51.100.1', 0);
    expect(result.records).toHaveLength(2);
    expect(result.errors.map((e) => e.reason)).toEqual([DecodeErrorReason.BAD_LENGTH]);
  });

  it('rejects a packet shorter than the 24-byte header as TRUNCATED_HEADER', () => {
    const full = buildV5Packet({ sysUptimeMs: UPTIME, unixSecs: EXPORT_SECS, sequence: 0, records: [] });
    const result = new NetflowDecoder().decode(full.subarray(0, 23), '198.51.100.1', 0);
    expect(result.errors.map((e) => e.reason)).toEqual([DecodeErrorReason.TRUNCATED_HEADER]);
  });

  it('counts lost flows from the flow sequence, which counts flows rather than packets', () => {
    const decoder = new NetflowDecoder();
    const packet = (sequence: number, count: number): Uint8Array =>
      buildV5Packet({ sysUptimeMs: UPTIME, unixSecs: EXPORT_SECS, sequence, records: Array.from({ length: count }, () => record()) });
    expect(decoder.decode(packet(1_000, 30), '198.51.100.1', 0).lostRecords).toBe(0);
    expect(decoder.decode(packet(1_030, 10), '198.51.100.1', 0).lostRecords).toBe(0);
    expect(decoder.decode(packet(1_100, 5), '198.51.100.1', 0).lostRecords).toBe(60);
    expect(decoder.stats().sequence.lostRecords).toBe(60);
  });
});
