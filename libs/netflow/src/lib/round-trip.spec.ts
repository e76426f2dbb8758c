// Round trip: random flows encoded by the packet builders (written from the RFCs, independently of the decoder)
// come back out of the decoder unchanged, for every version.
import fc from 'fast-check';
import {
  IPFIX_REALISTIC_FIELDS,
  V9_REALISTIC_FIELDS,
  buildIpfixMessage,
  buildV5Packet,
  buildV9Packet,
  flowFieldValues,
  ipv4Bytes,
  ipv6Bytes,
  type FlowSpec,
  type TemplateField,
} from '../testing/packet-builders';
import type { FlowRecord } from './flow-record';
import { Ie } from './information-element';
import { NetflowDecoder } from './netflow-decoder';

const EXPORT_SECS = 1_700_000_000;
const EXPORT_MS = EXPORT_SECS * 1000;
const UPTIME = 0x7000_0000;
const DAY = 86_400_000;

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':'));

function flowArbitrary(address: fc.Arbitrary<string>, limits: { counter: number; ifIndex: number }): fc.Arbitrary<FlowSpec> {
  return fc
    .record({
      srcAddress: address,
      dstAddress: address,
      srcPort: fc.integer({ min: 0, max: 0xffff }),
      dstPort: fc.integer({ min: 0, max: 0xffff }),
      protocol: fc.integer({ min: 0, max: 255 }),
      tcpFlags: fc.integer({ min: 0, max: 255 }),
      bytes: fc.integer({ min: 0, max: limits.counter }),
      packets: fc.integer({ min: 0, max: limits.counter }),
      endAge: fc.integer({ min: 0, max: 10 * DAY }),
      duration: fc.integer({ min: 0, max: DAY }),
      inputInterface: fc.integer({ min: 0, max: limits.ifIndex }),
      outputInterface: fc.integer({ min: 0, max: limits.ifIndex }),
      srcMac: mac,
      dstMac: mac,
      srcVlan: fc.integer({ min: 0, max: 4095 }),
      dstVlan: fc.integer({ min: 0, max: 4095 }),
      direction: fc.integer({ min: 0, max: 1 }),
      srcSgt: fc.integer({ min: 0, max: 0xffff }),
      dstSgt: fc.integer({ min: 0, max: 0xffff }),
    })
    .map(({ endAge, duration, ...rest }) => ({ ...rest, endMs: EXPORT_MS - endAge, startMs: EXPORT_MS - endAge - duration }));
}

