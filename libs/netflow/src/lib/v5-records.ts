import { ipv4Text } from './address-format';
import type { FlowRecord } from './flow-record';
import type { RecordContext } from './record-context';

export const V5_HEADER_LENGTH = 24;
export const V5_RECORD_LENGTH = 48;
/** Cisco's v5 format caps a datagram at 30 records. */
export const V5_MAX_RECORDS = 30;

/**
 * Decodes `count` v5 flow records following the 24-byte header. Record layout (48 bytes): srcaddr 0, dstaddr 4,
 * nexthop 8, input 12 (16-bit ifIndex), output 14, dPkts 16, dOctets 20, First 24, Last 28 (sysUptime ms), srcport
 * 32, dstport 34, pad 36, tcp_flags 37, prot 38, tos 39, src_as 40, dst_as 42, masks 44/45, pad 46.
 * The caller has checked that `count` records fit in `bytes`.
 */
export function decodeV5Records(
  bytes: Uint8Array,
  view: DataView,
  count: number,
  ctx: RecordContext,
  out: FlowRecord[],
): number {
  const exporter = ctx.exporter;
  const observationDomain = ctx.observationDomain;
  const exportMs = ctx.exportMs;
  const uptime = ctx.sysUptimeMs;
  const rate = ctx.samplingRate;
  const tolerance = ctx.futureToleranceMs;
  for (let i = 0; i < count; i++) {
    const o = V5_HEADER_LENGTH + i * V5_RECORD_LENGTH;
    const rawPackets = view.getUint32(o + 16);
    const rawBytes = view.getUint32(o + 20);
    // sysUptime-relative: a signed 32-bit difference so that the uptime counter wrapping is harmless.
    let startMs = exportMs - ((uptime - view.getUint32(o + 24)) | 0);
    let endMs = exportMs - ((uptime - view.getUint32(o + 28)) | 0);
    if (endMs > exportMs + tolerance) {
      startMs -= endMs - exportMs;
      endMs = exportMs;
    }
    out.push({
      exporter,
      observationDomain,
      version: 5,
      templateId: 0,
      srcAddress: ipv4Text(bytes, o),
      dstAddress: ipv4Text(bytes, o + 4),
      srcPort: view.getUint16(o + 32),
      dstPort: view.getUint16(o + 34),
      protocol: bytes[o + 38],
      tcpFlags: bytes[o + 37],
      bytes: rawBytes * rate,
      packets: rawPackets * rate,
      rawBytes,
      rawPackets,
      samplingRate: rate,
      startMs,
      endMs,
      inputInterface: view.getUint16(o + 12),
      outputInterface: view.getUint16(o + 14),
      srcMac: null,
      dstMac: null,
      srcVlan: null,
      dstVlan: null,
      direction: null,
      srcSgt: null,
      dstSgt: null,
      fromHeldData: false,
    });
  }
  return count;
}
