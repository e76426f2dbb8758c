import type { ExporterState, HeldSet } from './exporter-state';

export enum HeldDropReason {
  /** Waited longer than maxHeldAgeMs. */
  EXPIRED = 'EXPIRED',
  /** Evicted to stay within the per-exporter caps (sets or bytes), oldest first. */
  EXPORTER_CAP = 'EXPORTER_CAP',
  /** Dropped to stay within maxHeldBytesTotal. */
  GLOBAL_CAP = 'GLOBAL_CAP',
  /** The exporter was forgotten. */
  EXPORTER_FORGOTTEN = 'EXPORTER_FORGOTTEN',
}

export interface HeldDataLimits {
  maxHeldSetsPerExporter: number;
  maxHeldBytesPerExporter: number;
  maxHeldBytesTotal: number;
  maxHeldAgeMs: number;
}

/**
 * Data sets that arrived before their template, kept per exporter (on ExporterState.held, in arrival order) within
 * per-exporter and global caps, and aged against the receive times the caller passes in. Counts what it drops.
 */
export class HeldDataStore {
  bytesTotal = 0;
  heldTotal = 0;
  released = 0;
  releasedRecords = 0;
  readonly dropped: Record<HeldDropReason, number> = { EXPIRED: 0, EXPORTER_CAP: 0, GLOBAL_CAP: 0, EXPORTER_FORGOTTEN: 0 };

  constructor(private readonly limits: HeldDataLimits) {}

  /** Keeps `set` (its body already copied) unless it cannot fit; evicts the exporter's oldest sets to make room. */
  hold(state: ExporterState, set: HeldSet): void {
    const size = set.body.length;
    const { maxHeldSetsPerExporter, maxHeldBytesPerExporter, maxHeldBytesTotal } = this.limits;
    this.heldTotal++;
    if (size > maxHeldBytesPerExporter || maxHeldSetsPerExporter === 0) {
      this.dropped[HeldDropReason.EXPORTER_CAP]++;
      return;
    }
    while (state.held.length >= maxHeldSetsPerExporter || state.heldBytes + size > maxHeldBytesPerExporter) {
      this.dropOldest(state, HeldDropReason.EXPORTER_CAP);
    }
    while (this.bytesTotal + size > maxHeldBytesTotal && state.held.length > 0) {
      this.dropOldest(state, HeldDropReason.GLOBAL_CAP);
    }
    if (this.bytesTotal + size > maxHeldBytesTotal) {
      this.dropped[HeldDropReason.GLOBAL_CAP]++;
      return;
    }
    state.held.push(set);
    state.heldBytes += size;
    this.bytesTotal += size;
  }

  /** Removes and returns the sets waiting for (domain, template), oldest first. */
  take(state: ExporterState, domainKey: number, templateId: number): HeldSet[] {
    const matching: HeldSet[] = [];
    const rest: HeldSet[] = [];
    for (const set of state.held) {
      if (set.domainKey === domainKey && set.templateId === templateId) matching.push(set);
      else rest.push(set);
    }
    if (matching.length === 0) return matching;
    state.held = rest;
    for (const set of matching) this.forget(state, set);
    this.released += matching.length;
    return matching;
  }

  /** Drops the exporter's sets older than maxHeldAgeMs at `nowMs`; returns how many. */
  expire(state: ExporterState, nowMs: number): number {
    const maxAge = this.limits.maxHeldAgeMs;
    let expired = 0;
    const kept = state.held.filter((set) => {
      if (nowMs - set.receivedAtMs <= maxAge) return true;
      expired++;
      this.forget(state, set);
      this.dropped[HeldDropReason.EXPIRED]++;
      return false;
    });
    if (expired > 0) state.held = kept;
    return expired;
  }

  dropAll(state: ExporterState, reason: HeldDropReason): void {
    for (const set of state.held) {
      this.forget(state, set);
      this.dropped[reason]++;
    }
    state.held = [];
  }

  private dropOldest(state: ExporterState, reason: HeldDropReason): void {
    const oldest = state.held.shift();
    if (oldest === undefined) return;
    this.forget(state, oldest);
    this.dropped[reason]++;
  }

  private forget(state: ExporterState, set: HeldSet): void {
    state.heldBytes -= set.body.length;
    this.bytesTotal -= set.body.length;
  }
}
