import { ipv4Text, ipv6Text, macText } from './address-format';
import { DecodeErrorReason, emptyDecodeErrorCounts, type DecodeErrorCounts } from './decode-error';
import { SFLOW_V5_RECORD_VERSION } from './flow-record';
import {
  COUNTERS_SAMPLE_EXPANDED_FIXED_LENGTH,
  COUNTERS_SAMPLE_FIXED_LENGTH,
  EXTENDED_SWITCH_LENGTH,
  FLOW_SAMPLE_EXPANDED_FIXED_LENGTH,
  FLOW_SAMPLE_FIXED_LENGTH,
  GENERIC_INTERFACE_COUNTERS_LENGTH,
  SAMPLED_ETHERNET_LENGTH,
  SAMPLED_HEADER_FIXED_LENGTH,
  SAMPLED_IPV4_LENGTH,
  SAMPLED_IPV6_LENGTH,
  SFLOW_HEADER_TAIL_LENGTH,
  SFLOW_UNKNOWN_INTERFACE,
  SFLOW_VERSION,
  SflowAddressType,
  SflowCounterRecordFormat,
  SflowFlowRecordFormat,
  SflowSampleFormat,
} from './sflow-format';
import {
  newSflowDecodeResult,
  type SflowAgentStatus,
  type SflowDecodeResult,
  type SflowDecoderStats,
  type SflowInterfaceCounters,
} from './sflow-result';
import { SampledPacket, parseSampledHeader } from './sflow-sampled-header';
import { SequenceTracker } from './sequence-tracker';

/** Limits and knobs of an SflowDecoder; every cap bounds what a hostile or broken agent can make it keep. */
export interface SflowDecoderOptions {
  /** Agents (agent addresses) with state; datagrams naming more are rejected (TOO_MANY_EXPORTERS). */
  maxAgents: number;
  /** Sub-agents per agent (TOO_MANY_EXPORTERS beyond). */
  maxSubAgentsPerAgent: number;
  /** Data sources per sub-agent whose flow sample sequence is tracked; samples of further sources are decoded untracked. */
  maxSourcesPerSubAgent: number;
  /** A sequence number this far behind the expected one is late; further behind is a restart (as for NetFlow). */
  sequenceReorderWindow: number;
  /** A sequence number this far ahead of the expected one is a restart rather than loss. */
  sequenceMaxGap: number;
  /** Return an `SflowFlowSampleDetail` per flow record (next hop, masks, pool, drops); off on the collector's hot path. */
  sampleDetails: boolean;
}

export const DEFAULT_SFLOW_DECODER_OPTIONS: Readonly<SflowDecoderOptions> = Object.freeze({
  maxAgents: 10_000,
  // Real agents use sub-agent 0, or one per line card / VM host; a few dozen at most.
  maxSubAgentsPerAgent: 64,
  // A chassis switch samples a few hundred ports; 4,096 leaves room and bounds a lying agent.
  maxSourcesPerSubAgent: 4_096,
  sequenceReorderWindow: 1_000,
  sequenceMaxGap: 1 << 24,
  sampleDetails: false,
});

export function resolveSflowDecoderOptions(options: Partial<SflowDecoderOptions> = {}): SflowDecoderOptions {
  const resolved: SflowDecoderOptions = { ...DEFAULT_SFLOW_DECODER_OPTIONS, ...options };
  for (const key of ['maxAgents', 'maxSubAgentsPerAgent', 'maxSourcesPerSubAgent', 'sequenceReorderWindow', 'sequenceMaxGap'] as const) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`SflowDecoderOptions.${key} must be a non-negative integer`);
  }
  return resolved;
}

/** One data source of a sub-agent: its flow sample sequence and the agent's drop counter. */
class SourceState {
  readonly sequence: SequenceTracker;
  drops = Number.NaN;

  constructor(reorderWindow: number, maxGap: number) {
    this.sequence = new SequenceTracker(reorderWindow, maxGap);
  }
}

class SubAgentState {
  readonly datagrams: SequenceTracker;
  readonly sources = new Map<number, SourceState>();
  samplingRate = Number.NaN;
  lostDatagrams = 0;
  lostRecords = 0;
  agentDrops = 0;
  uptimeMs = 0;

