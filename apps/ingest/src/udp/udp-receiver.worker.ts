// The UDP receive thread: owns the sockets, stamps each datagram with its arrival time and packs datagrams into
// chunks handed to the main thread (transferred, not copied). Its only job is to drain the kernel's receive buffers,
// so a pause of the main thread (a batch being encoded, a garbage collection, a busy machine) queues datagrams here, in
// a bounded user-space queue, instead of overflowing the kernel buffer (bounded by net.core.rmem_max) where they
// would be lost without a trace. Past the bound, datagrams are dropped here and counted.
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import {
  CHUNK_HEADER_BYTES,
  RECORD_HEADER_BYTES,
  type BoundSocket,
  type ReceiverToMain,
  type MainToReceiver,
  type ReceiverOptions,
} from './udp-receiver.protocol';

const options = workerData as ReceiverOptions;
const port = parentPort;
if (port === null) throw new Error('udp-receiver.worker must run as a worker thread');

const sockets: Socket[] = [];
let chunk = new Uint8Array(options.chunkBytes);
let view = new DataView(chunk.buffer);
let offset = CHUNK_HEADER_BYTES;
let count = 0;
/** Bytes handed to the main thread and not yet acknowledged: the user-space queue. */
let queuedBytes = 0;
let dropped = 0;
let droppedReported = 0;

const post = (message: ReceiverToMain, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

function flush(): void {
  if (count === 0) return;
  view.setUint32(0, count, true);
  const buffer = chunk.buffer;
  const bytes = offset;
  queuedBytes += bytes;
  post({ type: 'chunk', buffer, bytes, count }, [buffer]);
  chunk = new Uint8Array(options.chunkBytes);
  view = new DataView(chunk.buffer);
  offset = CHUNK_HEADER_BYTES;
  count = 0;
}

function onMessage(packet: Buffer, address: string): void {
  const need = RECORD_HEADER_BYTES + address.length + packet.length;
  if (queuedBytes + offset + need > options.maxQueuedBytes) {
    dropped++;
    return;
  }
  if (offset + need > chunk.length) {
    flush();
    if (need + CHUNK_HEADER_BYTES > chunk.length) {
      dropped++; // larger than a chunk: not a datagram any exporter sends (max 65535 < chunk size)
      return;
    }
  }
  // record: f64 receivedAtMs, u16 address length, u32 packet length, address (ASCII), packet
  view.setFloat64(offset, Date.now(), true);
  view.setUint16(offset + 8, address.length, true);
  view.setUint32(offset + 10, packet.length, true);
  let p = offset + RECORD_HEADER_BYTES;
  for (let i = 0; i < address.length; i++) chunk[p++] = address.charCodeAt(i);
  chunk.set(packet, p);
  offset = p + packet.length;
  count++;
}

function bind(type: 'udp4' | 'udp6', host: string, udpPort: number): Promise<BoundSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type, ipv6Only: false, recvBufferSize: options.receiveBufferBytes });
    const fail = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', fail);
    socket.on('message', (packet, remote) => onMessage(packet, remote.address));
    socket.bind(udpPort, host, () => {
      socket.off('error', fail);
      socket.on('error', (err) => post({ type: 'socket-error', port: udpPort, message: err.message }));
      sockets.push(socket);
      let receiveBufferBytes = 0;
      try {
        receiveBufferBytes = socket.getRecvBufferSize();
      } catch {
        // not supported on this platform
      }
      const address = socket.address();
      resolve({ port: address.port, family: type, address: address.address, receiveBufferBytes });
    });
  });
}

async function start(): Promise<void> {
  const bound: BoundSocket[] = [];
  const fallbacks: number[] = [];
  for (const udpPort of options.ports) {
    const wantsV6 = isIP(options.host) === 6;
    try {
      bound.push(await bind(wantsV6 ? 'udp6' : 'udp4', options.host, udpPort));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!wantsV6 || options.host !== '::' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL' && code !== 'EINVAL')) throw err;
      fallbacks.push(udpPort);
      bound.push(await bind('udp4', '0.0.0.0', udpPort));
    }
  }
  post({ type: 'bound', sockets: bound, ipv4Fallbacks: fallbacks });
}

const timer = setInterval(() => {
  flush();
  if (dropped !== droppedReported) {
    post({ type: 'dropped', total: dropped });
    droppedReported = dropped;
  }
}, options.flushMs);

port.on('message', (message: MainToReceiver) => {
  if (message.type === 'ack') queuedBytes -= message.bytes;
  else if (message.type === 'close') {
    clearInterval(timer);
    let open = sockets.length;
    const done = () => {
      flush();
      post({ type: 'dropped', total: dropped });
      post({ type: 'closed' });
    };
    if (open === 0) done();
    for (const s of sockets.splice(0)) {
      s.close(() => {
        if (--open === 0) done();
      });
    }
  }
});

start().catch((err: unknown) => post({ type: 'start-failed', message: (err as Error).message, code: (err as NodeJS.ErrnoException).code }));
