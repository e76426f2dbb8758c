// NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) export packets for simulated flows, written by the simulator itself
// (not the test builders of libs/netflow), as one observation domain of one exporter would send them:
// - templates first, then again every `templateRefreshPackets` packets or when `refreshTemplates()` is called
//   (RFC 7011 section 8.4: over UDP templates must be re-sent periodically; RFC 3954 section 4 likewise);
// - v9 header count = template + data records in the packet, sequence = export packets sent before this one in the
//   domain (RFC 3954 section 5.1); IPFIX sequence = data records sent before this message (RFC 7011 section 3.1);
// - data records packed back to back; a v9 flowset is padded to 4 bytes as a whole (RFC 3954 section 5.3), IPFIX
//   sets are not padded (padding is optional, RFC 7011 section 3.3.1);
// - v9 FIRST/LAST_SWITCHED are sysUptime milliseconds, relative to the exporter's boot; IPFIX carries
//   flowStart/EndMilliseconds (IEs 152/153) as absolute time;
// - packets never exceed `maxPacketBytes` (1400 by default: below a 1500-byte MTU with IP/UDP/tunnel headers).
import { Ie } from '@clarion/netflow';
import { type SimulatedFlow } from './simulated-flow';

/** An information element: id, length in bytes, enterprise number (0 = IANA / NetFlow v9). */
export interface FieldSpec {
  id: number;
  length: number;
  enterprise: number;
}

export interface SgtFields {
  source: { id: number; enterprise: number };
  destination: { id: number; enterprise: number };
}

/** Cisco's TrustSec field types in NetFlow v9. */
export const V9_SGT_FIELDS: SgtFields = { source: { id: 34000, enterprise: 0 }, destination: { id: 34001, enterprise: 0 } };
/**
 * IPFIX element ids are 15 bits: an exporter that sends Cisco's 34000/34001 in IPFIX sets the enterprise bit, so
 * they arrive as Cisco-enterprise (PEN 9) elements 1232/1233 (34000 and 34001 with the high bit cleared).
 */
export const IPFIX_SGT_FIELDS: SgtFields = { source: { id: 1232, enterprise: 9 }, destination: { id: 1233, enterprise: 9 } };

export interface ExportEncoderOptions {
  version: 9 | 10;
  /** v9 source id / IPFIX observation domain id. */
  observationDomain: number;
  /** When the exporter booted, epoch ms (v9 sysUptime and FIRST/LAST_SWITCHED are relative to it). */
  bootMs: number;
  maxPacketBytes?: number;
  /** Templates are sent again after this many packets (0: only at start and on `refreshTemplates`). */
  templateRefreshPackets?: number;
  sgtFields?: SgtFields;
  /** First sequence number (default 0). */
  initialSequence?: number;
}

/** Template ids: IPv4 / IPv6, with / without TrustSec tags. */
export const TEMPLATE_IDS = { v4Sgt: 256, v4: 257, v6Sgt: 258, v6: 259 } as const;

interface Layout {
  templateId: number;
  ipv6: boolean;
  sgt: boolean;
  fields: FieldSpec[];
  recordLength: number;
}

const V9_HEADER_LENGTH = 20;
const IPFIX_HEADER_LENGTH = 16;
const SET_HEADER_LENGTH = 4;
const TWO_32 = 4294967296;

// Element ids: the decoder's own table (RFC 7012 / RFC 3954 section 8), so the encoder cannot disagree with it.
const IE = Ie;

