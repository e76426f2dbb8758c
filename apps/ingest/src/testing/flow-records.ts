import type { FlowRecord } from '@clarion/netflow';

/** A FlowRecord with every property, as the decoder produces it, overridable per test. */
export function flowRecord(overrides: Partial<FlowRecord> = {}): FlowRecord {
  return {
    exporter: '192.0.2.1',
    observationDomain: 0,
    version: 9,
    templateId: 256,
    srcAddress: '10.0.0.1',
    dstAddress: '10.0.0.2',
    srcPort: 40000,
    dstPort: 443,
    protocol: 6,
    tcpFlags: 0x1b,
    bytes: 1500,
    packets: 3,
    rawBytes: 1500,
    rawPackets: 3,
    samplingRate: 1,
    startMs: Date.UTC(2026, 0, 2, 10, 0, 0),
    endMs: Date.UTC(2026, 0, 2, 10, 0, 5),
    inputInterface: 1,
    outputInterface: 2,
    srcMac: null,
    dstMac: null,
    srcVlan: null,
    dstVlan: null,
    direction: null,
    srcSgt: null,
    dstSgt: null,
    fromHeldData: false,
    ...overrides,
  };
}
