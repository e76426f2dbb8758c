import { formatIpv4, formatIpv6, formatMac } from '@clarion/netflow';
import { Ipv6Bytes, writeIpv4, writeMac } from './address-bytes';

/**
 * The payload of `clarion.flows.batch.v1`: the flows of one batch ingest committed to PostgreSQL, in a compact binary
 * encoding, with the fields clustering needs to build endpoint profiles and the policy matrix (addresses, MACs, ports,
 * protocol, TCP flags, bytes, packets, times, TrustSec tags). A batch larger than a NATS message is split into parts;
 * each part is self-contained and carries `part`/`parts`. The JetStream message id is `flowBatchMessageId(batch, part)`,
 * so a batch published twice (a replay from ingest's spool) is dropped by JetStream's duplicate window.
 *
 * Addresses travel as bytes, not text: encoding then costs ingest a few byte copies per flow (it runs for every flow
 * on the collector's main thread), and the consumer formats them with @clarion/netflow's memoised formatters.
 *
 * Layout (little-endian):
 *   0  'CFB1'  magic and format version
 *   4  u32 reserved (0)
 *   8  16 bytes batch id (UUID)
 *  24  16 bytes tenant id (UUID)
 *  40  u16 part, u16 parts
 *  44  u32 flow count
 *  48  f64 sealedAtMs
 *  56  flows, 92 bytes each:
 *        0 u8 presence: 1 src address, 2 src is IPv6, 4 dst address, 8 dst is IPv6, 16 src MAC, 32 dst MAC
 *        1 u8 protocol, 2 u16 tcpFlags, 4 u16 srcPort, 6 u16 dstPort
 *        8 16 bytes src address (IPv4 in the first 4), 24 16 bytes dst address
 *       40 6 bytes src MAC, 46 6 bytes dst MAC
 *       52 i32 srcSgt, 56 i32 dstSgt (-1 = none)
 *       60 f64 bytes, 68 f64 packets, 76 f64 startMs, 84 f64 endMs
 */

/** One flow of a batch event (structurally a subset of @clarion/netflow's FlowRecord). */
export interface FlowBatchFlow {
  srcAddress: string | null;
  dstAddress: string | null;
  srcMac: string | null;
  dstMac: string | null;
  srcPort: number;
  dstPort: number;
  protocol: number;
  tcpFlags: number;
  /** Already scaled by the sampling rate. */
  bytes: number;
  packets: number;
  startMs: number;
  endMs: number;
  srcSgt: number | null;
  dstSgt: number | null;
}

export interface FlowBatchEvent {
  batchId: string;
  tenantId: string;
  part: number;
  parts: number;
  /** When ingest closed the batch (epoch ms); the event is published only after the batch's rows are committed. */
  sealedAtMs: number;
  flows: FlowBatchFlow[];
}

export const FLOW_BATCH_CONTENT_TYPE = 'application/vnd.clarion.flow-batch.v1';

const MAGIC = 0x31424643; // 'CFB1' read as a little-endian u32
const HEADER_BYTES = 56;
const FLOW_BYTES = 92;
const SRC = 1;
const SRC_V6 = 2;
const DST = 4;
const DST_V6 = 8;
const SRC_MAC = 16;
const DST_MAC = 32;

export class FlowBatchFormatError extends Error {
  override readonly name = 'FlowBatchFormatError';
}

export function flowBatchMessageId(batchId: string, part: number): string {
  return `${batchId}.${part}`;
}