function layoutFor(version: 9 | 10, ipv6: boolean, sgt: boolean, sgtFields: SgtFields): Layout {
  const f = (id: number, length: number, enterprise = 0): FieldSpec => ({ id, length, enterprise });
  const address = ipv6 ? 16 : 4;
  const fields: FieldSpec[] = [
    f(ipv6 ? IE.sourceIPv6Address : IE.sourceIPv4Address, address),
    f(ipv6 ? IE.destinationIPv6Address : IE.destinationIPv4Address, address),
    f(IE.ingressInterface, 4),
    f(IE.egressInterface, 4),
    f(IE.packetDeltaCount, version === 9 ? 4 : 8),
    f(IE.octetDeltaCount, 8),
    ...(version === 9 ? [f(IE.flowStartSysUpTime, 4), f(IE.flowEndSysUpTime, 4)] : [f(IE.flowStartMilliseconds, 8), f(IE.flowEndMilliseconds, 8)]),
    f(IE.sourceTransportPort, 2),
    f(IE.destinationTransportPort, 2),
    // RFC 7125 widened tcpControlBits to 16 bits in IPFIX; v9 exporters send the classic 8.
    f(IE.tcpControlBits, version === 9 ? 1 : 2),
    f(IE.protocolIdentifier, 1),
    f(IE.sourceMacAddress, 6),
    f(IE.destinationMacAddress, 6),
    f(IE.vlanId, 2),
    f(IE.postVlanId, 2),
    f(IE.flowDirection, 1),
  ];
  if (sgt) fields.push(f(sgtFields.source.id, 2, sgtFields.source.enterprise), f(sgtFields.destination.id, 2, sgtFields.destination.enterprise));
  const templateId = ipv6 ? (sgt ? TEMPLATE_IDS.v6Sgt : TEMPLATE_IDS.v6) : sgt ? TEMPLATE_IDS.v4Sgt : TEMPLATE_IDS.v4;
  return { templateId, ipv6, sgt, fields, recordLength: fields.reduce((sum, x) => sum + x.length, 0) };
}

/** What one `encode` call produced. */
export interface EncodedBatch {
  packets: Buffer[];
  /** Data records written (equals the flows given). */
  records: number;
  /** Packets that carried templates. */
  templatePackets: number;
}

/** Encoder of one exporter observation domain: keeps its sequence number and template refresh state. */
export class ExportEncoder {
  readonly version: 9 | 10;
  readonly observationDomain: number;
  private readonly bootMs: number;
  private readonly maxPacketBytes: number;
  private readonly templateRefreshPackets: number;
  private readonly layouts: Layout[];
  private readonly templateSetLength: number;
  /** v9: packets sent; IPFIX: data records sent (both modulo 2^32). */
  private sequenceNumber: number;
  private templatesDue = true;
  private packetsSinceTemplates = 0;

  constructor(options: ExportEncoderOptions) {
    this.version = options.version;
    this.observationDomain = options.observationDomain >>> 0;
    this.bootMs = options.bootMs;
    this.maxPacketBytes = options.maxPacketBytes ?? 1400;
    this.templateRefreshPackets = options.templateRefreshPackets ?? 100;
    this.sequenceNumber = (options.initialSequence ?? 0) >>> 0;
    const sgtFields = options.sgtFields ?? (this.version === 9 ? V9_SGT_FIELDS : IPFIX_SGT_FIELDS);
    this.layouts = [
      layoutFor(this.version, false, true, sgtFields),
      layoutFor(this.version, false, false, sgtFields),
      layoutFor(this.version, true, true, sgtFields),
      layoutFor(this.version, true, false, sgtFields),
    ];
    this.templateSetLength = SET_HEADER_LENGTH + this.layouts.reduce((sum, l) => sum + 4 + l.fields.reduce((s, f) => s + (f.enterprise ? 8 : 4), 0), 0);
    const largest = Math.max(...this.layouts.map((l) => l.recordLength));
    const minimum = this.headerLength + this.templateSetLength + SET_HEADER_LENGTH + largest + 3;
    if (this.maxPacketBytes < minimum || this.maxPacketBytes > 65_507) {
      throw new RangeError(`maxPacketBytes must be between ${minimum} (templates and one record) and 65507`);
    }
  }

