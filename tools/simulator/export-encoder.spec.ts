import { NetflowDecoder, formatIpv6, type FlowRecord } from '@clarion/netflow';
import * as fc from 'fast-check';
import { ExportEncoder, IPFIX_SGT_FIELDS, TEMPLATE_IDS } from './export-encoder';
import { type SimulatedFlow } from './simulated-flow';

const EXPORTER = '192.0.2.10';
const DAY_MS = 86_400_000;

/** A decoder that reads the tags the simulator writes in both versions. */
function decoder(): NetflowDecoder {
  return new NetflowDecoder({
    sourceSgtFields: [{ id: 34000 }, { id: IPFIX_SGT_FIELDS.source.id, enterprise: IPFIX_SGT_FIELDS.source.enterprise }],
    destinationSgtFields: [{ id: 34001 }, { id: IPFIX_SGT_FIELDS.destination.id, enterprise: IPFIX_SGT_FIELDS.destination.enterprise }],
  });
}

/** The FlowRecord the collector must produce for a flow: every property, exactly. */
function expectedRecord(flow: SimulatedFlow, version: 9 | 10, observationDomain: number): FlowRecord {
  const ipv6 = flow.srcAddress.includes(':');
  const sgt = flow.srcSgt !== null || flow.dstSgt !== null;
  return {
    exporter: EXPORTER,
    observationDomain,
    version,
    templateId: ipv6 ? (sgt ? TEMPLATE_IDS.v6Sgt : TEMPLATE_IDS.v6) : sgt ? TEMPLATE_IDS.v4Sgt : TEMPLATE_IDS.v4,
    srcAddress: flow.srcAddress,
    dstAddress: flow.dstAddress,
    srcPort: flow.srcPort,
    dstPort: flow.dstPort,
    protocol: flow.protocol,
    tcpFlags: flow.tcpFlags,
    bytes: flow.bytes,
    packets: flow.packets,
    rawBytes: flow.bytes,
    rawPackets: flow.packets,
    samplingRate: 1,
    startMs: flow.startMs,
    endMs: flow.endMs,
    inputInterface: flow.inputInterface,
    outputInterface: flow.outputInterface,
    srcMac: flow.srcMac,
    dstMac: flow.dstMac,
    srcVlan: flow.srcVlan,
    dstVlan: flow.dstVlan,
    direction: flow.direction,
    srcSgt: flow.srcSgt,
    dstSgt: flow.dstSgt,
    fromHeldData: false,
  };
}

const byte = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(byte, byte, byte, byte).map((b) => b.join('.'));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => formatIpv6(bytes, 0));
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':'));
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** Flows that ended within the 10 days before `exportMs` (v9 uptime-relative times reach 24 days either way). */
function flowArbitrary(exportMs: number): fc.Arbitrary<SimulatedFlow> {
  return fc
    .record({
      family: fc.constantFrom(4, 6),
      v4: fc.tuple(ipv4, ipv4),
      v6: fc.tuple(ipv6, ipv6),
      srcPort: u16,
      dstPort: u16,
      protocol: byte,
      tcpFlags: byte,
      bytes: fc.maxSafeNat(),
      packets: u32,
      endAgo: fc.integer({ min: 0, max: 10 * DAY_MS }),
      duration: fc.integer({ min: 0, max: 3_600_000 }),
      inputInterface: u32,
      outputInterface: u32,
      srcMac: mac,
      dstMac: mac,
      srcVlan: fc.integer({ min: 0, max: 4095 }),
      dstVlan: fc.integer({ min: 0, max: 4095 }),
      direction: fc.constantFrom(0, 1),
      sgt: fc.option(fc.tuple(u16, u16), { nil: null }),
    })
    .map((r) => ({
      exporter: 0,
      srcAddress: r.family === 4 ? r.v4[0] : r.v6[0],
      dstAddress: r.family === 4 ? r.v4[1] : r.v6[1],
      srcPort: r.srcPort,
      dstPort: r.dstPort,
      protocol: r.protocol,
      tcpFlags: r.tcpFlags,
      bytes: r.bytes,
      packets: r.packets,
      startMs: exportMs - r.endAgo - r.duration,
      endMs: exportMs - r.endAgo,
      inputInterface: r.inputInterface,
      outputInterface: r.outputInterface,
      srcMac: r.srcMac,
      dstMac: r.dstMac,
      srcVlan: r.srcVlan,
      dstVlan: r.dstVlan,
      direction: r.direction,
      srcSgt: r.sgt ? r.sgt[0] : null,
      dstSgt: r.sgt ? r.sgt[1] : null,
    }));
}