function uuidBytes(uuid: string, out: Uint8Array, at: number): void {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new FlowBatchFormatError(`not a UUID: ${uuid}`);
  for (let i = 0; i < 16; i++) out[at + i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
}

function uuidText(bytes: Uint8Array, at: number): string {
  let hex = '';
  for (let i = 0; i < 16; i++) hex += bytes[at + i].toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Encodes batches; keeps a bounded memo of IPv6 addresses across batches, so use one per producer. */
export class FlowBatchEncoder {
  private readonly ipv6 = new Ipv6Bytes();

  /**
   * The flows of one batch as one or more parts of at most `maxPartBytes` each (at least one flow per part). Never
   * returns an empty array: a batch without flows is one part without flows.
   */
  encode(meta: { batchId: string; tenantId: string; sealedAtMs: number }, flows: readonly FlowBatchFlow[], maxPartBytes = 512 * 1024): Uint8Array[] {
    const perPart = Math.max(1, Math.floor((maxPartBytes - HEADER_BYTES) / FLOW_BYTES));
    const partCount = Math.max(1, Math.ceil(flows.length / perPart));
    if (partCount > 0xffff) throw new FlowBatchFormatError('batch too large for 65535 parts');
    const parts: Uint8Array[] = [];
    for (let part = 0; part < partCount; part++) {
      const from = part * perPart;
      const to = Math.min(flows.length, from + perPart);
      const out = new Uint8Array(HEADER_BYTES + (to - from) * FLOW_BYTES);
      const view = new DataView(out.buffer);
      view.setUint32(0, MAGIC, true);
      uuidBytes(meta.batchId, out, 8);
      uuidBytes(meta.tenantId, out, 24);
      view.setUint16(40, part, true);
      view.setUint16(42, partCount, true);
      view.setUint32(44, to - from, true);
      view.setFloat64(48, meta.sealedAtMs, true);
      let p = HEADER_BYTES;
      for (let i = from; i < to; i++) {
        const f = flows[i];
        let presence = 0;
        presence |= this.address(out, p + 8, f.srcAddress, SRC, SRC_V6);
        presence |= this.address(out, p + 24, f.dstAddress, DST, DST_V6);
        if (f.srcMac !== null && writeMac(out, p + 40, f.srcMac)) presence |= SRC_MAC;
        if (f.dstMac !== null && writeMac(out, p + 46, f.dstMac)) presence |= DST_MAC;
        out[p] = presence;
        out[p + 1] = f.protocol;
        view.setUint16(p + 2, f.tcpFlags, true);
        view.setUint16(p + 4, f.srcPort, true);
        view.setUint16(p + 6, f.dstPort, true);
        view.setInt32(p + 52, f.srcSgt ?? -1, true);
        view.setInt32(p + 56, f.dstSgt ?? -1, true);
        view.setFloat64(p + 60, f.bytes, true);
        view.setFloat64(p + 68, f.packets, true);
        view.setFloat64(p + 76, f.startMs, true);
        view.setFloat64(p + 84, f.endMs, true);
        p += FLOW_BYTES;
      }
      parts.push(out);
    }
    return parts;
  }

  private address(out: Uint8Array, at: number, text: string | null, present: number, v6: number): number {
    if (text === null) return 0;
    if (writeIpv4(out, at, text)) return present;
    const bytes = this.ipv6.of(text);
    if (bytes === null) return 0;
    out.set(bytes, at);
    return present | v6;
  }
}

const defaultEncoder = new FlowBatchEncoder();

/** `new FlowBatchEncoder().encode(...)` with a shared encoder. */
export function encodeFlowBatchParts(
  meta: { batchId: string; tenantId: string; sealedAtMs: number },
  flows: readonly FlowBatchFlow[],
  maxPartBytes = 512 * 1024,
): Uint8Array[] {
  return defaultEncoder.encode(meta, flows, maxPartBytes);
}

/** Decodes one part. Throws FlowBatchFormatError on anything that is not a well-formed part. */
export function decodeFlowBatch(payload: Uint8Array): FlowBatchEvent {
  if (payload.length < HEADER_BYTES) throw new FlowBatchFormatError('flow batch truncated');
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new FlowBatchFormatError('not a flow batch (bad magic)');
  const count = view.getUint32(44, true);
  if (payload.length !== HEADER_BYTES + count * FLOW_BYTES) throw new FlowBatchFormatError('flow records truncated or trailing bytes');
  const flows: FlowBatchFlow[] = new Array(count);
  let p = HEADER_BYTES;
  for (let k = 0; k < count; k++) {
    const presence = payload[p];
    const srcSgt = view.getInt32(p + 52, true);
    const dstSgt = view.getInt32(p + 56, true);
    flows[k] = {
      srcAddress: presence & SRC ? (presence & SRC_V6 ? formatIpv6(payload, p + 8) : formatIpv4(payload, p + 8)) : null,
      dstAddress: presence & DST ? (presence & DST_V6 ? formatIpv6(payload, p + 24) : formatIpv4(payload, p + 24)) : null,
      srcMac: presence & SRC_MAC ? formatMac(payload, p + 40) : null,
      dstMac: presence & DST_MAC ? formatMac(payload, p + 46) : null,
      srcPort: view.getUint16(p + 4, true),
      dstPort: view.getUint16(p + 6, true),
      protocol: payload[p + 1],
      tcpFlags: view.getUint16(p + 2, true),
      bytes: view.getFloat64(p + 60, true),
      packets: view.getFloat64(p + 68, true),
      startMs: view.getFloat64(p + 76, true),
      endMs: view.getFloat64(p + 84, true),
      srcSgt: srcSgt < 0 ? null : srcSgt,
      dstSgt: dstSgt < 0 ? null : dstSgt,
    };
    p += FLOW_BYTES;
  }
  return {
    batchId: uuidText(payload, 8),
    tenantId: uuidText(payload, 24),
    part: view.getUint16(40, true),
    parts: view.getUint16(42, true),
    sealedAtMs: view.getFloat64(48, true),
    flows,
  };
}
