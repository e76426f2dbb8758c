import { randomUUID } from 'node:crypto';
import { FlowBatchEncoder } from '@clarion/contracts';
import type { FlowRecord } from '@clarion/netflow';
import { FlowCopyEncoder } from './flow-copy-encoder';
import { dayOf, type DaySection, type SealedBatch } from './sealed-batch';

export interface FlowBatcherOptions {
  maxRows: number;
  maxDelayMs: number;
  /** Largest `clarion.flows.batch.v1` message. */
  eventPartMaxBytes: number;
}

interface OpenBatch {
  tenantId: string;
  records: FlowRecord[];
  packetTimes: number[];
  timer: NodeJS.Timeout;
}

/**
 * Collects decoded flows into one open batch per tenant and closes ("seals") a batch when it reaches `maxRows` or when
 * its first flow has waited `maxDelayMs`. Sealing encodes everything the batch will need (binary COPY data per UTC day,
 * the event payloads), so the records themselves can be garbage-collected right away.
 */
export class FlowBatcher {
  private readonly open = new Map<string, OpenBatch>();
  private readonly encoder = new FlowCopyEncoder();
  private readonly events = new FlowBatchEncoder();

  constructor(
    private readonly options: FlowBatcherOptions,
    private readonly onSealed: (batch: SealedBatch) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Rows in open (not yet sealed) batches. */
  get openRows(): number {
    let rows = 0;
    for (const b of this.open.values()) rows += b.records.length;
    return rows;
  }

  /** Adds the flows of one export packet received at `receivedAtMs`. */
  add(tenantId: string, records: readonly FlowRecord[], receivedAtMs: number): void {
    let i = 0;
    while (i < records.length) {
      const batch = this.openBatch(tenantId);
      const room = this.options.maxRows - batch.records.length;
      const take = Math.min(room, records.length - i);
      for (let k = 0; k < take; k++) batch.records.push(records[i + k]);
      batch.packetTimes.push(receivedAtMs);
      i += take;
      if (batch.records.length >= this.options.maxRows) this.seal(batch);
    }
  }

  /** Seals every open batch now (shutdown). */
  sealAll(): void {
    for (const batch of [...this.open.values()]) this.seal(batch);
  }

  private openBatch(tenantId: string): OpenBatch {
    let batch = this.open.get(tenantId);
    if (batch === undefined) {
      const created: OpenBatch = {
        tenantId,
        records: [],
        packetTimes: [],
        timer: setTimeout(() => this.seal(created), this.options.maxDelayMs),
      };
      created.timer.unref();
      batch = created;
      this.open.set(tenantId, batch);
    }
    return batch;
  }

  private seal(open: OpenBatch): void {
    if (this.open.get(open.tenantId) !== open) return;
    this.open.delete(open.tenantId);
    clearTimeout(open.timer);
    if (open.records.length === 0) return;
    this.onSealed(sealBatch(open.tenantId, open.records, open.packetTimes, this.encoder, this.events, this.now(), this.options.eventPartMaxBytes));
  }
}

/** Encodes one batch: COPY sections per UTC day of the flows' end time, and the event parts. */
export function sealBatch(
  tenantId: string,
  records: FlowRecord[],
  packetTimes: number[],
  encoder: FlowCopyEncoder,
  events: FlowBatchEncoder,
  nowMs: number,
  eventPartMaxBytes: number,
): SealedBatch {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  const days = new Int32Array(records.length);
  let mixed = false;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    // A flow without a usable end time is kept, dated when it was sealed (never dropped for its clock).
    if (!Number.isFinite(r.endMs)) r.endMs = Number.isFinite(r.startMs) ? r.startMs : nowMs;
    if (!Number.isFinite(r.startMs)) r.startMs = r.endMs;
    if (r.endMs < first) first = r.endMs;
    if (r.endMs > last) last = r.endMs;
    days[i] = dayOf(r.endMs);
    if (days[i] !== days[0]) mixed = true;
  }
  const batchId = randomUUID();
  const sections: DaySection[] = [];
  if (!mixed) {
    sections.push({ day: days[0], rows: records.length, data: encoder.encode(tenantId, records) });
  } else {
    const byDay = new Map<number, number[]>();
    for (let i = 0; i < records.length; i++) {
      let list = byDay.get(days[i]);
      if (list === undefined) byDay.set(days[i], (list = []));
      list.push(i);
    }
    for (const [day, indexes] of [...byDay].sort((a, b) => a[0] - b[0])) {
      sections.push({ day, rows: indexes.length, data: encoder.encode(tenantId, records, indexes) });
    }
  }
  return {
    batchId,
    tenantId,
    sealedAtMs: nowMs,
    rowCount: records.length,
    firstEndMs: first,
    lastEndMs: last,
    sections,
    eventParts: events.encode({ batchId, tenantId, sealedAtMs: nowMs }, records, eventPartMaxBytes),
    packetTimes,
    origin: 'memory',
  };
}
