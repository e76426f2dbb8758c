import type { FlowRecord } from '@clarion/netflow';
import { Ipv6Bytes, parseIpv6, writeIpv4, writeMac } from '@clarion/contracts';
import { FLOW_COPY_COLUMNS } from '../data';

/**
 * Encodes flow records as PostgreSQL binary COPY data (https://www.postgresql.org/docs/current/sql-copy.html, "Binary
 * Format") in the column order of FLOW_COPY_COLUMNS. Binary rather than text because the server then parses no
 * timestamps or addresses: on this machine it took about 1.7 times as many rows per second as the text format, and the
 * encoder itself is cheaper (no date formatting, no escaping).
 */

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]; // "PGCOPY\n\377\r\n\0"
const HEADER_BYTES = 19;
const FIELD_COUNT = FLOW_COPY_COLUMNS.length;
/** Upper bound of one encoded row: 2-byte field count, 4-byte length per field, widest values (IPv6, int8). */
const MAX_ROW_BYTES = 2 + FIELD_COUNT * 4 + 16 + 8 + 8 + 20 + 8 + 2 + 20 + 20 + 4 + 4 + 2 + 4 + 8 + 8 + 4 + 8 + 8 + 6 + 6 + 4 + 4 + 2 + 4 + 4;
/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01T00:00:00Z). */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 4_294_967_296;
/** PostgreSQL's inet family codes (PGSQL_AF_INET, PGSQL_AF_INET6), not the operating system's. */
const PGSQL_AF_INET = 2;
const PGSQL_AF_INET6 = 3;

export class FlowCopyEncodingError extends Error {
  override readonly name = 'FlowCopyEncodingError';
}

/** Bytes of an address as an inet field (length prefix included), or undefined when the text is not an address. */
export function inetField(address: string): Uint8Array | undefined {
  const v4 = new Uint8Array(12);
  if (writeIpv4(v4, 8, address)) {
    v4.set([0, 0, 0, 8, PGSQL_AF_INET, 32, 0, 4]);
    return v4;
  }
  const v6 = parseIpv6(address);
  if (v6 === undefined) return undefined;
  const out = new Uint8Array(24);
  out.set([0, 0, 0, 20, PGSQL_AF_INET6, 128, 0, 16]);
  out.set(v6, 8);
  return out;
}

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new FlowCopyEncodingError(`not a UUID: ${uuid}`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Encodes records into binary COPY data. This runs on the collector's main thread for every flow, so it writes bytes
 * directly (no Buffer.write* calls, no intermediate arrays): IPv4 addresses and MACs are parsed from their text straight
 * into the output; IPv6 addresses, which are rarer and longer, are parsed once and cached (bounded).
 */
export class FlowCopyEncoder {
  private readonly ipv6: Ipv6Bytes;

  constructor(maxCached = 100_000) {
    this.ipv6 = new Ipv6Bytes(maxCached);
  }

  /**
   * One COPY stream (header, one tuple per record, trailer) for `records[indexes[i]]`, or every record when
   * `indexes` is omitted. An address or MAC that cannot be parsed is stored as NULL.
   */
  encode(tenantId: string, records: readonly FlowRecord[], indexes?: ArrayLike<number>): Uint8Array {
    const count = indexes === undefined ? records.length : indexes.length;
    const out = Buffer.allocUnsafe(HEADER_BYTES + count * MAX_ROW_BYTES + 2);
    for (let i = 0; i < SIGNATURE.length; i++) out[i] = SIGNATURE[i];
    for (let i = 11; i < HEADER_BYTES; i++) out[i] = 0; // flags, header extension length
    // Every tuple starts with the field count and the tenant id: 22 constant bytes.
    const prefix = new Uint8Array(22);
    prefix[1] = FIELD_COUNT;
    prefix[5] = 16;
    prefix.set(uuidBytes(tenantId), 6);
    let exporterText = '';
    let exporterField: Uint8Array | null = null;
    let p = HEADER_BYTES;
    for (let n = 0; n < count; n++) {
      const r = records[indexes === undefined ? n : indexes[n]];
      for (let k = 0; k < 22; k++) out[p + k] = prefix[k];
      p += 22;
      p = timestamp(out, p, r.endMs);
      p = timestamp(out, p, r.startMs);
      if (r.exporter !== exporterText) {
        exporterText = r.exporter;
        exporterField = inetField(r.exporter) ?? null;
      }
      p = exporterField === null ? nul(out, p) : copy(out, p, exporterField);
      p = int8(out, p, r.observationDomain);
      p = int2(out, p, r.version);
      p = this.inet(out, p, r.srcAddress);
      p = this.inet(out, p, r.dstAddress);
      p = int4(out, p, r.srcPort);
      p = int4(out, p, r.dstPort);
      p = int2(out, p, r.protocol);
      p = int4(out, p, r.tcpFlags);
      p = int8(out, p, Math.round(r.bytes));
      p = int8(out, p, Math.round(r.packets));
      const rate = Math.round(r.samplingRate);
      p = int4(out, p, rate >= 1 ? rate : 1);
      p = int8(out, p, r.inputInterface);
      p = int8(out, p, r.outputInterface);
      p = mac(out, p, r.srcMac);
      p = mac(out, p, r.dstMac);
      p = r.srcVlan === null ? nul(out, p) : int4(out, p, r.srcVlan);
      p = r.dstVlan === null ? nul(out, p) : int4(out, p, r.dstVlan);
      p = r.direction === null ? nul(out, p) : int2(out, p, r.direction);
      p = r.srcSgt === null ? nul(out, p) : int4(out, p, r.srcSgt);
      p = r.dstSgt === null ? nul(out, p) : int4(out, p, r.dstSgt);
    }
    out[p] = 0xff;
    out[p + 1] = 0xff;
    return out.subarray(0, p + 2);
  }

  private inet(out: Uint8Array, p: number, address: string | null): number {
    if (address === null) return nul(out, p);
    if (writeIpv4(out, p + 8, address)) {
      out[p] = 0;
      out[p + 1] = 0;
      out[p + 2] = 0;
      out[p + 3] = 8;
      out[p + 4] = PGSQL_AF_INET;
      out[p + 5] = 32;
      out[p + 6] = 0;
      out[p + 7] = 4;
      return p + 12;
    }
    const v6 = this.ipv6.of(address);
    if (v6 === null) return nul(out, p);
    out[p] = 0;
    out[p + 1] = 0;
    out[p + 2] = 0;
    out[p + 3] = 20;
    out[p + 4] = PGSQL_AF_INET6;
    out[p + 5] = 128;
    out[p + 6] = 0;
    out[p + 7] = 16;
    return copy(out, p + 8, v6);
  }
}

function copy(out: Uint8Array, p: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) out[p + i] = bytes[i];
  return p + bytes.length;
}

