// Writes classic pcap files (microsecond, little-endian) of Ethernet frames carrying IPv4/IPv6 with UDP or TCP, for
// tests that need a capture of known traffic (feeding softflowd/pmacctd with `-r`, or testing the reader).
import { ipv4Bytes, ipv6Bytes } from '../../libs/netflow/src/testing/packet-builders';
import { LinkType } from './pcap-reader';

export interface FrameToWrite {
  timestampMs: number;
  data: Uint8Array;
}

/** A classic pcap file (magic a1b2c3d4, version 2.4, microsecond timestamps). */
export function writePcap(frames: readonly FrameToWrite[], linkType: number = LinkType.ETHERNET, snapLength = 262_144): Uint8Array {
  const size = 24 + frames.reduce((sum, f) => sum + 16 + f.data.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, snapLength, true);
  view.setUint32(20, linkType, true);
  let p = 24;
  for (const frame of frames) {
    const micros = Math.round(frame.timestampMs * 1000);
    view.setUint32(p, Math.floor(micros / 1e6), true);
    view.setUint32(p + 4, micros % 1e6, true);
    view.setUint32(p + 8, frame.data.length, true);
    view.setUint32(p + 12, frame.data.length, true);
    out.set(frame.data, p + 16);
    p += 16 + frame.data.length;
  }
  return out;
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
};

/** RFC 1071 ones' complement sum over the given byte arrays. */
function internetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      if (odd === undefined) odd = part[i];
      else {
        sum += (odd << 8) | part[i];
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Layer4 {
  protocol: 6 | 17;
  /** Header and payload, checksum field zero. */
  segment: Uint8Array;
  /** Offset of the checksum field inside `segment`. */
  checksumOffset: number;
}

export function udp(srcPort: number, dstPort: number, payload: Uint8Array): Layer4 {
  const segment = new Uint8Array(8 + payload.length);
  const view = new DataView(segment.buffer);
  view.setUint16(0, srcPort);
  view.setUint16(2, dstPort);
  view.setUint16(4, segment.length);
  segment.set(payload, 8);
  return { protocol: 17, segment, checksumOffset: 6 };
}

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export function tcp(srcPort: number, dstPort: number, seq: number, ack: number, flags: number, payload = new Uint8Array(0)): Layer4 {
  const segment = new Uint8Array(20 + payload.length);
  const view = new DataView(segment.buffer);
  view.setUint16(0, srcPort);
  view.setUint16(2, dstPort);
  view.setUint32(4, seq >>> 0);
  view.setUint32(8, ack >>> 0);
  segment[12] = 5 << 4;
  segment[13] = flags;
  view.setUint16(14, 65_535);
  segment.set(payload, 20);
  return { protocol: 6, segment, checksumOffset: 16 };
}

/** An IPv4 packet (20-byte header, DF, TTL 64) around a UDP/TCP segment, checksums computed. */
export function ipv4(src: string, dst: string, l4: Layer4, identification = 0): Uint8Array {
  const header = new Uint8Array(20);
  const view = new DataView(header.buffer);
  header[0] = 0x45;
  view.setUint16(2, 20 + l4.segment.length);
  view.setUint16(4, identification);
  view.setUint16(6, 0x4000);
  header[8] = 64;
  header[9] = l4.protocol;
  header.set(ipv4Bytes(src), 12);
  header.set(ipv4Bytes(dst), 16);
  view.setUint16(10, internetChecksum(header));
  const segment = l4.segment.slice();
  const pseudo = new Uint8Array(12);
  pseudo.set(header.subarray(12, 20), 0);
  pseudo[9] = l4.protocol;
  new DataView(pseudo.buffer).setUint16(10, segment.length);
  const checksum = internetChecksum(pseudo, segment);
  new DataView(segment.buffer).setUint16(l4.checksumOffset, l4.protocol === 17 && checksum === 0 ? 0xffff : checksum);
  return concat(header, segment);
}

/** An IPv6 packet (hop limit 64) around a UDP/TCP segment, checksum computed. */
export function ipv6(src: string, dst: string, l4: Layer4): Uint8Array {
  const header = new Uint8Array(40);
  const view = new DataView(header.buffer);
  header[0] = 0x60;
  view.setUint16(4, l4.segment.length);
  header[6] = l4.protocol;
  header[7] = 64;
  header.set(ipv6Bytes(src), 8);
  header.set(ipv6Bytes(dst), 24);
  const segment = l4.segment.slice();
  const pseudo = new Uint8Array(40);
  pseudo.set(header.subarray(8, 40), 0);
  new DataView(pseudo.buffer).setUint32(32, segment.length);
  pseudo[39] = l4.protocol;
  const checksum = internetChecksum(pseudo, segment);
  new DataView(segment.buffer).setUint16(l4.checksumOffset, l4.protocol === 17 && checksum === 0 ? 0xffff : checksum);
  return concat(header, segment);
}

/** An Ethernet II frame around an IP packet (EtherType from the IP version nibble), optionally 802.1Q-tagged. */
export function ethernet(ip: Uint8Array, options: { srcMac?: string; dstMac?: string; vlan?: number } = {}): Uint8Array {
  const mac = (text: string): Uint8Array => Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
  const etherType = ip[0] >> 4 === 6 ? 0x86dd : 0x0800;
  const tag = options.vlan === undefined ? new Uint8Array(0) : Uint8Array.from([0x81, 0x00, (options.vlan >> 8) & 0x0f, options.vlan & 0xff]);
  return concat(
    mac(options.dstMac ?? '02:00:00:00:00:02'),
    mac(options.srcMac ?? '02:00:00:00:00:01'),
    tag,
    Uint8Array.from([etherType >> 8, etherType & 0xff]),
    ip,
  );
}