  constructor(
    readonly subAgentId: number,
    reorderWindow: number,
    maxGap: number,
  ) {
    this.datagrams = new SequenceTracker(reorderWindow, maxGap);
  }
}

class AgentState {
  readonly subAgents = new Map<number, SubAgentState>();
  datagrams = 0;
  records = 0;
  interfaceCounters = 0;
  readonly errors: DecodeErrorCounts = emptyDecodeErrorCounts();

  constructor(readonly address: string) {}
}

/** What the records of one flow sample said; reused for every sample. */
class FlowSampleFields {
  readonly packet = new SampledPacket();
  frameLength = 0;
  /** Which record gave the frame length: 3 sampled header, 2 sampled Ethernet, 1 sampled IPv4/IPv6, 0 none. */
  frameRank = 0;
  headerProtocol: number | null = null;
  hasSwitch = false;
  switchSrcVlan = 0;
  switchDstVlan = 0;
  nextHop: string | null = null;
  srcMaskLength: number | null = null;
  dstMaskLength: number | null = null;

  reset(): void {
    this.packet.reset();
    this.frameLength = 0;
    this.frameRank = 0;
    this.headerProtocol = null;
    this.hasSwitch = false;
    this.switchSrcVlan = 0;
    this.switchDstVlan = 0;
    this.nextHop = null;
    this.srcMaskLength = null;
    this.dstMaskLength = null;
  }
}

const NO_BYTES = new Uint8Array(0);
const NO_VIEW = new DataView(NO_BYTES.buffer);

/** The datagram being decoded: what every sample needs. One instance, reused. */
class DatagramContext {
  bytes: Uint8Array = NO_BYTES;
  view: DataView = NO_VIEW;
  exporter = '';
  subAgentId = 0;
  uptimeMs = 0;
  receivedAtMs = 0;
  agent: AgentState | undefined;
  subAgent: SubAgentState | undefined;
}

const u64 = (view: DataView, p: number): number => view.getUint32(p) * 0x1_0000_0000 + view.getUint32(p + 4);

/** ifIndex of a compact flow sample's input/output: 2 bits of format (0 = ifIndex), 30 bits of value. */
function compactInterface(value: number): number {
  if (value >>> 30 !== 0) return 0; // 1: packet discarded (value = reason), 2: several interfaces (value = count)
  const index = value & 0x3fffffff;
  return index === SFLOW_UNKNOWN_INTERFACE ? 0 : index;
}

function expandedInterface(format: number, value: number): number {
  return format === 0 && value !== SFLOW_UNKNOWN_INTERFACE ? value : 0;
}

/** Byte length of an XDR opaque of `length` bytes with its padding, never past `limit`. */
const padded = (start: number, length: number, limit: number): number => Math.min(limit, start + ((length + 3) & ~3));

/**
 * Stateful sFlow version 5 decoder for one collector process: datagrams in, one `FlowRecord` per flow sample and
 * `SflowInterfaceCounters` per generic interface counters record out, with datagram and flow sample sequence loss per
 * agent, sub-agent and data source. Pure: no I/O, no clock. `decode` never throws.
 *
 * Malformed input, the rule: a datagram is a list of length-prefixed samples, each a list of length-prefixed records.
 * A sample whose length runs past the datagram ends the walk (MALFORMED_SAMPLE): the samples before it are kept. A
 * sample that fits but is wrong inside (fixed fields longer than the sample, a record running past the sample or too
 * short for its type, more records announced than present) is dropped alone, one error, and the walk goes on with the
 * next sample, since its length still held. Samples announced but absent: BAD_RECORD_COUNT, the ones present are kept;
 * bytes after the last announced sample: BAD_LENGTH, the samples are kept. Unknown sample and record types (other
 * enterprises, other formats) are skipped by their length and counted, not errors. Every loop advances by at least 8
 * bytes of the datagram, so no count or length can make it spin.
 */