/** A MAC `aa:bb:cc:dd:ee:ff` straight into a macaddr field (NULL when it is not one). */
function mac(out: Uint8Array, p: number, text: string | null): number {
  if (text === null || !writeMac(out, p + 4, text)) return nul(out, p);
  out[p] = 0;
  out[p + 1] = 0;
  out[p + 2] = 0;
  out[p + 3] = 6;
  return p + 10;
}

function timestamp(out: Uint8Array, p: number, epochMs: number): number {
  if (!Number.isFinite(epochMs)) throw new FlowCopyEncodingError(`invalid time ${epochMs}`);
  return int8(out, p, Math.round((epochMs - PG_EPOCH_MS) * 1000));
}

function nul(out: Uint8Array, p: number): number {
  out[p] = 0xff;
  out[p + 1] = 0xff;
  out[p + 2] = 0xff;
  out[p + 3] = 0xff;
  return p + 4;
}

function int2(out: Uint8Array, p: number, v: number): number {
  const x = v > 32767 ? 32767 : v;
  out[p] = 0;
  out[p + 1] = 0;
  out[p + 2] = 0;
  out[p + 3] = 2;
  out[p + 4] = (x >>> 8) & 0xff;
  out[p + 5] = x & 0xff;
  return p + 6;
}

function int4(out: Uint8Array, p: number, v: number): number {
  const x = v > 0x7fff_ffff ? 0x7fff_ffff : v;
  out[p] = 0;
  out[p + 1] = 0;
  out[p + 2] = 0;
  out[p + 3] = 4;
  out[p + 4] = x >>> 24;
  out[p + 5] = (x >>> 16) & 0xff;
  out[p + 6] = (x >>> 8) & 0xff;
  out[p + 7] = x & 0xff;
  return p + 8;
}

/** A safe integer (possibly negative) as a big-endian int64. */
function int8(out: Uint8Array, p: number, v: number): number {
  const high = Math.floor(v / TWO_32);
  const low = v - high * TWO_32;
  out[p] = 0;
  out[p + 1] = 0;
  out[p + 2] = 0;
  out[p + 3] = 8;
  out[p + 4] = high >>> 24;
  out[p + 5] = (high >>> 16) & 0xff;
  out[p + 6] = (high >>> 8) & 0xff;
  out[p + 7] = high & 0xff;
  out[p + 8] = low >>> 24;
  out[p + 9] = (low >>> 16) & 0xff;
  out[p + 10] = (low >>> 8) & 0xff;
  out[p + 11] = low & 0xff;
  return p + 12;
}