  /** The templates this encoder announces. */
  get templates(): ReadonlyArray<{ templateId: number; fields: readonly FieldSpec[] }> {
    return this.layouts;
  }

  /** Data records of the most common layout (IPv4, untagged) that fill one packet without templates. */
  get recordsPerPacket(): number {
    return Math.floor((this.maxPacketBytes - this.headerLength - SET_HEADER_LENGTH - 3) / this.layouts[1].recordLength);
  }

  get sequence(): number {
    return this.sequenceNumber;
  }

  /** Sends the templates again with the next packet (called on a timer: the template refresh interval). */
  refreshTemplates(): void {
    this.templatesDue = true;
  }

  private get headerLength(): number {
    return this.version === 9 ? V9_HEADER_LENGTH : IPFIX_HEADER_LENGTH;
  }

  /**
   * Encodes flows into as few packets as fit `maxPacketBytes`, in order, with export time `exportMs` (epoch ms; every
   * flow must have ended by then). With no flows and templates due, returns one packet of templates only.
   */
  encode(flows: readonly SimulatedFlow[], exportMs: number): EncodedBatch {
    const batch: EncodedBatch = { packets: [], records: 0, templatePackets: 0 };
    let i = 0;
    while (i < flows.length || (this.templatesDue && batch.packets.length === 0 && flows.length === 0)) {
      i = this.encodePacket(flows, i, exportMs, batch);
    }
    return batch;
  }

  private encodePacket(flows: readonly SimulatedFlow[], from: number, exportMs: number, batch: EncodedBatch): number {
    const buffer = Buffer.allocUnsafe(this.maxPacketBytes);
    const limit = this.maxPacketBytes;
    const exportSecs = Math.floor(exportMs / 1000);
    // v9 times are relative to sysUptime at export; computed from the header's whole seconds so the collector,
    // which only sees those, reconstructs every millisecond exactly.
    const exportBaseMs = exportSecs * 1000;
    let pos = this.headerLength;
    let count = 0;
    let dataRecords = 0;
    let withTemplates = false;
    if (this.templatesDue) {
      pos = this.writeTemplateSet(buffer, pos);
      count += this.layouts.length;
      this.templatesDue = false;
      this.packetsSinceTemplates = 0;
      withTemplates = true;
    }
    let setStart = -1;
    let setLayout: Layout | null = null;
    let i = from;
    for (; i < flows.length; i++) {
      const flow = flows[i];
      const layout = this.layoutOf(flow);
      const opensSet = layout !== setLayout;
      // Room for the record, a new set header if needed, and the v9 padding of the set that will be closed last.
      const needed = layout.recordLength + (opensSet ? SET_HEADER_LENGTH : 0) + (this.version === 9 ? 3 : 0);
      if (pos + needed > limit) break;
      if (opensSet) {
        if (setLayout) pos = this.closeSet(buffer, setStart, pos);
        setStart = pos;
        buffer.writeUInt16BE(layout.templateId, pos);
        pos += SET_HEADER_LENGTH;
        setLayout = layout;
      }
      pos = this.writeRecord(buffer, pos, flow, layout, exportBaseMs);
      count++;
      dataRecords++;
    }
    if (setLayout) pos = this.closeSet(buffer, setStart, pos);
    this.writeHeader(buffer, pos, count, exportSecs);
    this.sequenceNumber = (this.sequenceNumber + (this.version === 9 ? 1 : dataRecords)) >>> 0;
    if (this.templateRefreshPackets > 0 && ++this.packetsSinceTemplates >= this.templateRefreshPackets) this.templatesDue = true;
    batch.packets.push(buffer.subarray(0, pos));
    batch.records += dataRecords;
    if (withTemplates) batch.templatePackets++;
    return i;
  }

  private layoutOf(flow: SimulatedFlow): Layout {
    const ipv6 = flow.srcAddress.includes(':');
    const sgt = flow.srcSgt !== null || flow.dstSgt !== null;
    return this.layouts[(ipv6 ? 2 : 0) + (sgt ? 0 : 1)];
  }

