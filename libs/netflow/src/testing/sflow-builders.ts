// Builders of sFlow version 5 datagrams for tests and benchmarks: an encoder written from the sFlow v5 structures
// (XDR: big-endian 32-bit words, opaques padded to 4 bytes), byte for byte and nothing more, so a test can also
// write datagrams that lie (counts, lengths) on purpose. Import by path: 'libs/netflow/src/testing/sflow-builders'.
import { SflowAddressType, SflowCounterRecordFormat, SflowFlowRecordFormat, SflowHeaderProtocol, SflowSampleFormat } from '../lib/sflow-format';
import { ByteWriter, ipv4Bytes, ipv6Bytes, macBytes } from './packet-builders';

export type SflowFlowRecordSpec =
  | { kind: 'header'; headerProtocol?: number; frameLength: number; stripped?: number; header: Uint8Array; headerLength?: number }
  | { kind: 'ethernet'; length: number; srcMac: string; dstMac: string; etherType: number }
  | { kind: 'ipv4' | 'ipv6'; length: number; protocol: number; src: string; dst: string; srcPort: number; dstPort: number; tcpFlags: number; tos?: number }
  | { kind: 'switch'; srcVlan: number; dstVlan: number; srcPriority?: number; dstPriority?: number }
  | { kind: 'router'; nextHop: string | null; srcMaskLength: number; dstMaskLength: number }
  | { kind: 'raw'; format: number; body: Uint8Array; length?: number };

/** Generic interface counters (if_counters) as a test means them. */
export interface InterfaceCountersSpec {
  ifIndex: number;
  ifType: number;
  ifSpeed: number;
  ifDirection: number;
  adminUp: boolean;
  operUp: boolean;
  inOctets: number;
  inUnicastPackets: number;
  inMulticastPackets: number;
  inBroadcastPackets: number;
  inDiscards: number;
  inErrors: number;
  inUnknownProtocols: number;
  outOctets: number;
  outUnicastPackets: number;
  outMulticastPackets: number;
  outBroadcastPackets: number;
  outDiscards: number;
  outErrors: number;
  promiscuous: boolean;
}

export type SflowCounterRecordSpec = ({ kind: 'interface' } & InterfaceCountersSpec) | { kind: 'raw'; format: number; body: Uint8Array; length?: number };

export interface SflowFlowSampleSpec {
  kind: 'flow';
  expanded?: boolean;
  sequence: number;
  sourceIdType?: number;
  sourceIdIndex: number;
  samplingRate: number;
  samplePool: number;
  drops: number;
  /** ifIndex; compact samples write it as format 0 (SFLOW_UNKNOWN_INTERFACE for "not known"). */
  input: number;
  output: number;
  /** Expanded samples: interface formats (0 ifIndex, 1 discarded, 2 multiple); compact: the 2 format bits. */
  inputFormat?: number;
  outputFormat?: number;
  records: SflowFlowRecordSpec[];
  /** Written instead of records.length (a lying count). */
  recordCount?: number;
  /** Written instead of the sample's real length. */
  length?: number;
}

export interface SflowCountersSampleSpec {
  kind: 'counters';
  expanded?: boolean;
  sequence: number;
  sourceIdType?: number;
  sourceIdIndex: number;
  records: SflowCounterRecordSpec[];
  recordCount?: number;
  length?: number;
}

export type SflowSampleSpec = SflowFlowSampleSpec | SflowCountersSampleSpec | { kind: 'raw'; format: number; body: Uint8Array; length?: number };

export interface SflowDatagramSpec {
  /** IPv4 or IPv6 text. */
  agent: string;
  subAgentId: number;
  sequence: number;
  uptimeMs: number;
  samples: SflowSampleSpec[];
  /** Written instead of samples.length (a lying count). */
  sampleCount?: number;
  /** Agent address type written instead of the one the address implies. */
  addressType?: number;
}

/** An XDR opaque of `format` and `body`: format, length (or a lying `length`), the body padded to 4 bytes. */
function opaque(w: ByteWriter, format: number, body: Uint8Array, length?: number): void {
  w.u32(format).u32(length ?? body.length).bytes(body).zeros((4 - (body.length % 4)) % 4);
}

function address(w: ByteWriter, text: string | null): void {
  if (text === null) w.u32(SflowAddressType.UNKNOWN);
  else if (text.includes(':')) w.u32(SflowAddressType.IPV6).bytes(ipv6Bytes(text));
  else w.u32(SflowAddressType.IPV4).bytes(ipv4Bytes(text));
}

