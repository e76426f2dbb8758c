import type { ExporterDomainDto } from '@clarion/contracts';
import { SFLOW_V5_RECORD_VERSION, type DecodeError, type NetflowDecoder, type SflowDecoder } from '@clarion/netflow';
import { Database } from '@clarion/persistence';
import { ExporterRepository, type ExporterActivity } from '../data';
import type { Logger } from 'pino';

interface ExporterDelta {
  tenantId: string;
  firstSeenMs: number;
  lastSeenMs: number;
  packets: number;
  records: number;
  lostRecords: number;
  errors: Record<string, number>;
  dirty: boolean;
}

/** What one packet or datagram contributes to its exporter's counters (a NetFlow DecodeResult or an SflowDecodeResult). */
export interface PacketActivity {
  records: { length: number };
  lostRecords: number;
  errors: readonly DecodeError[];
}

/**
 * The exporter registry as seen by this collector: counters accumulate in memory per packet (cheap) and are added to
 * the `exporters` rows every flush; the current per-domain status and sampling state come from the decoders at flush
 * time (an sFlow agent's sub-agents are its domains, version 105). A failed flush keeps its deltas for the next one,
 * so counts are never lost while PostgreSQL is down.
 */
export class ExporterRegistry {
  private readonly exporters = new Map<string, ExporterDelta>();

  constructor(
    private readonly decoder: NetflowDecoder,
    private readonly sflow: SflowDecoder,
    private readonly db: Database,
    private readonly logger: Logger,
  ) {}

  record(exporter: string, tenantId: string, result: PacketActivity, nowMs: number): void {
    let delta = this.exporters.get(exporter);
    if (delta === undefined || delta.tenantId !== tenantId) {
      delta = { tenantId, firstSeenMs: nowMs, lastSeenMs: nowMs, packets: 0, records: 0, lostRecords: 0, errors: {}, dirty: true };
      this.exporters.set(exporter, delta);
    }
    delta.lastSeenMs = nowMs;
    delta.packets++;
    delta.records += result.records.length;
    delta.lostRecords += result.lostRecords;
    for (const e of result.errors) delta.errors[e.reason] = (delta.errors[e.reason] ?? 0) + 1;
    delta.dirty = true;
  }

  /** Writes the activity since the last flush, one statement per tenant. */
  async flush(): Promise<void> {
    const dirty = [...this.exporters].filter(([, d]) => d.dirty);
    if (dirty.length === 0 || !this.db.ready) return;
    const statuses = new Map(this.decoder.exporterStatuses().map((s) => [s.exporter, s]));
    const agents = new Map(this.sflow.agentStatuses().map((a) => [a.exporter, a]));
    const byTenant = new Map<string, Array<{ address: string; delta: ExporterDelta; activity: ExporterActivity }>>();
    for (const [address, delta] of dirty) {
      const status = statuses.get(address);
      const domains: ExporterDomainDto[] = (status?.domains ?? []).map((d) => ({
        version: d.version,
        observationDomain: d.observationDomain,
        templates: d.templates,
        optionsTemplates: d.optionsTemplates,
        samplingRate: d.samplingRate,
        lostRecords: d.lostRecords,
      }));
      for (const sub of agents.get(address)?.subAgents ?? []) {
        domains.push({
          version: SFLOW_V5_RECORD_VERSION,
          observationDomain: sub.subAgentId,
          templates: 0,
          optionsTemplates: 0,
          samplingRate: sub.samplingRate,
          lostRecords: sub.lostRecords,
        });
      }
      const rates = domains.map((d) => d.samplingRate).filter((r): r is number => r !== null);
      const activity: ExporterActivity = {
        address,
        firstSeenMs: delta.firstSeenMs,
        lastSeenMs: delta.lastSeenMs,
        packets: delta.packets,
        records: delta.records,
        lostRecords: delta.lostRecords,
        decodeErrors: { ...delta.errors },
        samplingRate: rates.length > 0 ? Math.max(...rates) : null,
        domains,
        samplingState: this.decoder.exportState(address).domains,
      };
      let list = byTenant.get(delta.tenantId);
      if (list === undefined) byTenant.set(delta.tenantId, (list = []));
      list.push({ address, delta, activity });
    }
    for (const [tenantId, list] of byTenant) {
      try {
        await this.db.withTenant(tenantId, (m) => new ExporterRepository(m).recordActivity(tenantId, list.map((l) => l.activity)));
        // Only now subtract what was written: packets counted during the write stay for the next flush.
        for (const { delta, activity } of list) {
          delta.packets -= activity.packets;
          delta.records -= activity.records;
          delta.lostRecords -= activity.lostRecords;
          for (const [reason, n] of Object.entries(activity.decodeErrors)) {
            delta.errors[reason] -= n;
            if (delta.errors[reason] === 0) delete delta.errors[reason];
          }
          delta.firstSeenMs = delta.lastSeenMs;
          delta.dirty = delta.packets !== 0 || delta.records !== 0 || delta.lostRecords !== 0 || Object.keys(delta.errors).length > 0;
        }
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, tenantId, exporters: list.length }, 'exporter registry flush failed; retrying next time');
      }
    }
  }
}
