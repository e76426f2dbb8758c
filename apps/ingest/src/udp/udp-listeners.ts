import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { forEachDatagram, type BoundSocket, type MainToReceiver, type ReceiverOptions, type ReceiverToMain } from './udp-receiver.protocol';

export interface UdpListenerOptions {
  host: string;
  ports: number[];
  receiveBufferBytes: number;
  /** Datagrams received and not yet processed by the main thread, in bytes; past it they are dropped and counted. */
  maxQueuedBytes: number;
}

export type PacketHandler = (packet: Uint8Array, sourceAddress: string, receivedAtMs: number) => void;

/**
 * The UDP sockets flow export arrives on, read by a dedicated thread (udp-receiver.worker.ts) that hands datagrams
 * over in chunks; the handler runs on the main thread, in arrival order. Every socket hands every datagram to the same
 * handler: the version is told apart by the packet, never by the port. On `::` a socket is dual-stack (IPv4 exporters
 * appear as ::ffff:a.b.c.d, which the collector normalises); where IPv6 is unavailable it falls back to 0.0.0.0.
 */
export class UdpListeners {
  private worker?: Worker;
  private closed?: Promise<void>;
  bound: BoundSocket[] = [];
  /** Datagrams dropped because the main thread was too far behind (user-space queue full). */
  droppedDatagrams = 0;
  /** Chunks received while paused, processed in order on resume (still counted against the receive queue). */
  private readonly held: Array<{ buffer: ArrayBuffer; bytes: number }> = [];
  private paused = false;
  private draining = false;

  constructor(
    private readonly options: UdpListenerOptions,
    private readonly onPacket: PacketHandler,
    private readonly logger: Logger,
    private readonly onDropped: (total: number) => void = () => undefined,
  ) {}

  start(): Promise<void> {
    const receiverOptions: ReceiverOptions = {
      host: this.options.host,
      ports: this.options.ports,
      receiveBufferBytes: this.options.receiveBufferBytes,
      chunkBytes: 256 * 1024,
      flushMs: 2,
      maxQueuedBytes: this.options.maxQueuedBytes,
    };
    const worker = new Worker(join(__dirname, 'udp-receiver.worker.js'), { workerData: receiverOptions });
    this.worker = worker;
    let closedResolve: () => void = () => undefined;
    this.closed = new Promise((r) => (closedResolve = r));
    return new Promise((resolve, reject) => {
      worker.on('message', (message: ReceiverToMain) => {
        switch (message.type) {
          case 'chunk':
            if (this.paused || this.held.length > 0) this.held.push({ buffer: message.buffer, bytes: message.bytes });
            else this.process(message.buffer, message.bytes);
            break;
          case 'bound':
            this.bound = message.sockets;
            this.logBound(message.ipv4Fallbacks);
            resolve();
            break;
          case 'start-failed':
            reject(Object.assign(new Error(message.message), { code: message.code }));
            void worker.terminate();
            break;
          case 'dropped':
            this.droppedDatagrams = message.total;
            this.onDropped(message.total);
            break;
          case 'socket-error':
            this.logger.error({ port: message.port, err: message.message }, 'UDP socket error');
            break;
          case 'closed':
            closedResolve();
            break;
        }
      });
      worker.on('error', (err) => {
        this.logger.error({ err }, 'UDP receive thread failed');
        reject(err);
      });
      worker.on('exit', () => {
        this.bound = [];
        closedResolve();
      });
    });
  }

  private process(buffer: ArrayBuffer, bytes: number): void {
    try {
      forEachDatagram(buffer, bytes, this.onPacket);
    } finally {
      this.worker?.postMessage({ type: 'ack', bytes } satisfies MainToReceiver);
    }
  }

  /**
   * Back-pressure: while paused, received chunks wait unprocessed (the receive thread keeps draining the kernel buffer
   * and drops, counted, once INGEST_RECEIVE_QUEUE_MAX_BYTES wait). Resuming processes them in order, one chunk per
   * event-loop turn so the database writer keeps getting time.
   */
  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused && this.held.length > 0 && !this.draining) {
      this.draining = true;
      const step = () => {
        const next = this.paused ? undefined : this.held.shift();
        if (next === undefined) {
          this.draining = false;
          return;
        }
        this.process(next.buffer, next.bytes);
        setImmediate(step);
      };
      setImmediate(step);
    }
  }

  /** Chunks waiting because of back-pressure. */
  get heldChunks(): number {
    return this.held.length;
  }

  private logBound(ipv4Fallbacks: number[]): void {
    for (const port of ipv4Fallbacks) this.logger.warn({ port }, 'IPv6 unavailable: listening on IPv4 only');
    const requested = this.options.receiveBufferBytes;
    for (const b of this.bound) {
      const fields = { port: b.port, family: b.family, address: b.address, receiveBufferBytes: b.receiveBufferBytes, requestedBytes: requested };
      // Linux reports twice the value it grants (bookkeeping overhead); below the request means rmem_max capped it.
      if (b.receiveBufferBytes < requested) this.logger.warn(fields, 'UDP receive buffer smaller than requested; raise net.core.rmem_max');
      else this.logger.info(fields, 'listening for flow export');
    }
  }

  get listening(): boolean {
    return this.bound.length === this.options.ports.length && this.bound.length > 0;
  }

  /** Stops receiving; resolves once every datagram already received has been handed to the handler. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    worker.postMessage({ type: 'close' } satisfies MainToReceiver);
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, 5_000))]);
    // Shutdown: what was held back by back-pressure is decoded now (its batches get committed or spooled).
    this.paused = false;
    for (let next = this.held.shift(); next !== undefined; next = this.held.shift()) this.process(next.buffer, next.bytes);
    this.worker = undefined;
    await worker.terminate();
  }
}