const u64 = (w: ByteWriter, value: number): ByteWriter => w.uint(value, 8);

function flowRecordBody(record: SflowFlowRecordSpec): Uint8Array {
  const w = new ByteWriter();
  switch (record.kind) {
    case 'header':
      w.u32(record.headerProtocol ?? SflowHeaderProtocol.ETHERNET)
        .u32(record.frameLength)
        .u32(record.stripped ?? 4)
        .u32(record.headerLength ?? record.header.length)
        .bytes(record.header)
        .zeros((4 - (record.header.length % 4)) % 4);
      break;
    case 'ethernet':
      w.u32(record.length).bytes(macBytes(record.srcMac)).zeros(2).bytes(macBytes(record.dstMac)).zeros(2).u32(record.etherType);
      break;
    case 'ipv4':
    case 'ipv6': {
      const bytes = record.kind === 'ipv4' ? ipv4Bytes : ipv6Bytes;
      w.u32(record.length).u32(record.protocol).bytes(bytes(record.src)).bytes(bytes(record.dst));
      w.u32(record.srcPort).u32(record.dstPort).u32(record.tcpFlags).u32(record.tos ?? 0);
      break;
    }
    case 'switch':
      w.u32(record.srcVlan).u32(record.srcPriority ?? 0).u32(record.dstVlan).u32(record.dstPriority ?? 0);
      break;
    case 'router':
      address(w, record.nextHop);
      w.u32(record.srcMaskLength).u32(record.dstMaskLength);
      break;
    case 'raw':
      w.bytes(record.body);
      break;
  }
  return w.toBytes();
}

const FLOW_RECORD_FORMAT: Record<Exclude<SflowFlowRecordSpec['kind'], 'raw'>, number> = {
  header: SflowFlowRecordFormat.SAMPLED_HEADER,
  ethernet: SflowFlowRecordFormat.SAMPLED_ETHERNET,
  ipv4: SflowFlowRecordFormat.SAMPLED_IPV4,
  ipv6: SflowFlowRecordFormat.SAMPLED_IPV6,
  switch: SflowFlowRecordFormat.EXTENDED_SWITCH,
  router: SflowFlowRecordFormat.EXTENDED_ROUTER,
};

function interfaceCountersBody(c: InterfaceCountersSpec): Uint8Array {
  const w = new ByteWriter();
  w.u32(c.ifIndex).u32(c.ifType);
  u64(w, c.ifSpeed).u32(c.ifDirection).u32((c.adminUp ? 1 : 0) | (c.operUp ? 2 : 0));
  u64(w, c.inOctets).u32(c.inUnicastPackets).u32(c.inMulticastPackets).u32(c.inBroadcastPackets);
  w.u32(c.inDiscards).u32(c.inErrors).u32(c.inUnknownProtocols);
  u64(w, c.outOctets).u32(c.outUnicastPackets).u32(c.outMulticastPackets).u32(c.outBroadcastPackets);
  w.u32(c.outDiscards).u32(c.outErrors).u32(c.promiscuous ? 1 : 0);
  return w.toBytes();
}

function sampleBody(sample: SflowFlowSampleSpec | SflowCountersSampleSpec): Uint8Array {
  const w = new ByteWriter();
  const type = sample.sourceIdType ?? 0;
  w.u32(sample.sequence);
  if (sample.expanded) w.u32(type).u32(sample.sourceIdIndex);
  else w.u32(((type & 0xff) << 24) | (sample.sourceIdIndex & 0xffffff));
  if (sample.kind === 'flow') {
    w.u32(sample.samplingRate).u32(sample.samplePool).u32(sample.drops);
    if (sample.expanded) {
      w.u32(sample.inputFormat ?? 0).u32(sample.input).u32(sample.outputFormat ?? 0).u32(sample.output);
    } else {
      w.u32((((sample.inputFormat ?? 0) & 3) << 30) | (sample.input & 0x3fffffff));
      w.u32((((sample.outputFormat ?? 0) & 3) << 30) | (sample.output & 0x3fffffff));
    }
    w.u32(sample.recordCount ?? sample.records.length);
    for (const r of sample.records) opaque(w, r.kind === 'raw' ? r.format : FLOW_RECORD_FORMAT[r.kind], flowRecordBody(r), r.kind === 'raw' ? r.length : undefined);
  } else {
    w.u32(sample.recordCount ?? sample.records.length);
    for (const r of sample.records) {
      if (r.kind === 'raw') opaque(w, r.format, r.body, r.length);
      else opaque(w, SflowCounterRecordFormat.GENERIC_INTERFACE, interfaceCountersBody(r));
    }
  }
  return w.toBytes();
}

