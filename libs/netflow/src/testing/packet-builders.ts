// Builders of NetFlow v5, v9 and IPFIX export packets for tests and benchmarks (the ingest service's tests reuse
// them: import from 'libs/netflow/src/testing/packet-builders'). They write what the RFCs say byte for byte and
// nothing more, so a test can also build packets that are wrong on purpose (raw sets, lying lengths).
import { Ie, VARIABLE_LENGTH } from '../lib/information-element';

/** A value for one field: numbers are written big-endian in the field's length; strings are addresses. */
export type FieldValue = number | bigint | string | Uint8Array;

export interface TemplateField {
  id: number;
  length: number;
  enterprise?: number;
}

/** Growable big-endian byte writer. */
export class ByteWriter {
  private buffer = new Uint8Array(256);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  u8(value: number): this {
    this.ensure(1);
    this.view.setUint8(this.length, value & 0xff);
    this.length += 1;
    return this;
  }

  u16(value: number): this {
    this.ensure(2);
    this.view.setUint16(this.length, value & 0xffff);
    this.length += 2;
    return this;
  }

  u32(value: number): this {
    this.ensure(4);
    this.view.setUint32(this.length, value >>> 0);
    this.length += 4;
    return this;
  }

  /** Unsigned big-endian integer in `size` bytes (1-8); bigint for values beyond 2^53. */
  uint(value: number | bigint, size: number): this {
    let v = BigInt(value);
    const bytes = new Uint8Array(size);
    for (let i = size - 1; i >= 0; i--) {
      bytes[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return this.bytes(bytes);
  }

  bytes(value: Uint8Array): this {
    this.ensure(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  zeros(count: number): this {
    this.ensure(count);
    this.buffer.fill(0, this.length, this.length + count);
    this.length += count;
    return this;
  }

  setU16(offset: number, value: number): this {
    this.view.setUint16(offset, value);
    return this;
  }

  toBytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

export function ipv4Bytes(address: string): Uint8Array {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${address}`);
  }
  return Uint8Array.from(parts);
}

export function ipv6Bytes(address: string): Uint8Array {
  const bytes = new Uint8Array(16);
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail.push(...ipv4Bytes(text.slice(lastColon + 1)));
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined ? headGroups : [...headGroups, ...new Array(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups];
  if (groups.length !== 8) throw new Error(`not an IPv6 address: ${address}`);
  groups.forEach((g, i) => {
    const value = parseInt(g, 16);
    bytes[2 * i] = value >> 8;
    bytes[2 * i + 1] = value & 0xff;
  });
  if (tail.length === 4) bytes.set(tail, 12);
  return bytes;
}

export function macBytes(address: string): Uint8Array {
  const parts = address.split(':').map((p) => parseInt(p, 16));
  if (parts.length !== 6) throw new Error(`not a MAC address: ${address}`);
  return Uint8Array.from(parts);
}

/** Writes one field value as the template field describes it (variable length: with its RFC 7011 length prefix). */
export function writeFieldValue(writer: ByteWriter, field: TemplateField, value: FieldValue): void {
  if (field.length === VARIABLE_LENGTH) {
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value instanceof Uint8Array ? value : new Uint8Array(0);
    if (bytes.length < 255) writer.u8(bytes.length);
    else writer.u8(255).u16(bytes.length);
    writer.bytes(bytes);
    return;
  }
  if (value instanceof Uint8Array) {
    const padded = new Uint8Array(field.length);
    padded.set(value.subarray(0, field.length));
    writer.bytes(padded);
    return;
  }
  if (typeof value === 'string') {
    let bytes: Uint8Array;
    if (field.length === 4) bytes = ipv4Bytes(value);
    else if (field.length === 16) bytes = ipv6Bytes(value);
    else if (field.length === 6) bytes = macBytes(value);
    else throw new Error(`cannot write string into a ${field.length}-byte field`);
    writer.bytes(bytes);
    return;
  }
  if (field.length === 0) return;
  writer.uint(value, Math.min(field.length, 8));
  if (field.length > 8) writer.zeros(field.length - 8);
}

// ---- NetFlow v5 ------------------------------------------------------------------------------------------------

export interface V5RecordSpec {
  srcAddress: string;
  dstAddress: string;
  nextHop?: string;
  inputInterface: number;
  outputInterface: number;
  packets: number;
  bytes: number;
  /** sysUptime (ms) at the first and last packet. */
  firstUptimeMs: number;
  lastUptimeMs: number;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  protocol: number;
  tos?: number;
}

export interface V5PacketSpec {
  sysUptimeMs: number;
  unixSecs: number;
  unixNsecs?: number;
  sequence: number;
  engineType?: number;
  engineId?: number;
  samplingMode?: number;
  samplingInterval?: number;
  /** Overrides the header count (to build lying packets). */
  count?: number;
  records: V5RecordSpec[];
}

export function buildV5Packet(spec: V5PacketSpec): Uint8Array {
  const w = new ByteWriter();
  w.u16(5)
    .u16(spec.count ?? spec.records.length)
    .u32(spec.sysUptimeMs)
    .u32(spec.unixSecs)
    .u32(spec.unixNsecs ?? 0)
    .u32(spec.sequence)
    .u8(spec.engineType ?? 0)
    .u8(spec.engineId ?? 0)
    .u16((((spec.samplingMode ?? 0) & 0x3) << 14) | ((spec.samplingInterval ?? 0) & 0x3fff));
  for (const r of spec.records) {
    w.bytes(ipv4Bytes(r.srcAddress))
      .bytes(ipv4Bytes(r.dstAddress))
      .bytes(ipv4Bytes(r.nextHop ?? '0.0.0.0'))
      .u16(r.inputInterface)
      .u16(r.outputInterface)
      .u32(r.packets)
      .u32(r.bytes)
      .u32(r.firstUptimeMs)
      .u32(r.lastUptimeMs)
      .u16(r.srcPort)
      .u16(r.dstPort)
      .u8(0)
      .u8(r.tcpFlags)
      .u8(r.protocol)
      .u8(r.tos ?? 0)
      .u16(0)
      .u16(0)
      .u8(0)
      .u8(0)
      .u16(0);
  }
  return w.toBytes();
}

// ---- NetFlow v9 ------------------------------------------------------------------------------------------------

export type V9FlowSet =
  | { kind: 'template'; templates: Array<{ templateId: number; fields: TemplateField[] }> }
  | {
      kind: 'optionsTemplate';
      templates: Array<{ templateId: number; scopeFields: TemplateField[]; optionFields: TemplateField[] }>;
    }
  | { kind: 'data'; templateId: number; fields: TemplateField[]; records: FieldValue[][] }
  | { kind: 'raw'; setId: number; body: Uint8Array; length?: number };

export interface V9PacketSpec {
  sysUptimeMs: number;
  unixSecs: number;
  sequence: number;
  sourceId: number;
  flowSets: V9FlowSet[];
}

/** Pads to a 4-byte boundary, as RFC 3954 section 5.3 asks of every flowset. */
function padTo4(w: ByteWriter, start: number): void {
  while ((w.length - start) % 4 !== 0) w.u8(0);
}

export function buildV9Packet(spec: V9PacketSpec): Uint8Array {
  const w = new ByteWriter();
  let count = 0;
  for (const set of spec.flowSets) {
    if (set.kind === 'template' || set.kind === 'optionsTemplate') count += set.templates.length;
    else if (set.kind === 'data') count += set.records.length;
  }
  w.u16(9).u16(count).u32(spec.sysUptimeMs).u32(spec.unixSecs).u32(spec.sequence).u32(spec.sourceId);
  for (const set of spec.flowSets) {
    const start = w.length;
    if (set.kind === 'raw') {
      w.u16(set.setId).u16(set.length ?? set.body.length + 4).bytes(set.body);
      continue;
    }
    w.u16(0).u16(0);
    if (set.kind === 'template') {
      w.setU16(start, 0);
      for (const t of set.templates) {
        w.u16(t.templateId).u16(t.fields.length);
        for (const f of t.fields) w.u16(f.id).u16(f.length);
      }
    } else if (set.kind === 'optionsTemplate') {
      w.setU16(start, 1);
      for (const t of set.templates) {
        w.u16(t.templateId).u16(t.scopeFields.length * 4).u16(t.optionFields.length * 4);
        for (const f of [...t.scopeFields, ...t.optionFields]) w.u16(f.id).u16(f.length);
      }
    } else {
      w.setU16(start, set.templateId);
      // Records packed back to back; only the flowset as a whole is padded.
      for (const record of set.records) set.fields.forEach((f, i) => writeFieldValue(w, f, record[i] ?? 0));
    }
    padTo4(w, start);
    w.setU16(start + 2, w.length - start);
  }
  return w.toBytes();
}

// ---- IPFIX -----------------------------------------------------------------------------------------------------

export type IpfixSet =
  | { kind: 'template'; templates: Array<{ templateId: number; fields: TemplateField[] }> }
  | { kind: 'optionsTemplate'; templates: Array<{ templateId: number; scopeFieldCount: number; fields: TemplateField[] }> }
  /** Template withdrawal records (field count 0); `options` puts them in an options template set. */
  | { kind: 'withdrawal'; templateIds: number[]; options?: boolean }
  /** Withdraws all data templates (id 2 in set 2) or all options templates (id 3 in set 3). */
  | { kind: 'withdrawAll'; options?: boolean }
  | { kind: 'data'; templateId: number; fields: TemplateField[]; records: FieldValue[][]; paddingBytes?: number }
  | { kind: 'raw'; setId: number; body: Uint8Array; length?: number };

export interface IpfixMessageSpec {
  exportTimeSecs: number;
  sequence: number;
  observationDomain: number;
  sets: IpfixSet[];
  /** Overrides the message length in the header (to build lying messages). */
  length?: number;
}

function writeIpfixSpecifier(w: ByteWriter, f: TemplateField): void {
  if (f.enterprise !== undefined && f.enterprise !== 0) w.u16(f.id | 0x8000).u16(f.length).u32(f.enterprise);
  else w.u16(f.id).u16(f.length);
}

export function buildIpfixMessage(spec: IpfixMessageSpec): Uint8Array {
  const w = new ByteWriter();
  w.u16(10).u16(0).u32(spec.exportTimeSecs).u32(spec.sequence).u32(spec.observationDomain);
  for (const set of spec.sets) {
    const start = w.length;
    if (set.kind === 'raw') {
      w.u16(set.setId).u16(set.length ?? set.body.length + 4).bytes(set.body);
      continue;
    }
    w.u16(0).u16(0);
    switch (set.kind) {
      case 'template':
        w.setU16(start, 2);
        for (const t of set.templates) {
          w.u16(t.templateId).u16(t.fields.length);
          for (const f of t.fields) writeIpfixSpecifier(w, f);
        }
        break;
      case 'optionsTemplate':
        w.setU16(start, 3);
        for (const t of set.templates) {
          w.u16(t.templateId).u16(t.fields.length).u16(t.scopeFieldCount);
          for (const f of t.fields) writeIpfixSpecifier(w, f);
        }
        break;
      case 'withdrawal':
        w.setU16(start, set.options ? 3 : 2);
        for (const id of set.templateIds) w.u16(id).u16(0);
        break;
      case 'withdrawAll':
        w.setU16(start, set.options ? 3 : 2);
        w.u16(set.options ? 3 : 2).u16(0);
        break;
      case 'data':
        w.setU16(start, set.templateId);
        for (const record of set.records) set.fields.forEach((f, i) => writeFieldValue(w, f, record[i] ?? 0));
        w.zeros(set.paddingBytes ?? 0);
        break;
    }
    w.setU16(start + 2, w.length - start);
  }
  w.setU16(2, spec.length ?? w.length);
  return w.toBytes();
}

// ---- realistic templates and flows -------------------------------------------------------------------------------

/** A flow as a test means it; `flowFieldValues` turns it into the values of a template's fields. */
export interface FlowSpec {
  srcAddress: string;
  dstAddress: string;
  srcPort: number;
  dstPort: number;
  protocol: number;
  tcpFlags: number;
  bytes: number;
  packets: number;
  startMs: number;
  endMs: number;
  inputInterface: number;
  outputInterface: number;
  srcMac?: string;
  dstMac?: string;
  srcVlan?: number;
  dstVlan?: number;
  direction?: number;
  srcSgt?: number;
  dstSgt?: number;
}

/** Time base of a v9 packet: FIRST/LAST_SWITCHED are written relative to it. */
export interface UptimeBase {
  /** Export time (header unix secs * 1000). */
  exportMs: number;
  /** Header sysUptime. */
  sysUptimeMs: number;
}

/**
 * Values of `fields` for `flow`. Times: 150-153 absolute, 21/22 relative to `uptime` (v9 semantics) when given.
 * Fields this helper does not know get 0.
 */
export function flowFieldValues(fields: readonly TemplateField[], flow: FlowSpec, uptime?: UptimeBase): FieldValue[] {
  const toUptime = (ms: number): number => (uptime ? (uptime.sysUptimeMs - (uptime.exportMs - ms)) >>> 0 : 0);
  return fields.map((f) => {
    if ((f.enterprise ?? 0) !== 0) return 0;
    switch (f.id) {
      case Ie.octetDeltaCount:
        return flow.bytes;
      case Ie.packetDeltaCount:
        return flow.packets;
      case Ie.protocolIdentifier:
        return flow.protocol;
      case Ie.tcpControlBits:
        return flow.tcpFlags;
      case Ie.sourceTransportPort:
        return flow.srcPort;
      case Ie.destinationTransportPort:
        return flow.dstPort;
      case Ie.sourceIPv4Address:
        return flow.srcAddress.includes('.') ? flow.srcAddress : '0.0.0.0';
      case Ie.destinationIPv4Address:
        return flow.dstAddress.includes('.') ? flow.dstAddress : '0.0.0.0';
      case Ie.sourceIPv6Address:
        return flow.srcAddress.includes(':') ? flow.srcAddress : '::';
      case Ie.destinationIPv6Address:
        return flow.dstAddress.includes(':') ? flow.dstAddress : '::';
      case Ie.ingressInterface:
        return flow.inputInterface;
      case Ie.egressInterface:
        return flow.outputInterface;
      case Ie.flowStartSysUpTime:
        return toUptime(flow.startMs);
      case Ie.flowEndSysUpTime:
        return toUptime(flow.endMs);
      case Ie.flowStartMilliseconds:
        return flow.startMs;
      case Ie.flowEndMilliseconds:
        return flow.endMs;
      case Ie.flowStartSeconds:
        return Math.floor(flow.startMs / 1000);
      case Ie.flowEndSeconds:
        return Math.floor(flow.endMs / 1000);
      case Ie.sourceMacAddress:
        return flow.srcMac ?? '00:00:00:00:00:00';
      case Ie.destinationMacAddress:
        return flow.dstMac ?? '00:00:00:00:00:00';
      case Ie.vlanId:
        return flow.srcVlan ?? 0;
      case Ie.postVlanId:
        return flow.dstVlan ?? 0;
      case Ie.flowDirection:
        return flow.direction ?? 0;
      case CISCO_SOURCE_SGT:
        return flow.srcSgt ?? 0;
      case CISCO_DESTINATION_SGT:
        return flow.dstSgt ?? 0;
      default:
        return 0;
    }
  });
}

export const CISCO_SOURCE_SGT = 34000;
export const CISCO_DESTINATION_SGT = 34001;

/**
 * A 24-field IPv4 v9 template like a Cisco IOS flexible NetFlow record with MACs, VLANs, direction and TrustSec
 * tags (92-byte records, 15 per 1400-byte packet).
 */
export const V9_REALISTIC_FIELDS: readonly TemplateField[] = [
  { id: Ie.sourceIPv4Address, length: 4 },
  { id: Ie.destinationIPv4Address, length: 4 },
  { id: 15, length: 4 }, // ipNextHopIPv4Address, not decoded: skipped by length
  { id: Ie.ingressInterface, length: 4 },
  { id: Ie.egressInterface, length: 4 },
  { id: Ie.packetDeltaCount, length: 4 },
  { id: Ie.octetDeltaCount, length: 8 },
  { id: Ie.flowStartSysUpTime, length: 4 },
  { id: Ie.flowEndSysUpTime, length: 4 },
  { id: Ie.sourceTransportPort, length: 2 },
  { id: Ie.destinationTransportPort, length: 2 },
  { id: Ie.tcpControlBits, length: 1 },
  { id: Ie.protocolIdentifier, length: 1 },
  { id: 5, length: 1 }, // ipClassOfService
  { id: 16, length: 4 }, // bgpSourceAsNumber
  { id: 17, length: 4 }, // bgpDestinationAsNumber
  { id: 9, length: 1 }, // sourceIPv4PrefixLength
  { id: 13, length: 1 }, // destinationIPv4PrefixLength
  { id: Ie.sourceMacAddress, length: 6 },
  { id: Ie.destinationMacAddress, length: 6 },
  { id: Ie.vlanId, length: 2 },
  { id: Ie.postVlanId, length: 2 },
  { id: Ie.flowDirection, length: 1 },
  { id: CISCO_SOURCE_SGT, length: 2 },
  { id: CISCO_DESTINATION_SGT, length: 2 },
];

/** A 24-field IPv4 IPFIX template with absolute millisecond times and an enterprise-specific element. */
export const IPFIX_REALISTIC_FIELDS: readonly TemplateField[] = [
  { id: Ie.sourceIPv4Address, length: 4 },
  { id: Ie.destinationIPv4Address, length: 4 },
  { id: 15, length: 4 },
  { id: Ie.ingressInterface, length: 4 },
  { id: Ie.egressInterface, length: 4 },
  { id: Ie.packetDeltaCount, length: 8 },
  { id: Ie.octetDeltaCount, length: 8 },
  { id: Ie.flowStartMilliseconds, length: 8 },
  { id: Ie.flowEndMilliseconds, length: 8 },
  { id: Ie.sourceTransportPort, length: 2 },
  { id: Ie.destinationTransportPort, length: 2 },
  { id: Ie.tcpControlBits, length: 2 },
  { id: Ie.protocolIdentifier, length: 1 },
  { id: 5, length: 1 },
  { id: 16, length: 4 },
  { id: 17, length: 4 },
  { id: 9, length: 1 },
  { id: 13, length: 1 },
  { id: Ie.sourceMacAddress, length: 6 },
  { id: Ie.destinationMacAddress, length: 6 },
  { id: Ie.vlanId, length: 2 },
  { id: Ie.postVlanId, length: 2 },
  { id: Ie.flowDirection, length: 1 },
  { id: 100, length: 4, enterprise: 9 }, // a Cisco-private element, skipped by length
];

export interface SampleFlowOptions {
  /** Export time: flows end within 30 s before it. */
  baseMs?: number;
  /**
   * Draw addresses from a population of this many client hosts (10.x.y.z, MACs derived from the address) talking to
   * a quarter as many servers, as a site's traffic does. Omitted: every address is random (worst case for caches).
   */
  hosts?: number;
}

const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');
const macOf = (prefix: string, n: number): string => `${prefix}:${hex2(n >>> 16)}:${hex2(n >>> 8)}:${hex2(n)}`;

/** Deterministic pseudo-random flows (a small LCG, so benchmarks and tests are repeatable without a library). */
export function sampleFlows(count: number, seed = 1, options: SampleFlowOptions = {}): FlowSpec[] {
  const baseMs = options.baseMs ?? 1_700_000_000_000;
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state;
  };
  const flows: FlowSpec[] = [];
  for (let i = 0; i < count; i++) {
    let a = next();
    let b = next();
    if (options.hosts !== undefined) {
      a = a % options.hosts;
      b = b % Math.max(1, Math.floor(options.hosts / 4));
    }
    const client = `10.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
    const server = `192.168.${(b >>> 8) & 0xff}.${b & 0xff}`;
    const clientMac = macOf('00:1b:21', a);
    const serverMac = macOf('3c:fd:fe', b);
    const reply = next() % 2 === 1;
    // Flows end before they are exported, as real ones do.
    const end = baseMs - (next() % 30_000);
    const start = end - (next() % 30_000);
    const servicePort = [443, 80, 53, 22, 9100, 554, 5060][next() % 7];
    const clientPort = 1024 + (next() % 60_000);
    flows.push({
      srcAddress: reply ? server : client,
      dstAddress: reply ? client : server,
      srcPort: reply ? servicePort : clientPort,
      dstPort: reply ? clientPort : servicePort,
      protocol: next() % 3 === 0 ? 17 : 6,
      tcpFlags: next() & 0x3f,
      bytes: 40 + (next() % 1_000_000),
      packets: 1 + (next() % 1_000),
      startMs: start,
      endMs: end,
      inputInterface: next() % 64,
      outputInterface: next() % 64,
      srcMac: reply ? serverMac : clientMac,
      dstMac: reply ? clientMac : serverMac,
      srcVlan: next() % 4095,
      dstVlan: next() % 4095,
      direction: next() % 2,
      srcSgt: next() % 40,
      dstSgt: next() % 40,
    });
  }
  return flows;
}

/** Bytes one record of a template occupies (variable-length fields counted as 1). */
export function minimumLength(fields: readonly TemplateField[]): number {
  return fields.reduce((sum, f) => sum + (f.length === VARIABLE_LENGTH ? 1 : f.length), 0);
}