export class SflowDecoder {
  private readonly options: SflowDecoderOptions;
  private readonly agents = new Map<string, AgentState>();
  private readonly fields = new FlowSampleFields();
  private readonly ctx = new DatagramContext();
  private readonly counters = {
    datagrams: { accepted: 0, rejected: 0 },
    samples: { flow: 0, counters: 0, unknown: 0 },
    records: 0,
    interfaceCounters: 0,
    unknownRecords: 0,
    errors: emptyDecodeErrorCounts(),
  };

  constructor(options: Partial<SflowDecoderOptions> = {}) {
    this.options = resolveSflowDecoderOptions(options);
  }

  /**
   * Decodes one datagram (a UDP payload) that came from `sourceAddress` at `receivedAtMs` (epoch ms: sFlow carries no
   * wall clock, so this is every flow's start and end time). The exporter is the agent address in the datagram; the
   * source address stands in only when the agent leaves its address unspecified (0.0.0.0 or ::).
   */
  decode(datagram: Uint8Array, sourceAddress: string, receivedAtMs: number): SflowDecodeResult {
    const result = newSflowDecodeResult();
    const ctx = this.ctx;
    ctx.agent = undefined;
    ctx.subAgent = undefined;
    try {
      this.decodeDatagram(datagram, sourceAddress, receivedAtMs, result);
    } catch (err) {
      // Not expected: every read is bounds-checked. Kept so a decoder bug costs one datagram, not the process.
      this.reject(result, DecodeErrorReason.DECODER_FAULT, 0, err instanceof Error ? err.message : String(err));
    }
    // Not kept past the call: the collector's receive buffers are reused.
    ctx.bytes = NO_BYTES;
    ctx.view = NO_VIEW;
    return result;
  }

  stats(): SflowDecoderStats {
    let lostDatagrams = 0;
    let lostRecords = 0;
    let latePackets = 0;
    let resets = 0;
    for (const agent of this.agents.values()) {
      for (const sub of agent.subAgents.values()) {
        lostDatagrams += sub.lostDatagrams;
        lostRecords += sub.lostRecords;
        latePackets += sub.datagrams.late;
        resets += sub.datagrams.resets;
        for (const source of sub.sources.values()) {
          latePackets += source.sequence.late;
          resets += source.sequence.resets;
        }
      }
    }
    const c = this.counters;
    return {
      datagrams: { ...c.datagrams },
      samples: { ...c.samples },
      records: c.records,
      interfaceCounters: c.interfaceCounters,
      unknownRecords: c.unknownRecords,
      errors: { ...c.errors },
      agents: this.agents.size,
      sequence: { lostDatagrams, lostRecords, latePackets, resets },
    };
  }

  /** Per agent and sub-agent: counters, last sampling rate, sequence loss; for the exporter registry. */
  agentStatuses(): SflowAgentStatus[] {
    return [...this.agents.values()].map((agent) => ({
      exporter: agent.address,
      datagrams: agent.datagrams,
      records: agent.records,
      interfaceCounters: agent.interfaceCounters,
      errors: { ...agent.errors },
      subAgents: [...agent.subAgents.values()].map((sub) => {
        let late = sub.datagrams.late;
        let resets = sub.datagrams.resets;
        for (const source of sub.sources.values()) {
          late += source.sequence.late;
          resets += source.sequence.resets;
        }
        return {
          subAgentId: sub.subAgentId,
          samplingRate: Number.isNaN(sub.samplingRate) ? null : sub.samplingRate,
          sources: sub.sources.size,
          lostDatagrams: sub.lostDatagrams,
          lostRecords: sub.lostRecords,
          latePackets: late,
          resets,
          agentDrops: sub.agentDrops,
          uptimeMs: sub.uptimeMs,
        };
      }),
    }));
  }

  /** Forgets an agent's sequence state and counters. */
  forgetAgent(exporter: string): void {
    this.agents.delete(exporter);
  }

  // ---- datagram -------------------------------------------------------------------------------------------------

