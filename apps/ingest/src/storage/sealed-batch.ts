/** Rows of one UTC day of a batch, as binary COPY data (header, tuples, trailer). */
export interface DaySection {
  /** Days since the Unix epoch (UTC) of the rows' end time. */
  day: number;
  rows: number;
  data: Uint8Array;
}

/**
 * A closed batch of one tenant's flows, ready to write: everything the writer, the spool and the event publisher need,
 * already encoded, so a batch costs no more CPU however many times it is retried or replayed.
 */
export interface SealedBatch {
  batchId: string;
  tenantId: string;
  sealedAtMs: number;
  rowCount: number;
  firstEndMs: number | null;
  lastEndMs: number | null;
  sections: DaySection[];
  /** `clarion.flows.batch.v1` payloads, published once the rows are committed. */
  eventParts: Uint8Array[];
  /** Receive time (epoch ms) of each export packet whose flows are in the batch; not spooled. */
  packetTimes?: number[];
  /** Where the batch came from, for metrics: decoded in this process, or read back from the spool. */
  origin: 'memory' | 'spool';
}

export const DAY_MS = 86_400_000;

export function dayOf(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}

/** `YYYY-MM-DD` of a day number. */
export function dayText(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Bytes a batch takes in memory and in the spool (its encoded payloads). */
export function batchBytes(batch: SealedBatch): number {
  let bytes = 0;
  for (const s of batch.sections) bytes += s.data.length;
  for (const e of batch.eventParts) bytes += e.length;
  return bytes;
}
