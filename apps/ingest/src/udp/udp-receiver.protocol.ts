/** Messages between the main thread and the UDP receive thread (udp-receiver.worker.ts). */

export interface ReceiverOptions {
  host: string;
  ports: number[];
  receiveBufferBytes: number;
  /** Size of one chunk of datagrams handed to the main thread. */
  chunkBytes: number;
  /** A partly filled chunk is handed over after this long. */
  flushMs: number;
  /** Bytes handed over and not yet processed, past which datagrams are dropped (and counted). */
  maxQueuedBytes: number;
}

export interface BoundSocket {
  port: number;
  family: 'udp4' | 'udp6';
  address: string;
  receiveBufferBytes: number;
}

/** Chunk layout: u32 record count, then records: f64 receivedAtMs, u16 address length, u32 packet length, address, packet. */
export const CHUNK_HEADER_BYTES = 4;
export const RECORD_HEADER_BYTES = 14;

export type ReceiverToMain =
  | { type: 'bound'; sockets: BoundSocket[]; ipv4Fallbacks: number[] }
  | { type: 'start-failed'; message: string; code?: string }
  | { type: 'chunk'; buffer: ArrayBuffer; bytes: number; count: number }
  | { type: 'dropped'; total: number }
  | { type: 'socket-error'; port: number; message: string }
  | { type: 'closed' };

export type MainToReceiver = { type: 'ack'; bytes: number } | { type: 'close' };

/** Calls `each` for every datagram of a chunk, in arrival order. */
export function forEachDatagram(buffer: ArrayBuffer, bytes: number, each: (packet: Uint8Array, address: string, receivedAtMs: number) => void): void {
  const chunk = new Uint8Array(buffer, 0, bytes);
  const view = new DataView(buffer, 0, bytes);
  const count = view.getUint32(0, true);
  let p = CHUNK_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const receivedAtMs = view.getFloat64(p, true);
    const addressLength = view.getUint16(p + 8, true);
    const packetLength = view.getUint32(p + 10, true);
    p += RECORD_HEADER_BYTES;
    const address = String.fromCharCode.apply(null, chunk.subarray(p, p + addressLength) as unknown as number[]);
    p += addressLength;
    each(chunk.subarray(p, p + packetLength), address, receivedAtMs);
    p += packetLength;
  }
}