  private decodeDatagram(bytes: Uint8Array, sourceAddress: string, receivedAtMs: number, result: SflowDecodeResult): void {
    const end = bytes.length;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (end < 8) {
      this.rejectDatagram(result, DecodeErrorReason.TRUNCATED_HEADER, 0, `datagram of ${end} bytes`);
      return;
    }
    const version = view.getUint32(0);
    if (version !== SFLOW_VERSION) {
      this.rejectDatagram(result, DecodeErrorReason.UNSUPPORTED_VERSION, 0, `sFlow version ${version}`);
      return;
    }
    const addressType = view.getUint32(4);
    const addressLength = addressType === SflowAddressType.IPV4 ? 4 : addressType === SflowAddressType.IPV6 ? 16 : -1;
    if (addressLength < 0) {
      this.rejectDatagram(result, DecodeErrorReason.BAD_AGENT_ADDRESS, 4, `agent address type ${addressType}`);
      return;
    }
    const tail = 8 + addressLength;
    const samplesStart = tail + SFLOW_HEADER_TAIL_LENGTH;
    if (end < samplesStart) {
      this.rejectDatagram(result, DecodeErrorReason.TRUNCATED_HEADER, 0, `sFlow header of ${end} bytes`);
      return;
    }
    const exporter = agentAddress(bytes, 8, addressLength) ?? sourceAddress;
    const subAgentId = view.getUint32(tail);
    const sequence = view.getUint32(tail + 4);
    const uptimeMs = view.getUint32(tail + 8);
    const sampleCount = view.getUint32(tail + 12);
    result.exporter = exporter;
    result.subAgentId = subAgentId;
    result.sequence = sequence;
    result.uptimeMs = uptimeMs;

    const agent = this.agentState(exporter);
    const sub = agent === undefined ? undefined : this.subAgentState(agent, subAgentId);
    if (agent === undefined || sub === undefined) {
      this.ctx.agent = agent;
      const cap = agent === undefined ? `${this.options.maxAgents} agents` : `${this.options.maxSubAgentsPerAgent} sub-agents`;
      this.rejectDatagram(result, DecodeErrorReason.TOO_MANY_EXPORTERS, 0, `cap of ${cap}`);
      return;
    }
    const ctx = this.ctx;
    ctx.bytes = bytes;
    ctx.view = view;
    ctx.exporter = exporter;
    ctx.subAgentId = subAgentId;
    ctx.uptimeMs = uptimeMs;
    ctx.receivedAtMs = receivedAtMs;
    ctx.agent = agent;
    ctx.subAgent = sub;
    this.counters.datagrams.accepted++;
    agent.datagrams++;
    sub.uptimeMs = uptimeMs;
    // The datagram sequence number counts datagrams of the sub-agent (sFlow v5, sample_datagram_v5).
    const lost = sub.datagrams.observe(sequence, 1);
    sub.lostDatagrams += lost;
    result.lostDatagrams = lost;

    let p = samplesStart;
    let read = 0;
    for (; read < sampleCount; read++) {
      if (end - p < 8) break;
      const format = view.getUint32(p);
      const length = view.getUint32(p + 4);
      const body = p + 8;
      if (length > end - body) {
        this.reject(result, DecodeErrorReason.MALFORMED_SAMPLE, p, `sample ${read} of length ${length}, ${end - body} bytes left`);
        this.finish(agent, result);
        return;
      }
      const bodyEnd = body + length;
      switch (format) {
        case SflowSampleFormat.FLOW_SAMPLE:
          this.flowSample(body, bodyEnd, false, result);
          break;
        case SflowSampleFormat.FLOW_SAMPLE_EXPANDED:
          this.flowSample(body, bodyEnd, true, result);
          break;
        case SflowSampleFormat.COUNTERS_SAMPLE:
          this.countersSample(body, bodyEnd, false, result);
          break;
        case SflowSampleFormat.COUNTERS_SAMPLE_EXPANDED:
          this.countersSample(body, bodyEnd, true, result);
          break;
        default:
          result.unknownSamples++;
          this.counters.samples.unknown++;
      }
      p = padded(body, length, end);
    }
    if (read < sampleCount) {
      this.reject(result, DecodeErrorReason.BAD_RECORD_COUNT, tail + 12, `${sampleCount} samples announced, ${read} present`);
    } else if (p < end) {
      this.reject(result, DecodeErrorReason.BAD_LENGTH, p, `${end - p} bytes after the last of ${sampleCount} samples`);
    }
    this.finish(agent, result);
  }

