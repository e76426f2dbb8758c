import { ipv4Text, ipv6Text, macText } from './address-format';
import { SflowHeaderProtocol } from './sflow-format';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** 802.1Q customer tag, 802.1ad service tag, and the pre-standard QinQ tag some switches still send. */
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_LEGACY = 0x9100;
/** At most this many stacked VLAN tags are walked; the outermost one is the flow's VLAN. */
const MAX_VLAN_TAGS = 2;
/** IPv6 extension headers walked before the transport header (RFC 8200 section 4.1 lists fewer in any sane packet). */
const MAX_IPV6_EXTENSION_HEADERS = 8;

const PROTOCOL_ICMP = 1;
const PROTOCOL_TCP = 6;
const PROTOCOL_UDP = 17;
const PROTOCOL_ICMPV6 = 58;
const PROTOCOL_SCTP = 132;
const PROTOCOL_UDPLITE = 136;

/**
 * What the first bytes of a sampled packet say, filled by `parseSampledHeader`. One instance is reused for every
 * sample (the decoder copies the values into the flow record), so parsing allocates nothing but address text.
 * Fields the header does not reach keep their reset values: a header cut short by the agent (its header length),
 * a non-first fragment (no ports) or a protocol this parser does not know all leave them unset.
 */
export class SampledPacket {
  srcAddress: string | null = null;
  dstAddress: string | null = null;
  srcPort = 0;
  dstPort = 0;
  protocol = 0;
  tcpFlags = 0;
  srcMac: string | null = null;
  dstMac: string | null = null;
  /** VLAN id of the outermost 802.1Q/802.1ad tag; null when untagged. */
  vlan: number | null = null;

  reset(): void {
    this.srcAddress = null;
    this.dstAddress = null;
    this.srcPort = 0;
    this.dstPort = 0;
    this.protocol = 0;
    this.tcpFlags = 0;
    this.srcMac = null;
    this.dstMac = null;
    this.vlan = null;
  }
}

/**
 * Parses the sampled header bytes `[start, end)` of a `sampled_header` record of `headerProtocol` into `out` (which the
 * caller has reset). Every read is checked against `end`; nothing here throws or reads past it.
 */
export function parseSampledHeader(bytes: Uint8Array, start: number, end: number, headerProtocol: number, out: SampledPacket): void {
  if (headerProtocol === SflowHeaderProtocol.ETHERNET) parseEthernet(bytes, start, end, out);
  else if (headerProtocol === SflowHeaderProtocol.IPV4) parseIpv4(bytes, start, end, out);
  else if (headerProtocol === SflowHeaderProtocol.IPV6) parseIpv6(bytes, start, end, out);
}

const u16 = (bytes: Uint8Array, p: number): number => (bytes[p] << 8) | bytes[p + 1];

/** Ethernet II (destination MAC, source MAC, EtherType), with up to two VLAN tags. 802.3/LLC frames give MACs only. */
function parseEthernet(bytes: Uint8Array, start: number, end: number, out: SampledPacket): void {
  if (end - start < 14) return;
  out.dstMac = macText(bytes, start);
  out.srcMac = macText(bytes, start + 6);
  let p = start + 12;
  let etherType = u16(bytes, p);
  for (let tags = 0; tags < MAX_VLAN_TAGS && (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_LEGACY); tags++) {
    // Tag: 2 bytes TPID (already read), 2 bytes priority/DEI/VLAN id, then the next EtherType.
    if (end - p < 6) return;
    if (tags === 0) out.vlan = u16(bytes, p + 2) & 0x0fff;
    p += 4;
    etherType = u16(bytes, p);
  }
  p += 2;
  if (etherType === ETHERTYPE_IPV4) parseIpv4(bytes, p, end, out);
  else if (etherType === ETHERTYPE_IPV6) parseIpv6(bytes, p, end, out);
}

function parseIpv4(bytes: Uint8Array, p: number, end: number, out: SampledPacket): void {
  if (end - p < 20 || bytes[p] >> 4 !== 4) return;
  const headerLength = (bytes[p] & 0x0f) * 4;
  if (headerLength < 20) return;
  out.protocol = bytes[p + 9];
  out.srcAddress = ipv4Text(bytes, p + 12);
  out.dstAddress = ipv4Text(bytes, p + 16);
  // RFC 791: only the first fragment (offset 0) carries the transport header.
  if ((u16(bytes, p + 6) & 0x1fff) !== 0) return;
  parseTransport(bytes, p + headerLength, end, out.protocol, out);
}

function parseIpv6(bytes: Uint8Array, p: number, end: number, out: SampledPacket): void {
  if (end - p < 40 || bytes[p] >> 4 !== 6) return;
  out.srcAddress = ipv6Text(bytes, p + 8);
  out.dstAddress = ipv6Text(bytes, p + 24);
  let next = bytes[p + 6];
  let q = p + 40;
  // RFC 8200 section 4: hop-by-hop (0), routing (43), destination options (60) and AH (51, RFC 4302) are skipped by
  // their length; a fragment header (44) with a non-zero offset means no transport header follows.
  for (let i = 0; i < MAX_IPV6_EXTENSION_HEADERS; i++) {
    if (next === 0 || next === 43 || next === 60) {
      if (end - q < 2) break;
      const following = bytes[q];
      q += (bytes[q + 1] + 1) * 8;
      next = following;
    } else if (next === 51) {
      if (end - q < 2) break;
      const following = bytes[q];
      q += (bytes[q + 1] + 2) * 4;
      next = following;
    } else if (next === 44) {
      if (end - q < 8) break;
      const following = bytes[q];
      const offset = u16(bytes, q + 2) >> 3;
      q += 8;
      next = following;
      if (offset !== 0) {
        out.protocol = next;
        return;
      }
    } else {
      break;
    }
  }
  out.protocol = next;
  parseTransport(bytes, q, end, next, out);
}

/** Ports, TCP flags, or ICMP type and code as NetFlow exporters report them (destination port = type << 8 | code). */
function parseTransport(bytes: Uint8Array, q: number, end: number, protocol: number, out: SampledPacket): void {
  if (q > end) return;
  const left = end - q;
  if (protocol === PROTOCOL_TCP) {
    if (left < 4) return;
    out.srcPort = u16(bytes, q);
    out.dstPort = u16(bytes, q + 2);
    if (left >= 14) out.tcpFlags = bytes[q + 13];
  } else if (protocol === PROTOCOL_UDP || protocol === PROTOCOL_SCTP || protocol === PROTOCOL_UDPLITE) {
    if (left < 4) return;
    out.srcPort = u16(bytes, q);
    out.dstPort = u16(bytes, q + 2);
  } else if (protocol === PROTOCOL_ICMP || protocol === PROTOCOL_ICMPV6) {
    if (left < 2) return;
    out.dstPort = (bytes[q] << 8) | bytes[q + 1];
  }
}
