import { FlowSubjects, Headers, flowBatchMessageId } from '@clarion/contracts';
import { publishTraced } from '@clarion/messaging';
import type { JetStreamClient } from 'nats';
import type { Logger } from 'pino';
import type { IngestMetrics } from '../metrics/ingest-metrics';
import type { SealedBatch } from '../storage/sealed-batch';

interface PendingPart {
  msgID: string;
  payload: Uint8Array;
}

export interface FlowBatchPublisherOptions {
  maxPendingBytes: number;
  /** Parts published concurrently. */
  concurrency: number;
  retryMs: number;
  publishTimeoutMs: number;
  /**
   * Signs each part (subject, message id, payload) with ingest's key, as `Headers.messageSignature`: clustering
   * believes a batch, and the tenant in it, only as ingest wrote it. Without one, parts go unsigned and are refused.
   */
  sign?: (subject: string, messageId: string, payload: Uint8Array) => Promise<string>;
}

/**
 * Publishes `clarion.flows.batch.v1` for every committed batch, each part with message id `<batch id>.<part>`, so a
 * batch published twice (a spool replay of a batch whose commit had in fact succeeded) is dropped by JetStream's
 * duplicate window. Parts wait in memory while NATS is unavailable and are retried in order; past `maxPendingBytes` the
 * oldest are dropped and counted (clarion_ingest_events_dropped_total{reason="buffer_full"}).
 */
export class FlowBatchPublisher {
  private readonly pending: PendingPart[] = [];
  private pendingBytes = 0;
  private active = 0;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly jetstream: () => Promise<JetStreamClient>,
    private readonly options: FlowBatchPublisherOptions,
    private readonly metrics: IngestMetrics,
    private readonly logger: Logger,
  ) {}

  enqueue(batch: SealedBatch): void {
    batch.eventParts.forEach((payload, part) => {
      this.pending.push({ msgID: flowBatchMessageId(batch.batchId, part), payload });
      this.pendingBytes += payload.length;
    });
    for (let dropped = this.pending[0]; this.pendingBytes > this.options.maxPendingBytes && dropped !== undefined; dropped = this.pending[0]) {
      this.pending.shift();
      this.pendingBytes -= dropped.payload.length;
      this.metrics.eventsDropped.inc({ reason: 'buffer_full' });
    }
    this.metrics.eventsPendingBytes.set(this.pendingBytes);
    this.pump();
  }

  get pendingParts(): number {
    return this.pending.length + this.active;
  }

  private pump(): void {
    while (!this.stopped && this.retryTimer === undefined && this.active < this.options.concurrency) {
      const part = this.pending.shift();
      if (part === undefined) break;
      this.active++;
      void this.publish(part);
    }
    if (this.active === 0 && this.pending.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async publish(part: PendingPart): Promise<void> {
    try {
      const js = await this.jetstream();
      const signature = this.options.sign ? await this.options.sign(FlowSubjects.batch, part.msgID, part.payload) : undefined;
      await publishTraced(js, FlowSubjects.batch, part.payload, {
        msgID: part.msgID,
        timeoutMs: this.options.publishTimeoutMs,
        headers: signature ? { [Headers.messageSignature]: signature } : undefined,
      });
      this.pendingBytes -= part.payload.length;
      this.metrics.eventsPublished.inc();
    } catch (err) {
      // Back in front, in order; wait before trying again so an outage is not a busy loop.
      this.pending.unshift(part);
      if (this.retryTimer === undefined) {
        this.logger.warn({ err: (err as Error).message, pendingParts: this.pending.length }, 'cannot publish flow batch events; retrying');
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.pump();
        }, this.options.retryMs);
        this.retryTimer.unref();
      }
    } finally {
      this.active--;
      this.metrics.eventsPendingBytes.set(this.pendingBytes);
      this.pump();
    }
  }

  /** Shutdown: publishes what waits until `deadlineMs`; what is left then is dropped and counted (reason shutdown). */
  async drain(deadlineMs: number): Promise<void> {
    if (this.pending.length > 0 || this.active > 0) {
      await Promise.race([
        new Promise<void>((r) => this.idleWaiters.push(r)),
        new Promise<void>((r) => setTimeout(r, Math.max(0, deadlineMs - Date.now())).unref()),
      ]);
    }
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pending.length > 0) {
      this.metrics.eventsDropped.inc({ reason: 'shutdown' }, this.pending.length);
      this.logger.warn({ parts: this.pending.length }, 'flow batch events not published before shutdown');
    }
  }
}