  private finish(agent: AgentState, result: SflowDecodeResult): void {
    agent.records += result.records.length;
    agent.interfaceCounters += result.interfaceCounters.length;
    this.counters.records += result.records.length;
    this.counters.interfaceCounters += result.interfaceCounters.length;
  }

  // ---- flow samples ---------------------------------------------------------------------------------------------

  private flowSample(start: number, end: number, expanded: boolean, result: SflowDecodeResult): void {
    const ctx = this.ctx;
    const view = ctx.view;
    const fixed = expanded ? FLOW_SAMPLE_EXPANDED_FIXED_LENGTH : FLOW_SAMPLE_FIXED_LENGTH;
    if (end - start < fixed) {
      this.reject(result, DecodeErrorReason.MALFORMED_SAMPLE, start, `flow sample of ${end - start} bytes`);
      return;
    }
    result.flowSamples++;
    this.counters.samples.flow++;
    const sequence = view.getUint32(start);
    let sourceType: number;
    let sourceIndex: number;
    let rate: number;
    let pool: number;
    let drops: number;
    let input: number;
    let output: number;
    let recordCount: number;
    if (expanded) {
      sourceType = view.getUint32(start + 4);
      sourceIndex = view.getUint32(start + 8);
      rate = view.getUint32(start + 12);
      pool = view.getUint32(start + 16);
      drops = view.getUint32(start + 20);
      input = expandedInterface(view.getUint32(start + 24), view.getUint32(start + 28));
      output = expandedInterface(view.getUint32(start + 32), view.getUint32(start + 36));
      recordCount = view.getUint32(start + 40);
    } else {
      const sourceId = view.getUint32(start + 4);
      sourceType = sourceId >>> 24;
      sourceIndex = sourceId & 0xffffff;
      rate = view.getUint32(start + 8);
      pool = view.getUint32(start + 12);
      drops = view.getUint32(start + 16);
      input = compactInterface(view.getUint32(start + 20));
      output = compactInterface(view.getUint32(start + 24));
      recordCount = view.getUint32(start + 28);
    }
    // The sequence counts this source's flow samples, so a gap is lost samples, i.e. lost flow records. Observed
    // before the records are read: a sample dropped for its content still arrived.
    this.observeFlowSample(sourceType, sourceIndex, sequence, drops, result);

    const fields = this.fields;
    fields.reset();
    let p = start + fixed;
    let read = 0;
    for (; read < recordCount; read++) {
      if (end - p < 8) break;
      const format = view.getUint32(p);
      const length = view.getUint32(p + 4);
      const body = p + 8;
      if (length > end - body) {
        this.reject(result, DecodeErrorReason.MALFORMED_RECORD, p, `flow record ${format} of length ${length}, ${end - body} bytes left in the sample`);
        return;
      }
      if (!this.flowRecord(format, body, body + length, fields, result)) {
        this.reject(result, DecodeErrorReason.MALFORMED_RECORD, p, `flow record ${format} of length ${length}`);
        return;
      }
      p = padded(body, length, end);
    }
    if (read < recordCount) {
      this.reject(result, DecodeErrorReason.BAD_RECORD_COUNT, start + fixed - 4, `flow sample announces ${recordCount} records, holds ${read}`);
      return;
    }

    // A rate of 0 is no rate: the sample stands for itself.
    const samplingRate = rate === 0 ? 1 : rate;
    const sub = ctx.subAgent;
    if (sub !== undefined) sub.samplingRate = samplingRate;
    const packet = fields.packet;
    let srcVlan: number | null = null;
    let dstVlan: number | null = null;
    if (fields.hasSwitch) {
      // The switch's own VLANs win; a source VLAN of 0 (the switch does not say) falls back to the frame's tag.
      srcVlan = fields.switchSrcVlan !== 0 ? fields.switchSrcVlan : (packet.vlan ?? 0);
      dstVlan = fields.switchDstVlan;
    } else {
      srcVlan = packet.vlan;
    }
    const frameLength = fields.frameLength;
    const receivedAtMs = ctx.receivedAtMs;
    result.records.push({
      exporter: ctx.exporter,
      observationDomain: ctx.subAgentId,
      version: SFLOW_V5_RECORD_VERSION,
      templateId: 0,
      srcAddress: packet.srcAddress,
      dstAddress: packet.dstAddress,
      srcPort: packet.srcPort,
      dstPort: packet.dstPort,
      protocol: packet.protocol,
      tcpFlags: packet.tcpFlags,
      bytes: frameLength * samplingRate,
      packets: samplingRate,
      rawBytes: frameLength,
      rawPackets: 1,
      samplingRate,
      startMs: receivedAtMs,
      endMs: receivedAtMs,
      inputInterface: input,
      outputInterface: output,
      srcMac: packet.srcMac,
      dstMac: packet.dstMac,
      srcVlan,
      dstVlan,
      direction: null,
      srcSgt: null,
      dstSgt: null,
      fromHeldData: false,
    });
    if (this.options.sampleDetails) {
      result.details.push({
        sampleSequence: sequence,
        sourceIdType: sourceType,
        sourceIdIndex: sourceIndex,
        samplePool: pool,
        drops,
        frameLength,
        headerProtocol: fields.headerProtocol,
        nextHop: fields.nextHop,
        srcMaskLength: fields.srcMaskLength,
        dstMaskLength: fields.dstMaskLength,
      });
    }
  }

