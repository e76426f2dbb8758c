// A small, dependency-free reader for packet captures, enough to replay NetFlow/IPFIX exports in tests and tools:
// classic pcap (both byte orders, micro- and nanosecond timestamps) and pcapng (section header, interface
// description, enhanced/simple/obsolete packet blocks); link types Ethernet (with 802.1Q/QinQ tags), Linux cooked
// (SLL, SLL2), BSD loopback and raw IP; IPv4 and IPv6 (skipping extension headers); UDP.
// Fragmented IP datagrams are skipped: export packets are sized to fit one datagram.
import { formatIpv4, formatIpv6 } from '@clarion/netflow';

export interface CapturedFrame {
  /** Capture timestamp, epoch milliseconds (fractional when the capture is finer). */
  timestampMs: number;
  /** pcap LINKTYPE_* value of the interface the frame was captured on. */
  linkType: number;
  data: Uint8Array;
}

export interface UdpDatagram {
  timestampMs: number;
  srcAddress: string;
  dstAddress: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export class PcapFormatError extends Error {
  override readonly name = 'PcapFormatError';
}

const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
const PCAP_MAGIC_NANO = 0xa1b23c4d;
const PCAPNG_SECTION_HEADER = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Reads every frame of a classic pcap or pcapng capture. Throws PcapFormatError on a file it cannot parse. */
export function readCapture(file: Uint8Array): CapturedFrame[] {
  if (file.length < 4) throw new PcapFormatError('file too short');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magicBig = view.getUint32(0, false);
  if (magicBig === PCAPNG_SECTION_HEADER) return readPcapng(file, view);
  return readClassicPcap(file, view);
}

function readClassicPcap(file: Uint8Array, view: DataView): CapturedFrame[] {
  if (file.length < 24) throw new PcapFormatError('pcap header truncated');
  let little: boolean;
  const magic = view.getUint32(0, true);
  if (magic === PCAP_MAGIC_MICRO || magic === PCAP_MAGIC_NANO) little = true;
  else if (view.getUint32(0, false) === PCAP_MAGIC_MICRO || view.getUint32(0, false) === PCAP_MAGIC_NANO) little = false;
  else throw new PcapFormatError('not a pcap or pcapng file');
  const nano = view.getUint32(0, little) === PCAP_MAGIC_NANO;
  const linkType = view.getUint32(20, little) & 0x0fff_ffff;
  const frames: CapturedFrame[] = [];
  let p = 24;
  while (file.length - p >= 16) {
    const seconds = view.getUint32(p, little);
    const fraction = view.getUint32(p + 4, little);
    const captured = view.getUint32(p + 8, little);
    p += 16;
    if (captured > file.length - p) throw new PcapFormatError(`frame at ${p - 16} truncated`);
    const timestampMs = seconds * 1000 + (nano ? fraction / 1e6 : fraction / 1e3);
    frames.push({ timestampMs, linkType, data: file.subarray(p, p + captured) });
    p += captured;
  }
  return frames;
}

interface PcapngInterface {
  linkType: number;
  snapLength: number;
  /** Seconds per timestamp unit. */
  unit: number;
}

function readPcapng(file: Uint8Array, view: DataView): CapturedFrame[] {
  const frames: CapturedFrame[] = [];
  let interfaces: PcapngInterface[] = [];
  let little = true;
  let p = 0;
  while (file.length - p >= 12) {
    const typeBig = view.getUint32(p, false);
    if (typeBig === PCAPNG_SECTION_HEADER) {
      // The byte-order magic decides the endianness of this whole section.
      const bom = view.getUint32(p + 8, true);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) little = true;
      else if (view.getUint32(p + 8, false) === PCAPNG_BYTE_ORDER_MAGIC) little = false;
      else throw new PcapFormatError(`bad byte-order magic at ${p}`);
      interfaces = [];
    }
    const type = view.getUint32(p, little);
    const length = view.getUint32(p + 4, little);
    if (length < 12 || length % 4 !== 0 || length > file.length - p) throw new PcapFormatError(`bad block length at ${p}`);
    const body = p + 8;
    const bodyEnd = p + length - 4;
    if (type === 1 && bodyEnd - body >= 8) {
      interfaces.push({
        linkType: view.getUint16(body, little),
        snapLength: view.getUint32(body + 4, little),
        unit: interfaceUnit(view, body + 8, bodyEnd, little),
      });
    } else if (type === 6 && bodyEnd - body >= 20) {
      const iface = interfaces[view.getUint32(body, little)];
      const captured = view.getUint32(body + 12, little);
      if (iface !== undefined && captured <= bodyEnd - body - 20) {
        const ticks = view.getUint32(body + 4, little) * 4294967296 + view.getUint32(body + 8, little);
        frames.push({
          timestampMs: ticks * iface.unit * 1000,
          linkType: iface.linkType,
          data: file.subarray(body + 20, body + 20 + captured),
        });
      }
    } else if (type === 3 && bodyEnd - body >= 4) {
      const iface = interfaces[0];
      if (iface !== undefined) {
        const original = view.getUint32(body, little);
        const captured = Math.min(original, iface.snapLength || original, bodyEnd - body - 4);
        frames.push({ timestampMs: 0, linkType: iface.linkType, data: file.subarray(body + 4, body + 4 + captured) });
      }
    } else if (type === 2 && bodyEnd - body >= 20) {
      const iface = interfaces[view.getUint16(body, little)];
      const captured = view.getUint32(body + 12, little);
      if (iface !== undefined && captured <= bodyEnd - body - 20) {
        const ticks = view.getUint32(body + 4, little) * 4294967296 + view.getUint32(body + 8, little);
        frames.push({
          timestampMs: ticks * iface.unit * 1000,
          linkType: iface.linkType,
          data: file.subarray(body + 20, body + 20 + captured),
        });
      }
    }
    p += length;
  }
  return frames;
}