  private writeHeader(buffer: Buffer, length: number, count: number, exportSecs: number): void {
    if (this.version === 9) {
      buffer.writeUInt16BE(9, 0);
      buffer.writeUInt16BE(count, 2);
      buffer.writeUInt32BE((exportSecs * 1000 - this.bootMs) >>> 0, 4);
      buffer.writeUInt32BE(exportSecs >>> 0, 8);
      buffer.writeUInt32BE(this.sequenceNumber, 12);
      buffer.writeUInt32BE(this.observationDomain, 16);
    } else {
      buffer.writeUInt16BE(10, 0);
      buffer.writeUInt16BE(length, 2);
      buffer.writeUInt32BE(exportSecs >>> 0, 4);
      buffer.writeUInt32BE(this.sequenceNumber, 8);
      buffer.writeUInt32BE(this.observationDomain, 12);
    }
  }

  private writeTemplateSet(buffer: Buffer, start: number): number {
    buffer.writeUInt16BE(this.version === 9 ? 0 : 2, start);
    let pos = start + SET_HEADER_LENGTH;
    for (const layout of this.layouts) {
      buffer.writeUInt16BE(layout.templateId, pos);
      buffer.writeUInt16BE(layout.fields.length, pos + 2);
      pos += 4;
      for (const field of layout.fields) {
        if (field.enterprise !== 0) {
          // RFC 7011 section 3.2: enterprise bit, element id, length, then the private enterprise number.
          buffer.writeUInt16BE(0x8000 | field.id, pos);
          buffer.writeUInt16BE(field.length, pos + 2);
          buffer.writeUInt32BE(field.enterprise >>> 0, pos + 4);
          pos += 8;
        } else {
          buffer.writeUInt16BE(field.id, pos);
          buffer.writeUInt16BE(field.length, pos + 2);
          pos += 4;
        }
      }
    }
    buffer.writeUInt16BE(pos - start, start + 2);
    return pos;
  }

  /** Pads a v9 flowset to a multiple of 4 bytes and writes its length. */
  private closeSet(buffer: Buffer, start: number, end: number): number {
    let pos = end;
    if (this.version === 9) while ((pos - start) % 4 !== 0) buffer[pos++] = 0;
    buffer.writeUInt16BE(pos - start, start + 2);
    return pos;
  }

  private writeRecord(buffer: Buffer, start: number, flow: SimulatedFlow, layout: Layout, exportBaseMs: number): number {
    let pos = start;
    if (layout.ipv6) {
      pos = writeIpv6(buffer, pos, flow.srcAddress);
      pos = writeIpv6(buffer, pos, flow.dstAddress);
    } else {
      pos = writeIpv4(buffer, pos, flow.srcAddress);
      pos = writeIpv4(buffer, pos, flow.dstAddress);
    }
    buffer.writeUInt32BE(flow.inputInterface >>> 0, pos);
    buffer.writeUInt32BE(flow.outputInterface >>> 0, pos + 4);
    pos += 8;
    if (this.version === 9) {
      buffer.writeUInt32BE(Math.min(flow.packets, 0xffffffff) >>> 0, pos);
      pos += 4;
    } else {
      pos = writeUint64(buffer, pos, flow.packets);
    }
    pos = writeUint64(buffer, pos, flow.bytes);
    if (this.version === 9) {
      // sysUptime at the first/last packet: header sysUptime minus how long before the export the packet was seen.
      const uptimeAtExport = exportBaseMs - this.bootMs;
      buffer.writeUInt32BE((uptimeAtExport - (exportBaseMs - flow.startMs)) >>> 0, pos);
      buffer.writeUInt32BE((uptimeAtExport - (exportBaseMs - flow.endMs)) >>> 0, pos + 4);
      pos += 8;
    } else {
      pos = writeUint64(buffer, pos, flow.startMs);
      pos = writeUint64(buffer, pos, flow.endMs);
    }
    buffer.writeUInt16BE(flow.srcPort & 0xffff, pos);
    buffer.writeUInt16BE(flow.dstPort & 0xffff, pos + 2);
    pos += 4;
    if (this.version === 9) {
      buffer[pos++] = flow.tcpFlags & 0xff;
    } else {
      buffer.writeUInt16BE(flow.tcpFlags & 0xffff, pos);
      pos += 2;
    }
    buffer[pos++] = flow.protocol & 0xff;
    pos = writeMac(buffer, pos, flow.srcMac);
    pos = writeMac(buffer, pos, flow.dstMac);
    buffer.writeUInt16BE(flow.srcVlan & 0xffff, pos);
    buffer.writeUInt16BE(flow.dstVlan & 0xffff, pos + 2);
    pos += 4;
    buffer[pos++] = flow.direction & 0xff;
    if (layout.sgt) {
      buffer.writeUInt16BE((flow.srcSgt ?? 0) & 0xffff, pos);
      buffer.writeUInt16BE((flow.dstSgt ?? 0) & 0xffff, pos + 2);
      pos += 4;
    }
    return pos;
  }
}