  /** Reads one flow record into `fields`; false when it is too short for its type. Unknown types are skipped. */
  private flowRecord(format: number, start: number, end: number, fields: FlowSampleFields, result: SflowDecodeResult): boolean {
    const ctx = this.ctx;
    const view = ctx.view;
    const bytes = ctx.bytes;
    const length = end - start;
    switch (format) {
      case SflowFlowRecordFormat.SAMPLED_HEADER: {
        if (length < SAMPLED_HEADER_FIXED_LENGTH) return false;
        const headerProtocol = view.getUint32(start);
        const headerLength = view.getUint32(start + 12);
        if (headerLength > length - SAMPLED_HEADER_FIXED_LENGTH) return false;
        fields.headerProtocol = headerProtocol;
        // frame_length: the packet as it was on the wire (FCS included for Ethernet), before the agent cut it.
        fields.frameLength = view.getUint32(start + 4);
        fields.frameRank = 3;
        const headerStart = start + SAMPLED_HEADER_FIXED_LENGTH;
        parseSampledHeader(bytes, headerStart, headerStart + headerLength, headerProtocol, fields.packet);
        return true;
      }
      case SflowFlowRecordFormat.SAMPLED_ETHERNET: {
        if (length < SAMPLED_ETHERNET_LENGTH) return false;
        if (fields.frameRank <= 2) {
          fields.frameLength = view.getUint32(start);
          fields.frameRank = 2;
        }
        // mac is opaque[6], padded to 8 bytes.
        fields.packet.srcMac = macText(bytes, start + 4);
        fields.packet.dstMac = macText(bytes, start + 12);
        return true;
      }
      case SflowFlowRecordFormat.SAMPLED_IPV4:
      case SflowFlowRecordFormat.SAMPLED_IPV6: {
        const v6 = format === SflowFlowRecordFormat.SAMPLED_IPV6;
        if (length < (v6 ? SAMPLED_IPV6_LENGTH : SAMPLED_IPV4_LENGTH)) return false;
        if (fields.frameRank <= 1) {
          fields.frameLength = view.getUint32(start);
          fields.frameRank = 1;
        }
        const packet = fields.packet;
        packet.protocol = view.getUint32(start + 4) & 0xff;
        const ports = v6 ? start + 40 : start + 16;
        packet.srcAddress = v6 ? ipv6Text(bytes, start + 8) : ipv4Text(bytes, start + 8);
        packet.dstAddress = v6 ? ipv6Text(bytes, start + 24) : ipv4Text(bytes, start + 12);
        packet.srcPort = view.getUint32(ports) & 0xffff;
        packet.dstPort = view.getUint32(ports + 4) & 0xffff;
        packet.tcpFlags = view.getUint32(ports + 8) & 0xff;
        return true;
      }
      case SflowFlowRecordFormat.EXTENDED_SWITCH: {
        if (length < EXTENDED_SWITCH_LENGTH) return false;
        fields.hasSwitch = true;
        fields.switchSrcVlan = view.getUint32(start) & 0xffff;
        fields.switchDstVlan = view.getUint32(start + 8) & 0xffff;
        return true;
      }
      case SflowFlowRecordFormat.EXTENDED_ROUTER: {
        if (length < 4) return false;
        const type = view.getUint32(start);
        const addressLength = type === SflowAddressType.IPV4 ? 4 : type === SflowAddressType.IPV6 ? 16 : type === SflowAddressType.UNKNOWN ? 0 : -1;
        if (addressLength < 0 || length < 4 + addressLength + 8) return false;
        if (this.options.sampleDetails) {
          fields.nextHop = addressLength === 4 ? ipv4Text(bytes, start + 4) : addressLength === 16 ? ipv6Text(bytes, start + 4) : null;
          fields.srcMaskLength = view.getUint32(start + 4 + addressLength);
          fields.dstMaskLength = view.getUint32(start + 8 + addressLength);
        }
        return true;
      }
      default:
        result.unknownRecords++;
        this.counters.unknownRecords++;
        return true;
    }
  }