describe('ExportEncoder', () => {
  for (const version of [9, 10] as const) {
    const name = version === 9 ? 'NetFlow v9' : 'IPFIX';

    it(`${name}: packets decode with @clarion/netflow into exactly the flows encoded (property)`, () => {
      const exportTimeAndFlows = fc
        .integer({ min: 1_500_000_000_000, max: 2_000_000_000_000 })
        .chain((exportMs) => fc.tuple(fc.constant(exportMs), fc.array(flowArbitrary(exportMs), { maxLength: 120 })));
      fc.assert(
        fc.property(
          exportTimeAndFlows,
          fc.integer({ min: 0, max: 0xffffffff }),
          fc.integer({ min: 0, max: 40 * DAY_MS }),
          fc.integer({ min: 500, max: 9000 }),
          fc.integer({ min: 0, max: 5 }),
          fc.integer({ min: 0, max: 0xffffffff }),
          ([exportMs, flows], observationDomain, uptimeMs, maxPacketBytes, refreshPackets, initialSequence) => {
            const encoder = new ExportEncoder({
              version,
              observationDomain,
              bootMs: exportMs - uptimeMs,
              maxPacketBytes,
              templateRefreshPackets: refreshPackets,
              initialSequence,
            });
            const d = decoder();
            const { packets, records } = encoder.encode(flows, exportMs);
            expect(records).toBe(flows.length);
            const decoded: FlowRecord[] = [];
            for (const packet of packets) {
              expect(packet.length).toBeLessThanOrEqual(maxPacketBytes);
              const result = d.decode(packet, EXPORTER, exportMs);
              expect(result.errors).toEqual([]);
              expect(result.heldSets).toBe(0);
              expect(result.lostRecords).toBe(0);
              decoded.push(...result.records);
            }
            expect(decoded).toEqual(flows.map((f) => expectedRecord(f, version, observationDomain)));
          },
        ),
        { numRuns: 150 },
      );
    });

    it(`${name}: sends templates first, refreshes them every N packets and on request`, () => {
      const exportMs = 1_700_000_000_000;
      const arbitrary = flowArbitrary(exportMs);
      const flows = fc.sample(arbitrary, { numRuns: 400, seed: 7 });
      const encoder = new ExportEncoder({ version, observationDomain: 3, bootMs: exportMs - DAY_MS, templateRefreshPackets: 5 });
      const templateSetId = version === 9 ? 0 : 2;
      const headerLength = version === 9 ? 20 : 16;
      const firstSetId = (p: Buffer): number => p.readUInt16BE(headerLength);
      const { packets, templatePackets } = encoder.encode(flows, exportMs);
      expect(packets.length).toBeGreaterThan(10);
      packets.forEach((p, i) => expect(firstSetId(p) === templateSetId).toBe(i % 5 === 0));
      expect(templatePackets).toBe(Math.ceil(packets.length / 5));

      encoder.refreshTemplates();
      const idle = encoder.encode([], exportMs);
      expect(idle.packets).toHaveLength(1);
      expect(firstSetId(idle.packets[0])).toBe(templateSetId);
      // Announced templates: IPv4 and IPv6, with and without TrustSec tags.
      expect(encoder.templates.map((t) => t.templateId)).toEqual([256, 257, 258, 259]);
      expect(encoder.encode([], exportMs).packets).toHaveLength(0);
    });

    it(`${name}: numbers packets as the RFC says (v9 counts packets, IPFIX data records) and tells the record count`, () => {
      const exportMs = 1_700_000_000_000;
      const flows = fc.sample(flowArbitrary(exportMs), { numRuns: 300, seed: 11 });
      const encoder = new ExportEncoder({ version, observationDomain: 9, bootMs: exportMs - DAY_MS, initialSequence: 0xfffffff0 });
      const { packets } = encoder.encode(flows, exportMs);
      let expected = 0xfffffff0;
      const d = decoder();
      for (const p of packets) {
        const dataRecords = d.decode(p, EXPORTER, exportMs).records.length;
        if (version === 9) {
          expect(p.readUInt32BE(12)).toBe(expected);
          // Count: template records plus data records (RFC 3954 section 5.1).
          const templates = p.readUInt16BE(20) === 0 ? 4 : 0;
          expect(p.readUInt16BE(2)).toBe(dataRecords + templates);
          expected = (expected + 1) >>> 0;
        } else {
          expect(p.readUInt32BE(8)).toBe(expected);
          expect(p.readUInt16BE(2)).toBe(p.length);
          expected = (expected + dataRecords) >>> 0;
        }
      }
      expect(encoder.sequence).toBe(expected);
    });

    it(`${name}: lays sets out back to back${version === 9 ? ', each padded to 4 bytes' : ''}`, () => {
      const exportMs = 1_700_000_000_000;
      const flows = fc.sample(flowArbitrary(exportMs), { numRuns: 200, seed: 5 });
      const { packets } = new ExportEncoder({ version, observationDomain: 1, bootMs: exportMs - DAY_MS }).encode(flows, exportMs);
      for (const p of packets) {
        let pos = version === 9 ? 20 : 16;
        while (pos < p.length) {
          const length = p.readUInt16BE(pos + 2);
          expect(length).toBeGreaterThanOrEqual(4);
          if (version === 9) expect(length % 4).toBe(0);
          pos += length;
        }
        expect(pos).toBe(p.length);
      }
    });
  }

  it('refuses a packet size that cannot hold the templates and one record', () => {
    expect(() => new ExportEncoder({ version: 10, observationDomain: 1, bootMs: 0, maxPacketBytes: 300 })).toThrow(RangeError);
  });
});