function writeUint64(buffer: Buffer, pos: number, value: number): number {
  const high = Math.floor(value / TWO_32);
  buffer.writeUInt32BE(high >>> 0, pos);
  buffer.writeUInt32BE((value - high * TWO_32) >>> 0, pos + 4);
  return pos + 8;
}

/** Writes a dotted quad without allocating (this runs for every record). */
function writeIpv4(buffer: Buffer, pos: number, text: string): number {
  let octet = 0;
  let p = pos;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      buffer[p++] = octet;
      octet = 0;
    } else {
      octet = octet * 10 + (c - 48);
    }
  }
  buffer[p] = octet;
  if (p !== pos + 3) throw new RangeError(`not an IPv4 address: ${text}`);
  return pos + 4;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  throw new RangeError(`not a hex digit: ${String.fromCharCode(c)}`);
}

function writeMac(buffer: Buffer, pos: number, text: string): number {
  if (text.length !== 17) throw new RangeError(`not a MAC address: ${text}`);
  for (let i = 0; i < 6; i++) buffer[pos + i] = (hexValue(text.charCodeAt(3 * i)) << 4) | hexValue(text.charCodeAt(3 * i + 1));
  return pos + 6;
}

/** Writes an IPv6 address in text form (with "::" and an optional dotted-quad tail). */
function writeIpv6(buffer: Buffer, pos: number, text: string): number {
  const groups = new Array<number>(8).fill(0);
  let body = text;
  const tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.indexOf('.', lastColon) >= 0) {
    const quad = body.slice(lastColon + 1).split('.').map(Number);
    tail.push((quad[0] << 8) | quad[1], (quad[2] << 8) | quad[3]);
    body = body.slice(0, lastColon + 1) + '0:0';
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const gap = body.indexOf('::');
  if (gap >= 0) {
    const head = parse(body.slice(0, gap));
    const rest = parse(body.slice(gap + 2));
    head.forEach((g, i) => (groups[i] = g));
    rest.forEach((g, i) => (groups[8 - rest.length + i] = g));
  } else {
    const all = parse(body);
    if (all.length !== 8) throw new RangeError(`not an IPv6 address: ${text}`);
    all.forEach((g, i) => (groups[i] = g));
  }
  if (tail.length === 2) {
    groups[6] = tail[0];
    groups[7] = tail[1];
  }
  for (let i = 0; i < 8; i++) {
    if (!(groups[i] >= 0 && groups[i] <= 0xffff)) throw new RangeError(`not an IPv6 address: ${text}`);
    buffer.writeUInt16BE(groups[i], pos + 2 * i);
  }
  return pos + 16;
}