/** Addresses compared as bytes, so the check does not depend on which text form the generator chose. */
function sameAddress(decoded: string | null, original: string): boolean {
  if (decoded === null) return false;
  const a = decoded.includes(':') ? ipv6Bytes(decoded) : ipv4Bytes(decoded);
  const b = original.includes(':') ? ipv6Bytes(original) : ipv4Bytes(original);
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function expectSameFlow(record: FlowRecord, flow: FlowSpec, carries: { l2: boolean; sgt: boolean }): void {
  expect(sameAddress(record.srcAddress, flow.srcAddress)).toBe(true);
  expect(sameAddress(record.dstAddress, flow.dstAddress)).toBe(true);
  expect({
    srcPort: record.srcPort,
    dstPort: record.dstPort,
    protocol: record.protocol,
    tcpFlags: record.tcpFlags,
    bytes: record.bytes,
    packets: record.packets,
    startMs: record.startMs,
    endMs: record.endMs,
    inputInterface: record.inputInterface,
    outputInterface: record.outputInterface,
    srcMac: record.srcMac,
    dstMac: record.dstMac,
    srcVlan: record.srcVlan,
    dstVlan: record.dstVlan,
    direction: record.direction,
    srcSgt: record.srcSgt,
    dstSgt: record.dstSgt,
  }).toEqual({
    srcPort: flow.srcPort,
    dstPort: flow.dstPort,
    protocol: flow.protocol,
    tcpFlags: flow.tcpFlags,
    bytes: flow.bytes,
    packets: flow.packets,
    startMs: flow.startMs,
    endMs: flow.endMs,
    inputInterface: flow.inputInterface,
    outputInterface: flow.outputInterface,
    srcMac: carries.l2 ? flow.srcMac : null,
    dstMac: carries.l2 ? flow.dstMac : null,
    srcVlan: carries.l2 ? flow.srcVlan : null,
    dstVlan: carries.l2 ? flow.dstVlan : null,
    direction: carries.l2 ? flow.direction : null,
    srcSgt: carries.sgt ? flow.srcSgt : null,
    dstSgt: carries.sgt ? flow.dstSgt : null,
  });
}

describe('round trip: encode random flows, decode, compare', () => {
  it('v5 returns every flow of a packet unchanged', () => {
    const flows = fc.array(flowArbitrary(fc.ipV4(), { counter: 0xffff_ffff, ifIndex: 0xffff }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(flows, fc.integer({ min: 0, max: 999_999_999 }), (specs, nsecs) => {
        const exportMs = EXPORT_MS + Math.floor(nsecs / 1e6);
        const packet = buildV5Packet({
          sysUptimeMs: UPTIME,
          unixSecs: EXPORT_SECS,
          unixNsecs: nsecs,
          sequence: 0,
          records: specs.map((f) => ({
            ...f,
            firstUptimeMs: (UPTIME - (exportMs - f.startMs)) >>> 0,
            lastUptimeMs: (UPTIME - (exportMs - f.endMs)) >>> 0,
          })),
        });
        const result = new NetflowDecoder().decode(packet, '192.0.2.1', 0);
        expect(result.errors).toEqual([]);
        expect(result.records).toHaveLength(specs.length);
        result.records.forEach((r, i) => expectSameFlow(r, { ...specs[i] }, { l2: false, sgt: false }));
      }),
      { numRuns: 200 },
    );
  });

  it('v9 returns every flow of a realistic 25-field template unchanged, across sysUptime wraps', () => {
    const fields = [...V9_REALISTIC_FIELDS];
    const flows = fc.array(flowArbitrary(fc.ipV4(), { counter: 0xffff_ffff, ifIndex: 0xffff_ffff }), { minLength: 1, maxLength: 15 });
    fc.assert(
      fc.property(flows, fc.integer({ min: 0, max: 0xffff_ffff }), (specs, uptime) => {
        const decoder = new NetflowDecoder();
        const base = { exportMs: EXPORT_MS, sysUptimeMs: uptime };
        const packet = buildV9Packet({
          sysUptimeMs: uptime,
          unixSecs: EXPORT_SECS,
          sequence: 0,
          sourceId: 0,
          flowSets: [
            { kind: 'template', templates: [{ templateId: 256, fields }] },
            { kind: 'data', templateId: 256, fields, records: specs.map((f) => flowFieldValues(fields, f, base)) },
          ],
        });
        const result = decoder.decode(packet, '192.0.2.1', 0);
        expect(result.errors).toEqual([]);
        result.records.forEach((r, i) => expectSameFlow(r, specs[i], { l2: true, sgt: true }));
      }),
      { numRuns: 200 },
    );
  });

  it('IPFIX returns every flow unchanged, IPv4 with a 24-field template and IPv6 with enterprise elements', () => {
    const v4Fields = [...IPFIX_REALISTIC_FIELDS];
    const v6Fields: TemplateField[] = v4Fields.map((f) =>
      f.id === Ie.sourceIPv4Address && !f.enterprise
        ? { id: Ie.sourceIPv6Address, length: 16 }
        : f.id === Ie.destinationIPv4Address && !f.enterprise
          ? { id: Ie.destinationIPv6Address, length: 16 }
          : f,
    );
    const counter = Number.MAX_SAFE_INTEGER;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ six: fc.constant(false), specs: fc.array(flowArbitrary(fc.ipV4(), { counter, ifIndex: 0xffff_ffff }), { minLength: 1, maxLength: 15 }) }),
          fc.record({ six: fc.constant(true), specs: fc.array(flowArbitrary(fc.ipV6(), { counter, ifIndex: 0xffff_ffff }), { minLength: 1, maxLength: 15 }) }),
        ),
        ({ six, specs }) => {
          const fields = six ? v6Fields : v4Fields;
          const decoder = new NetflowDecoder();
          const message = buildIpfixMessage({
            exportTimeSecs: EXPORT_SECS,
            sequence: 0,
            observationDomain: 1,
            sets: [
              { kind: 'template', templates: [{ templateId: 256, fields }] },
              { kind: 'data', templateId: 256, fields, records: specs.map((f) => flowFieldValues(fields, f)) },
            ],
          });
          const result = decoder.decode(message, '2001:db8::1', 0);
          expect(result.errors).toEqual([]);
          result.records.forEach((r, i) => expectSameFlow(r, specs[i], { l2: true, sgt: false }));
        },
      ),
      { numRuns: 200 },
    );
  });
});
