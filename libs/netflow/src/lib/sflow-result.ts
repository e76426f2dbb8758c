import type { DecodeError, DecodeErrorCounts } from './decode-error';
import type { FlowRecord } from './flow-record';

/**
 * One generic interface counters record (sFlow `if_counters`, RFC 2233 ifTable/ifXTable values) of a counters
 * sample: the agent's own totals since the interface came up, as last reported. 64-bit counters are JavaScript
 * numbers, exact up to 2^53.
 */
export interface SflowInterfaceCounters {
  /** Agent address (the exporter), as on the flows of the same agent. */
  exporter: string;
  subAgentId: number;
  /** Data source of the counters sample: type (0 ifIndex, 1 smonVlanDataSource, 2 entPhysicalEntry) and index. */
  sourceIdType: number;
  sourceIdIndex: number;
  /** Counters sample sequence number of that source. */
  sampleSequence: number;
  /** Agent uptime in the datagram header, ms. */
  uptimeMs: number;
  receivedAtMs: number;
  ifIndex: number;
  ifType: number;
  /** Bits per second. */
  ifSpeed: number;
  /** 0 unknown, 1 full duplex, 2 half duplex, 3 in, 4 out. */
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

/**
 * What a flow sample carried beyond its `FlowRecord` (returned only with `SflowDecoderOptions.sampleDetails`, so the
 * collector's hot path allocates nothing for it). `records[i]` and `details[i]` are the same sample.
 */
export interface SflowFlowSampleDetail {
  sampleSequence: number;
  sourceIdType: number;
  sourceIdIndex: number;
  /** Packets that could have been sampled at this source so far (the agent's sample_pool). */
  samplePool: number;
  /** Packets the agent dropped for lack of resources at this source so far. */
  drops: number;
  /** Frame length as the agent reported it (sampled header, else sampled Ethernet, else sampled IP length). */
  frameLength: number;
  /** `header_protocol` of the sampled header record, null when the sample had none. */
  headerProtocol: number | null;
  /** Extended router record: next hop and prefix lengths; null without one. */
  nextHop: string | null;
  srcMaskLength: number | null;
  dstMaskLength: number | null;
}

/** What one call to `SflowDecoder.decode` produced. */
export interface SflowDecodeResult {
  /** Agent address (or the datagram's source when the agent address is unspecified); null when the header was unreadable. */
  exporter: string | null;
  subAgentId: number | null;
  /** Datagram sequence number of the sub-agent. */
  sequence: number | null;
  uptimeMs: number | null;
  /** One flow per flow sample, bytes and packets scaled by the sample's sampling rate. */
  records: FlowRecord[];
  interfaceCounters: SflowInterfaceCounters[];
  /** Everything rejected in this datagram; each entry was also counted in `stats().errors`. */
  errors: DecodeError[];
  /** Samples read by type; `unknownSamples` were skipped by their length (other enterprises and formats). */
  flowSamples: number;
  counterSamples: number;
  unknownSamples: number;
  /** Flow and counter records of a type this decoder does not read, skipped by their length. */
  unknownRecords: number;
  /** Datagrams of this sub-agent missing before this one (negative: a late datagram filled a gap counted before). */
  lostDatagrams: number;
  /** Flow samples missing according to each source's flow sample sequence; negative when a late one came. */
  lostRecords: number;
  /** Per flow sample details, parallel to `records`; empty unless `sampleDetails` is set. */
  details: SflowFlowSampleDetail[];
}

export function newSflowDecodeResult(): SflowDecodeResult {
  return {
    exporter: null,
    subAgentId: null,
    sequence: null,
    uptimeMs: null,
    records: [],
    interfaceCounters: [],
    errors: [],
    flowSamples: 0,
    counterSamples: 0,
    unknownSamples: 0,
    unknownRecords: 0,
    lostDatagrams: 0,
    lostRecords: 0,
    details: [],
  };
}

export interface SflowDecoderStats {
  /** Datagrams whose header was accepted; `rejected`: dropped whole (header, version, agent address, cap). */
  datagrams: { accepted: number; rejected: number };
  samples: { flow: number; counters: number; unknown: number };
  /** Flow records produced (one per flow sample kept) and interface counter records read. */
  records: number;
  interfaceCounters: number;
  unknownRecords: number;
  errors: DecodeErrorCounts;
  agents: number;
  sequence: { lostDatagrams: number; lostRecords: number; latePackets: number; resets: number };
}

export interface SflowSubAgentStatus {
  subAgentId: number;
  /** Rate of the last flow sample, null before the first. */
  samplingRate: number | null;
  /** Data sources whose flow sample sequence is tracked. */
  sources: number;
  lostDatagrams: number;
  /** Flow samples lost according to the flow sample sequence numbers. */
  lostRecords: number;
  /** Datagrams and flow samples that came behind the expected sequence number. */
  latePackets: number;
  /** Restarts seen in either sequence (a jump too large to be loss). */
  resets: number;
  /** Packets the agent itself dropped for lack of resources (growth of the samples' drops counters). */
  agentDrops: number;
  uptimeMs: number;
}

export interface SflowAgentStatus {
  exporter: string;
  datagrams: number;
  records: number;
  interfaceCounters: number;
  errors: DecodeErrorCounts;
  subAgents: SflowSubAgentStatus[];
}