/** if_tsresol (option 9): high bit clear = 10^-n seconds, set = 2^-n seconds; default microseconds. */
function interfaceUnit(view: DataView, start: number, end: number, little: boolean): number {
  let p = start;
  while (end - p >= 4) {
    const code = view.getUint16(p, little);
    const length = view.getUint16(p + 2, little);
    if (code === 0) break;
    if (code === 9 && length >= 1 && p + 4 < end) {
      const resolution = view.getUint8(p + 4);
      return resolution & 0x80 ? 2 ** -(resolution & 0x7f) : 10 ** -resolution;
    }
    p += 4 + Math.ceil(length / 4) * 4;
  }
  return 1e-6;
}

/** The UDP datagram inside a captured frame, or undefined for anything else (ARP, TCP, fragments, ...). */
export function udpDatagramOf(frame: CapturedFrame): UdpDatagram | undefined {
  const data = frame.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let etherType: number;
  let p: number;
  switch (frame.linkType) {
    case LinkType.ETHERNET: {
      if (data.length < 14) return undefined;
      p = 12;
      etherType = view.getUint16(p);
      p += 2;
      // 802.1Q, 802.1ad and the old QinQ tag: 4 bytes each, possibly stacked.
      while ((etherType === 0x8100 || etherType === 0x88a8 || etherType === 0x9100) && data.length - p >= 4) {
        etherType = view.getUint16(p + 2);
        p += 4;
      }
      break;
    }
    case LinkType.LINUX_SLL:
      if (data.length < 16) return undefined;
      etherType = view.getUint16(14);
      p = 16;
      break;
    case LinkType.LINUX_SLL2:
      if (data.length < 20) return undefined;
      etherType = view.getUint16(0);
      p = 20;
      break;
    case LinkType.NULL: {
      if (data.length < 4) return undefined;
      // Address family in host byte order of the capturing machine: 2 = IPv4; 24, 28, 30 = IPv6 (BSDs, macOS).
      const family = view.getUint32(0, true) > 0xffff ? view.getUint32(0, false) : view.getUint32(0, true);
      etherType = family === 2 ? 0x0800 : 0x86dd;
      p = 4;
      break;
    }
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6:
      if (data.length < 1) return undefined;
      etherType = data[0] >> 4 === 6 ? 0x86dd : 0x0800;
      p = 0;
      break;
    default:
      return undefined;
  }
  if (etherType === 0x0800) return ipv4Udp(data, view, p, frame.timestampMs);
  if (etherType === 0x86dd) return ipv6Udp(data, view, p, frame.timestampMs);
  return undefined;
}

function ipv4Udp(data: Uint8Array, view: DataView, p: number, timestampMs: number): UdpDatagram | undefined {
  if (data.length - p < 20 || data[p] >> 4 !== 4) return undefined;
  const headerLength = (data[p] & 0x0f) * 4;
  const totalLength = view.getUint16(p + 2);
  const fragment = view.getUint16(p + 6);
  if ((fragment & 0x3fff) !== 0) return undefined; // more-fragments flag or a non-zero offset
  if (data[p + 9] !== 17 || headerLength < 20) return undefined;
  const end = Math.min(data.length, p + totalLength);
  return udp(data, view, p + headerLength, end, formatIpv4(data, p + 12), formatIpv4(data, p + 16), timestampMs);
}

function ipv6Udp(data: Uint8Array, view: DataView, p: number, timestampMs: number): UdpDatagram | undefined {
  if (data.length - p < 40 || data[p] >> 4 !== 6) return undefined;
  const end = Math.min(data.length, p + 40 + view.getUint16(p + 4));
  const src = formatIpv6(data, p + 8);
  const dst = formatIpv6(data, p + 24);
  let next = data[p + 6];
  let q = p + 40;
  // Hop-by-hop (0), routing (43), destination options (60): skip by their length; fragment (44): give up.
  while (next === 0 || next === 43 || next === 60) {
    if (end - q < 8) return undefined;
    const length = (data[q + 1] + 1) * 8;
    next = data[q];
    q += length;
  }
  if (next !== 17) return undefined;
  return udp(data, view, q, end, src, dst, timestampMs);
}

function udp(
  data: Uint8Array,
  view: DataView,
  p: number,
  end: number,
  srcAddress: string,
  dstAddress: string,
  timestampMs: number,
): UdpDatagram | undefined {
  if (end - p < 8) return undefined;
  const length = view.getUint16(p + 4);
  const payloadEnd = Math.min(end, p + Math.max(8, length));
  return {
    timestampMs,
    srcAddress,
    dstAddress,
    srcPort: view.getUint16(p),
    dstPort: view.getUint16(p + 2),
    payload: data.subarray(p + 8, payloadEnd),
  };
}

/** Every UDP datagram of a capture, in capture order. */
export function readUdpDatagrams(file: Uint8Array): UdpDatagram[] {
  const datagrams: UdpDatagram[] = [];
  for (const frame of readCapture(file)) {
    const datagram = udpDatagramOf(frame);
    if (datagram !== undefined) datagrams.push(datagram);
  }
  return datagrams;
}