  private observeFlowSample(sourceType: number, sourceIndex: number, sequence: number, drops: number, result: SflowDecodeResult): void {
    const sub = this.ctx.subAgent;
    if (sub === undefined) return;
    // Types are 0-2 in practice; masking keeps the key an exact integer whatever a lying agent sends.
    const key = (sourceType & 0x1fffff) * 0x1_0000_0000 + sourceIndex;
    let source = sub.sources.get(key);
    if (source === undefined) {
      if (sub.sources.size >= this.options.maxSourcesPerSubAgent) return;
      source = new SourceState(this.options.sequenceReorderWindow, this.options.sequenceMaxGap);
      sub.sources.set(key, source);
    }
    const lost = source.sequence.observe(sequence, 1);
    sub.lostRecords += lost;
    result.lostRecords += lost;
    if (drops > source.drops) sub.agentDrops += drops - source.drops;
    source.drops = drops;
  }

  // ---- counter samples ------------------------------------------------------------------------------------------

  private countersSample(start: number, end: number, expanded: boolean, result: SflowDecodeResult): void {
    const ctx = this.ctx;
    const view = ctx.view;
    const fixed = expanded ? COUNTERS_SAMPLE_EXPANDED_FIXED_LENGTH : COUNTERS_SAMPLE_FIXED_LENGTH;
    if (end - start < fixed) {
      this.reject(result, DecodeErrorReason.MALFORMED_SAMPLE, start, `counters sample of ${end - start} bytes`);
      return;
    }
    result.counterSamples++;
    this.counters.samples.counters++;
    const sequence = view.getUint32(start);
    let sourceType: number;
    let sourceIndex: number;
    if (expanded) {
      sourceType = view.getUint32(start + 4);
      sourceIndex = view.getUint32(start + 8);
    } else {
      const sourceId = view.getUint32(start + 4);
      sourceType = sourceId >>> 24;
      sourceIndex = sourceId & 0xffffff;
    }
    const recordCount = view.getUint32(start + fixed - 4);
    const kept = result.interfaceCounters.length;
    let p = start + fixed;
    let read = 0;
    for (; read < recordCount; read++) {
      if (end - p < 8) break;
      const format = view.getUint32(p);
      const length = view.getUint32(p + 4);
      const body = p + 8;
      if (length > end - body || (format === SflowCounterRecordFormat.GENERIC_INTERFACE && length < GENERIC_INTERFACE_COUNTERS_LENGTH)) {
        this.reject(result, DecodeErrorReason.MALFORMED_RECORD, p, `counter record ${format} of length ${length}, ${end - body} bytes left in the sample`);
        result.interfaceCounters.length = kept;
        return;
      }
      if (format === SflowCounterRecordFormat.GENERIC_INTERFACE) {
        result.interfaceCounters.push(this.interfaceCounters(body, sourceType, sourceIndex, sequence));
      } else {
        result.unknownRecords++;
        this.counters.unknownRecords++;
      }
      p = padded(body, length, end);
    }
    if (read < recordCount) {
      this.reject(result, DecodeErrorReason.BAD_RECORD_COUNT, start + fixed - 4, `counters sample announces ${recordCount} records, holds ${read}`);
      result.interfaceCounters.length = kept;
    }
  }

