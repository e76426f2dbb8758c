import { HeldDropReason, isSflowDatagram, type NetflowDecoder, type NetflowDecoderStats, type SflowDecoder } from '@clarion/netflow';
import type { Counter } from 'prom-client';
import type { ExporterRegistry } from '../exporters/exporter-registry';
import type { IngestMetrics } from '../metrics/ingest-metrics';
import type { SflowInterfaceMetrics } from '../metrics/sflow-interface-metrics';
import type { FlowBatcher } from '../storage/flow-batcher';
import type { TemplateStore } from '../templates/template-store';
import { normaliseExporterAddress } from '../tenancy/exporter-tenant-map';
import { PendingPackets, type HeldPacket } from './pending-packets';
import type { TenantDirectory } from '../tenancy/tenant-directory';

const VERSION_LABEL: Record<number, string> = { 5: '5', 9: '9', 10: '10' };
const SFLOW_LABEL = 'sflow';

/**
 * The hot path: one export packet in, flows into the tenant's open batch. Refuses exporters without a tenant (or
 * disabled, or of a suspended tenant) before decoding (they cost no decoder state), holds the packets of an exporter
 * or tenant being looked up on first sight, decodes, and accounts for everything the packet produced (records,
 * errors, template misses, released held data, sequence loss) in metrics and the exporter registry.
 *
 * sFlow datagrams (told apart by their first four bytes, on any port) go to the sFlow decoder. Their tenant comes from
 * the datagram's source address, as for NetFlow, because the agent address inside is whatever the sender writes; the
 * exporter their flows, metrics and registry entry name is that agent address.
 */
export class FlowCollector {
  /** Labelled counter children, cached: looking labels up costs more than the increment. */
  private readonly packetCounters = new Map<string, Counter.Internal>();
  private readonly recordCounters = new Map<string, Counter.Internal>();
  private lastStats?: NetflowDecoderStats;

  constructor(
    private readonly decoder: NetflowDecoder,
    private readonly sflow: SflowDecoder,
    private readonly tenants: TenantDirectory,
    private readonly batcher: FlowBatcher,
    private readonly registry: ExporterRegistry,
    private readonly templates: TemplateStore,
    private readonly metrics: IngestMetrics,
    private readonly interfaces: SflowInterfaceMetrics,
    private readonly now: () => number = Date.now,
    private readonly pending: PendingPackets = new PendingPackets(),
  ) {}

  /** One UDP payload from `sourceAddress`, received at `receivedAtMs` (now when omitted). Never throws. */
  onPacket(packet: Uint8Array, sourceAddress: string, receivedAtMs: number = this.now()): void {
    this.route(packet, normaliseExporterAddress(sourceAddress), receivedAtMs, true);
  }

  /** Bytes of packets waiting for their tenant's lookup. */
  get pendingBytes(): number {
    return this.pending.heldBytes;
  }

  private route(packet: Uint8Array, exporter: string, receivedAtMs: number, mayHold: boolean): void {
    const tenant = this.tenants.lookup(exporter);
    if ('pending' in tenant) {
      // First sight of the exporter or its tenant: the packet waits for the lookup (once), then goes the way it says.
      const release = (held: HeldPacket[]) => {
        for (const p of held) this.route(p.packet, exporter, p.receivedAtMs, false);
      };
      if (mayHold && this.pending.hold(exporter, packet, receivedAtMs, tenant.pending, release)) this.metrics.packetsHeld.inc();
      else this.metrics.packetsRefused.inc({ reason: 'tenant_unresolved' });
      return;
    }
    if ('refused' in tenant) {
      this.metrics.packetsRefused.inc({ reason: tenant.refused });
      return;
    }
    if (isSflowDatagram(packet)) {
      this.onSflowDatagram(packet, exporter, tenant.tenantId, receivedAtMs);
      return;
    }
    const result = this.decoder.decode(packet, exporter, receivedAtMs);
    const version = result.version === null ? 'unknown' : VERSION_LABEL[result.version];
    this.counter(this.packetCounters, this.metrics.packets, version, exporter).inc();
    if (result.records.length > 0) this.counter(this.recordCounters, this.metrics.records, version, exporter).inc(result.records.length);
    for (const e of result.errors) this.metrics.decodeErrors.inc({ reason: e.reason });
    if (result.heldSets > 0) this.metrics.templateMisses.inc(result.heldSets);
    if (result.releasedRecords > 0) this.metrics.heldRecordsReleased.inc(result.releasedRecords);
    if (result.lostRecords > 0) this.metrics.lostRecords.inc({ exporter }, result.lostRecords);
    else if (result.lostRecords < 0) this.metrics.lostRecordsRecovered.inc({ exporter }, -result.lostRecords);
    this.registry.record(exporter, tenant.tenantId, result, receivedAtMs);
    if (result.templatesChanged) this.templates.markChanged(exporter, tenant.tenantId);
    if (result.records.length > 0) this.batcher.add(tenant.tenantId, result.records, receivedAtMs);
  }

  private onSflowDatagram(datagram: Uint8Array, source: string, tenantId: string, receivedAtMs: number): void {
    const result = this.sflow.decode(datagram, source, receivedAtMs);
    // The agent address names the exporter; before the header is read there is only the source.
    const exporter = result.exporter ?? source;
    this.counter(this.packetCounters, this.metrics.packets, SFLOW_LABEL, exporter).inc();
    if (result.records.length > 0) this.counter(this.recordCounters, this.metrics.records, SFLOW_LABEL, exporter).inc(result.records.length);
    for (const e of result.errors) this.metrics.decodeErrors.inc({ reason: e.reason });
    if (result.lostRecords > 0) this.metrics.lostRecords.inc({ exporter }, result.lostRecords);
    else if (result.lostRecords < 0) this.metrics.lostRecordsRecovered.inc({ exporter }, -result.lostRecords);
    if (result.lostDatagrams > 0) this.metrics.sflowLostDatagrams.inc({ exporter }, result.lostDatagrams);
    else if (result.lostDatagrams < 0) this.metrics.sflowLostDatagramsRecovered.inc({ exporter }, -result.lostDatagrams);
    this.registry.record(exporter, tenantId, result, receivedAtMs);
    if (result.interfaceCounters.length > 0) this.interfaces.update(result.interfaceCounters);
    if (result.records.length > 0) this.batcher.add(tenantId, result.records, receivedAtMs);
  }

  /** Periodic: ages out held data and turns the decoder's own statistics into gauges and counters. */
  tick(): void {
    this.decoder.expireHeldData(this.now());
    const stats = this.decoder.stats();
    this.metrics.heldSets.set(stats.held.sets);
    this.metrics.heldBytes.set(stats.held.bytes);
    this.metrics.templates.set(stats.templates.active);
    this.metrics.exporters.set(stats.exporters + this.sflow.stats().agents);
    for (const reason of Object.values(HeldDropReason)) {
      const delta = stats.held.dropped[reason] - (this.lastStats?.held.dropped[reason] ?? 0);
      if (delta > 0) this.metrics.heldSetsDropped.inc({ reason }, delta);
    }
    this.lastStats = stats;
  }

  private counter(cache: Map<string, Counter.Internal>, counter: Counter<'version' | 'exporter'>, version: string, exporter: string): Counter.Internal {
    const key = `${version}|${exporter}`;
    let child = cache.get(key);
    if (child === undefined) {
      child = counter.labels({ version, exporter });
      if (cache.size > 50_000) cache.clear();
      cache.set(key, child);
    }
    return child;
  }
}