/** One sFlow v5 datagram (sample_datagram_v5). */
export function buildSflowDatagram(spec: SflowDatagramSpec): Uint8Array {
  const w = new ByteWriter();
  w.u32(5);
  if (spec.addressType !== undefined) {
    w.u32(spec.addressType).bytes(spec.agent.includes(':') ? ipv6Bytes(spec.agent) : ipv4Bytes(spec.agent));
  } else {
    address(w, spec.agent);
  }
  w.u32(spec.subAgentId).u32(spec.sequence).u32(spec.uptimeMs).u32(spec.sampleCount ?? spec.samples.length);
  for (const sample of spec.samples) {
    if (sample.kind === 'raw') {
      opaque(w, sample.format, sample.body, sample.length);
      continue;
    }
    const format = sample.kind === 'flow'
      ? sample.expanded ? SflowSampleFormat.FLOW_SAMPLE_EXPANDED : SflowSampleFormat.FLOW_SAMPLE
      : sample.expanded ? SflowSampleFormat.COUNTERS_SAMPLE_EXPANDED : SflowSampleFormat.COUNTERS_SAMPLE;
    opaque(w, format, sampleBody(sample), sample.length);
  }
  return w.toBytes();
}

// ---- sampled frames -----------------------------------------------------------------------------------------------

/** A frame as an sFlow agent samples it: Ethernet, optional 802.1Q tag, IPv4/IPv6, TCP/UDP/ICMP (no checksums). */
export interface SampledFrameSpec {
  srcMac: string;
  dstMac: string;
  vlan?: number;
  ipVersion: 4 | 6;
  srcAddress: string;
  dstAddress: string;
  /** 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, or any other number (then no transport header is written). */
  protocol: number;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  /** ICMP type and code. */
  icmpType?: number;
  icmpCode?: number;
  /** Bytes of payload after the transport header. */
  payloadLength: number;
}

/** The whole frame (without FCS) of `spec`. */
export function sampledFrame(spec: SampledFrameSpec): Uint8Array {
  const transport = new ByteWriter();
  if (spec.protocol === 6) {
    transport.u16(spec.srcPort).u16(spec.dstPort).u32(1).u32(0).u8(5 << 4).u8(spec.tcpFlags).u16(65_535).u32(0);
  } else if (spec.protocol === 17) {
    transport.u16(spec.srcPort).u16(spec.dstPort).u16(8 + spec.payloadLength).u16(0);
  } else if (spec.protocol === 1 || spec.protocol === 58) {
    transport.u8(spec.icmpType ?? 8).u8(spec.icmpCode ?? 0).u16(0).u32(0);
  }
  transport.zeros(spec.payloadLength);
  const l4 = transport.toBytes();
  const ip = new ByteWriter();
  if (spec.ipVersion === 4) {
    ip.u8(0x45).u8(0).u16(20 + l4.length).u16(0).u16(0x4000).u8(64).u8(spec.protocol).u16(0);
    ip.bytes(ipv4Bytes(spec.srcAddress)).bytes(ipv4Bytes(spec.dstAddress));
  } else {
    ip.u32(0x6000_0000).u16(l4.length).u8(spec.protocol).u8(64).bytes(ipv6Bytes(spec.srcAddress)).bytes(ipv6Bytes(spec.dstAddress));
  }
  ip.bytes(l4);
  const frame = new ByteWriter();
  frame.bytes(macBytes(spec.dstMac)).bytes(macBytes(spec.srcMac));
  if (spec.vlan !== undefined) frame.u16(0x8100).u16(spec.vlan & 0x0fff);
  frame.u16(spec.ipVersion === 4 ? 0x0800 : 0x86dd).bytes(ip.toBytes());
  return frame.toBytes();
}

/**
 * The sampled header record of `frame` as agents send it: at most `maxHeaderBytes` of the frame, and the frame
 * length on the wire including the 4-byte FCS that the agent stripped from the header.
 */
export function sampledHeaderRecord(frame: Uint8Array, maxHeaderBytes = 128): SflowFlowRecordSpec {
  return { kind: 'header', headerProtocol: SflowHeaderProtocol.ETHERNET, frameLength: frame.length + 4, stripped: 4, header: frame.subarray(0, maxHeaderBytes) };
}