  /** Generic interface counters (`if_counters`, 88 bytes) at `p`. */
  private interfaceCounters(p: number, sourceIdType: number, sourceIdIndex: number, sampleSequence: number): SflowInterfaceCounters {
    const ctx = this.ctx;
    const view = ctx.view;
    const status = view.getUint32(p + 20);
    return {
      exporter: ctx.exporter,
      subAgentId: ctx.subAgentId,
      sourceIdType,
      sourceIdIndex,
      sampleSequence,
      uptimeMs: ctx.uptimeMs,
      receivedAtMs: ctx.receivedAtMs,
      ifIndex: view.getUint32(p),
      ifType: view.getUint32(p + 4),
      ifSpeed: u64(view, p + 8),
      ifDirection: view.getUint32(p + 16),
      // ifStatus: bit 0 ifAdminStatus up, bit 1 ifOperStatus up.
      adminUp: (status & 1) !== 0,
      operUp: (status & 2) !== 0,
      inOctets: u64(view, p + 24),
      inUnicastPackets: view.getUint32(p + 32),
      inMulticastPackets: view.getUint32(p + 36),
      inBroadcastPackets: view.getUint32(p + 40),
      inDiscards: view.getUint32(p + 44),
      inErrors: view.getUint32(p + 48),
      inUnknownProtocols: view.getUint32(p + 52),
      outOctets: u64(view, p + 56),
      outUnicastPackets: view.getUint32(p + 64),
      outMulticastPackets: view.getUint32(p + 68),
      outBroadcastPackets: view.getUint32(p + 72),
      outDiscards: view.getUint32(p + 76),
      outErrors: view.getUint32(p + 80),
      promiscuous: view.getUint32(p + 84) === 1,
    };
  }

  // ---- bookkeeping ----------------------------------------------------------------------------------------------

  private agentState(address: string): AgentState | undefined {
    let agent = this.agents.get(address);
    if (agent === undefined) {
      if (this.agents.size >= this.options.maxAgents) return undefined;
      agent = new AgentState(address);
      this.agents.set(address, agent);
    }
    return agent;
  }

  private subAgentState(agent: AgentState, subAgentId: number): SubAgentState | undefined {
    let sub = agent.subAgents.get(subAgentId);
    if (sub === undefined) {
      if (agent.subAgents.size >= this.options.maxSubAgentsPerAgent) return undefined;
      sub = new SubAgentState(subAgentId, this.options.sequenceReorderWindow, this.options.sequenceMaxGap);
      agent.subAgents.set(subAgentId, sub);
    }
    return sub;
  }

  private rejectDatagram(result: SflowDecodeResult, reason: DecodeErrorReason, offset: number, detail: string): void {
    this.counters.datagrams.rejected++;
    this.reject(result, reason, offset, detail);
  }

  private reject(result: SflowDecodeResult, reason: DecodeErrorReason, offset: number, detail: string): void {
    this.counters.errors[reason]++;
    const agent = this.ctx.agent;
    if (agent !== undefined) agent.errors[reason]++;
    result.errors.push({ reason, offset, detail });
  }
}

/** The agent address as text; undefined when unspecified (all zeros). IPv4-mapped IPv6 reads as IPv4, as for sources. */
function agentAddress(bytes: Uint8Array, p: number, length: number): string | undefined {
  let zero = true;
  for (let i = 0; i < length; i++) {
    if (bytes[p + i] !== 0) {
      zero = false;
      break;
    }
  }
  if (zero) return undefined;
  if (length === 4) return ipv4Text(bytes, p);
  let mapped = bytes[p + 10] === 0xff && bytes[p + 11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (bytes[p + i] !== 0) mapped = false;
  return mapped ? ipv4Text(bytes, p + 12) : ipv6Text(bytes, p);
}
