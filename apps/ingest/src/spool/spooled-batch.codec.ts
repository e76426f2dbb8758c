import type { SealedBatch } from '../storage/sealed-batch';

/**
 * A sealed batch as bytes for the disk spool (version 1, big-endian):
 *   u8 version, 16 bytes batch id, 16 bytes tenant id, f64 sealedAtMs, u32 rowCount, f64 firstEndMs, f64 lastEndMs
 *   (NaN = null), u16 sections, each: i32 day, u32 rows, u32 length, bytes; u16 event parts, each: u32 length, bytes.
 */
const VERSION = 1;

export class SpooledBatchFormatError extends Error {
  override readonly name = 'SpooledBatchFormatError';
}

function writeUuid(view: DataView, at: number, uuid: string): void {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new SpooledBatchFormatError(`not a UUID: ${uuid}`);
  for (let i = 0; i < 16; i++) view.setUint8(at + i, parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

function readUuid(bytes: Uint8Array, at: number): string {
  let hex = '';
  for (let i = 0; i < 16; i++) hex += bytes[at + i].toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function encodeSpooledBatch(batch: SealedBatch): Uint8Array {
  let size = 1 + 16 + 16 + 8 + 4 + 8 + 8 + 2 + 2;
  for (const s of batch.sections) size += 12 + s.data.length;
  for (const e of batch.eventParts) size += 4 + e.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint8(0, VERSION);
  writeUuid(view, 1, batch.batchId);
  writeUuid(view, 17, batch.tenantId);
  view.setFloat64(33, batch.sealedAtMs);
  view.setUint32(41, batch.rowCount);
  view.setFloat64(45, batch.firstEndMs ?? Number.NaN);
  view.setFloat64(53, batch.lastEndMs ?? Number.NaN);
  let p = 61;
  view.setUint16(p, batch.sections.length);
  p += 2;
  for (const s of batch.sections) {
    view.setInt32(p, s.day);
    view.setUint32(p + 4, s.rows);
    view.setUint32(p + 8, s.data.length);
    out.set(s.data, p + 12);
    p += 12 + s.data.length;
  }
  view.setUint16(p, batch.eventParts.length);
  p += 2;
  for (const e of batch.eventParts) {
    view.setUint32(p, e.length);
    out.set(e, p + 4);
    p += 4 + e.length;
  }
  return out;
}

export function decodeSpooledBatch(bytes: Uint8Array): SealedBatch {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (p: number, n: number): void => {
    if (p + n > bytes.length) throw new SpooledBatchFormatError('spooled batch truncated');
  };
  need(0, 63);
  if (view.getUint8(0) !== VERSION) throw new SpooledBatchFormatError(`unknown spooled batch version ${view.getUint8(0)}`);
  const first = view.getFloat64(45);
  const last = view.getFloat64(53);
  const batch: SealedBatch = {
    batchId: readUuid(bytes, 1),
    tenantId: readUuid(bytes, 17),
    sealedAtMs: view.getFloat64(33),
    rowCount: view.getUint32(41),
    firstEndMs: Number.isNaN(first) ? null : first,
    lastEndMs: Number.isNaN(last) ? null : last,
    sections: [],
    eventParts: [],
    origin: 'spool',
  };
  let p = 61;
  const sections = view.getUint16(p);
  p += 2;
  for (let i = 0; i < sections; i++) {
    need(p, 12);
    const length = view.getUint32(p + 8);
    need(p + 12, length);
    batch.sections.push({ day: view.getInt32(p), rows: view.getUint32(p + 4), data: bytes.subarray(p + 12, p + 12 + length) });
    p += 12 + length;
  }
  need(p, 2);
  const parts = view.getUint16(p);
  p += 2;
  for (let i = 0; i < parts; i++) {
    need(p, 4);
    const length = view.getUint32(p);
    need(p + 4, length);
    batch.eventParts.push(bytes.subarray(p + 4, p + 4 + length));
    p += 4 + length;
  }
  if (p !== bytes.length) throw new SpooledBatchFormatError('trailing bytes after the spooled batch');
  return batch;
}
