import fc from 'fast-check';
import { NetflowDecoder, SflowDecoder } from '@clarion/netflow';
import { Registry } from 'prom-client';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the netflow library's packet builders, test-only by design (libs/netflow/README.md)
import { buildIpfixMessage, buildV5Packet, IPFIX_REALISTIC_FIELDS, flowFieldValues, sampleFlows } from '../../../../libs/netflow/src/testing/packet-builders';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the netflow library's sFlow encoder, test-only by design (libs/netflow/README.md)
import { buildSflowDatagram, sampledFrame, sampledHeaderRecord, type SflowSampleSpec } from '../../../../libs/netflow/src/testing/sflow-builders';
import type { ExporterRegistry } from '../exporters/exporter-registry';
import { IngestMetrics } from '../metrics/ingest-metrics';
import { SflowInterfaceMetrics } from '../metrics/sflow-interface-metrics';
import type { FlowBatcher } from '../storage/flow-batcher';
import type { TemplateStore } from '../templates/template-store';
import type { TenantDirectory, TenantLookup } from '../tenancy/tenant-directory';
import { FlowCollector } from './flow-collector';
import { DEFAULT_PENDING_LIMITS, PendingPackets } from './pending-packets';

const TENANT = '6f1c1b7e-3b5c-4a59-9d0e-1a2b3c4d5e6f';

function setup(maxInterfaces = 100, lookup?: (exporter: string) => TenantLookup, pending?: PendingPackets) {
  const registry = new Registry();
  const metrics = new IngestMetrics(registry);
  const decoder = new NetflowDecoder();
  const added: Array<{ tenantId: string; records: number }> = [];
  const recorded: string[] = [];
  const activity: Array<{ exporter: string; records: number; lostRecords: number }> = [];
  const changed: string[] = [];
  const tenants = {
    lookup: lookup ?? ((exporter: string): TenantLookup => (exporter.startsWith('10.') ? { tenantId: TENANT, slug: 'acme' } : { refused: 'no_tenant' })),
  } as unknown as TenantDirectory;
  const batcher = { add: (tenantId: string, records: unknown[]) => added.push({ tenantId, records: records.length }) } as unknown as FlowBatcher;
  const exporters = {
    record: (exporter: string, _tenant: string, result: { records: unknown[]; lostRecords: number }) => {
      recorded.push(exporter);
      activity.push({ exporter, records: result.records.length, lostRecords: result.lostRecords });
    },
  } as unknown as ExporterRegistry;
  const templates = { markChanged: (exporter: string) => changed.push(exporter) } as unknown as TemplateStore;
  const interfaces = new SflowInterfaceMetrics(registry, maxInterfaces);
  const collector = new FlowCollector(decoder, new SflowDecoder(), tenants, batcher, exporters, templates, metrics, interfaces, () => 1_764_000_000_000, pending);
  const value = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>;
    return values.filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l)).reduce((s, v) => s + v.value, 0);
  };
  return { collector, added, recorded, activity, changed, value };
}

const sflowFlow = (sequence: number): SflowSampleSpec => ({
  kind: 'flow',
  sequence,
  sourceIdIndex: 3,
  samplingRate: 100,
  samplePool: sequence * 100,
  drops: 0,
  input: 3,
  output: 4,
  records: [
    sampledHeaderRecord(
      sampledFrame({ srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', ipVersion: 4, srcAddress: '10.5.5.5', dstAddress: '10.6.6.6', protocol: 6, srcPort: 1234, dstPort: 443, tcpFlags: 2, payloadLength: 100 }),
    ),
  ],
});

const ifCounters = (ifIndex: number) => ({
  kind: 'interface' as const,
  ifIndex,
  ifType: 6,
  ifSpeed: 10_000_000_000,
  ifDirection: 1,
  adminUp: true,
  operUp: true,
  inOctets: 5_000_000_000,
  inUnicastPackets: 10,
  inMulticastPackets: 2,
  inBroadcastPackets: 1,
  inDiscards: 3,
  inErrors: 4,
  inUnknownProtocols: 0,
  outOctets: 7_000,
  outUnicastPackets: 20,
  outMulticastPackets: 0,
  outBroadcastPackets: 0,
  outDiscards: 5,
  outErrors: 6,
  promiscuous: false,
});

const ipfix = (sequence: number, withTemplate: boolean) => {
  const flows = sampleFlows(3, sequence + 1, { baseMs: 1_764_000_000_000 });
  return buildIpfixMessage({
    exportTimeSecs: 1_764_000_000,
    sequence,
    observationDomain: 1,
    sets: [
      ...(withTemplate ? [{ kind: 'template' as const, templates: [{ templateId: 300, fields: [...IPFIX_REALISTIC_FIELDS] }] }] : []),
      { kind: 'data' as const, templateId: 300, fields: [...IPFIX_REALISTIC_FIELDS], records: flows.map((f) => flowFieldValues(IPFIX_REALISTIC_FIELDS, f)) },
    ],
  });
};

/** A lookup that is pending until `answer()` is called, then answers the tenant (or keeps pending when `stillPending`). */
function firstSight(stillPending = false) {
  let answer!: () => void;
  const lookedUp = new Promise<void>((resolve) => (answer = resolve));
  let known = false;
  void lookedUp.then(() => (known = !stillPending));
  const lookup = (): TenantLookup => (known ? { tenantId: TENANT, slug: 'acme' } : { pending: lookedUp });
  return { lookup, answer: async () => { answer(); await new Promise((r) => setImmediate(r)); } };
}

describe('flow collector', () => {
  it('holds the packets of an exporter looked up on first sight and decodes them in order once the lookup answers', async () => {
    const sight = firstSight();
    const { collector, added, value } = setup(100, sight.lookup);
    collector.onPacket(ipfix(0, true), '10.7.7.7');
    collector.onPacket(ipfix(1, false), '10.7.7.7');
    expect(added).toEqual([]);
    expect(collector.pendingBytes).toBeGreaterThan(0);
    expect(await value('clarion_ingest_packets_held_total')).toBe(2);
    await sight.answer();
    // The template came with the first packet and is decoded first: the data after it decodes too.
    expect(added).toEqual([
      { tenantId: TENANT, records: 3 },
      { tenantId: TENANT, records: 3 },
    ]);
    expect(await value('clarion_ingest_template_misses_total')).toBe(0);
    expect(await value('clarion_ingest_packets_refused_total')).toBe(0);
    expect(collector.pendingBytes).toBe(0);
    collector.onPacket(ipfix(2, false), '10.7.7.7');
    expect(added).toHaveLength(3);
  });

  it('refuses as tenant_unresolved what does not fit the wait, and a held packet whose lookup still knows nothing', async () => {
    const sight = firstSight(true);
    const { collector, added, value } = setup(100, sight.lookup, new PendingPackets({ ...DEFAULT_PENDING_LIMITS, perExporterPackets: 1 }));
    collector.onPacket(ipfix(0, true), '10.8.8.8');
    collector.onPacket(ipfix(1, false), '10.8.8.8');
    expect(await value('clarion_ingest_packets_refused_total', { reason: 'tenant_unresolved' })).toBe(1);
    await sight.answer();
    expect(added).toEqual([]);
    expect(await value('clarion_ingest_packets_refused_total', { reason: 'tenant_unresolved' })).toBe(2);
  });

  it('decodes a packet into the tenant batch and counts it by version and exporter', async () => {
    const { collector, added, recorded, changed, value } = setup();
    collector.onPacket(ipfix(0, true), '::ffff:10.1.1.1');
    expect(added).toEqual([{ tenantId: TENANT, records: 3 }]);
    expect(recorded).toEqual(['10.1.1.1']);
    expect(changed).toEqual(['10.1.1.1']);
    expect(await value('clarion_ingest_packets_total', { version: '10', exporter: '10.1.1.1' })).toBe(1);
    expect(await value('clarion_ingest_records_total', { version: '10', exporter: '10.1.1.1' })).toBe(3);
  });

  it('counts data that waits for its template, and the records released when it comes', async () => {
    const { collector, added, value } = setup();
    collector.onPacket(ipfix(0, false), '10.1.1.1');
    expect(added).toEqual([]);
    expect(await value('clarion_ingest_template_misses_total')).toBe(1);
    collector.onPacket(ipfix(3, true), '10.1.1.1');
    expect(added).toEqual([{ tenantId: TENANT, records: 6 }]);
    expect(await value('clarion_ingest_held_records_released_total')).toBe(3);
  });

  it('counts records lost between exporter and collector from sequence gaps', async () => {
    const { collector, value } = setup();
    const v5 = (sequence: number) =>
      buildV5Packet({
        sysUptimeMs: 100_000,
        unixSecs: 1_764_000_000,
        sequence,
        records: [{ srcAddress: '10.0.0.1', dstAddress: '10.0.0.2', inputInterface: 1, outputInterface: 2, packets: 1, bytes: 60, firstUptimeMs: 99_000, lastUptimeMs: 99_500, srcPort: 1, dstPort: 2, tcpFlags: 0, protocol: 17 }],
      });
    collector.onPacket(v5(0), '10.9.9.9');
    collector.onPacket(v5(11), '10.9.9.9');
    expect(await value('clarion_ingest_lost_records_total', { exporter: '10.9.9.9' })).toBe(10);
  });

  it('refuses packets of exporters without a tenant before decoding them', async () => {
    const { collector, added, recorded, value } = setup();
    collector.onPacket(ipfix(0, true), '192.0.2.1');
    expect(added).toEqual([]);
    expect(recorded).toEqual([]);
    expect(await value('clarion_ingest_packets_refused_total', { reason: 'no_tenant' })).toBe(1);
    expect(await value('clarion_ingest_packets_total')).toBe(0);
  });

  it('decodes sFlow datagrams on the same path: tenant by source address, exporter = agent address, loss counted', async () => {
    const { collector, added, recorded, activity, value } = setup();
    const datagram = (sequence: number, samples: SflowSampleSpec[]) =>
      buildSflowDatagram({ agent: '192.0.2.30', subAgentId: 1, sequence, uptimeMs: 1_000, samples });
    collector.onPacket(datagram(1, [sflowFlow(1), sflowFlow(2)]), '::ffff:10.3.3.3');
    // Datagrams 2-3 and flow samples 3-5 lost.
    collector.onPacket(datagram(4, [sflowFlow(6)]), '10.3.3.3');
    expect(added).toEqual([
      { tenantId: TENANT, records: 2 },
      { tenantId: TENANT, records: 1 },
    ]);
    expect(recorded).toEqual(['192.0.2.30', '192.0.2.30']);
    expect(activity).toEqual([
      { exporter: '192.0.2.30', records: 2, lostRecords: 0 },
      { exporter: '192.0.2.30', records: 1, lostRecords: 3 },
    ]);
    expect(await value('clarion_ingest_packets_total', { version: 'sflow', exporter: '192.0.2.30' })).toBe(2);
    expect(await value('clarion_ingest_records_total', { version: 'sflow', exporter: '192.0.2.30' })).toBe(3);
    expect(await value('clarion_ingest_lost_records_total', { exporter: '192.0.2.30' })).toBe(3);
    expect(await value('clarion_ingest_sflow_lost_datagrams_total', { exporter: '192.0.2.30' })).toBe(2);
    // An agent claiming an address with a tenant does not make a datagram from a source without one acceptable.
    collector.onPacket(datagram(5, [sflowFlow(7)]), '192.0.2.30');
    expect(await value('clarion_ingest_packets_refused_total', { reason: 'no_tenant' })).toBe(1);
    expect(added).toHaveLength(2);
  });

  it('exports sFlow interface counters as gauges, bounded by the number of interfaces tracked', async () => {
    const { collector, value } = setup(2);
    const counters = (sequence: number, ifIndexes: number[]) =>
      buildSflowDatagram({
        agent: '192.0.2.31',
        subAgentId: 0,
        sequence,
        uptimeMs: 1_000,
        samples: ifIndexes.map((i) => ({ kind: 'counters' as const, sequence, sourceIdIndex: i, records: [ifCounters(i)] })),
      });
    collector.onPacket(counters(1, [1, 2, 3]), '10.3.3.3');
    const one = { exporter: '192.0.2.31', if_index: '1' };
    expect(await value('clarion_ingest_sflow_interface_octets', { ...one, direction: 'in' })).toBe(5_000_000_000);
    expect(await value('clarion_ingest_sflow_interface_octets', { ...one, direction: 'out' })).toBe(7_000);
    expect(await value('clarion_ingest_sflow_interface_packets', { ...one, direction: 'in' })).toBe(13);
    expect(await value('clarion_ingest_sflow_interface_errors', { ...one, direction: 'out' })).toBe(6);
    expect(await value('clarion_ingest_sflow_interface_discards', { ...one, direction: 'in' })).toBe(3);
    expect(await value('clarion_ingest_sflow_interface_up', one)).toBe(1);
    expect(await value('clarion_ingest_sflow_interface_speed_bps', one)).toBe(10_000_000_000);
    expect(await value('clarion_ingest_sflow_interface_up', { exporter: '192.0.2.31', if_index: '3' })).toBe(0);
    expect(await value('clarion_ingest_sflow_interface_counters_dropped_total')).toBe(1);
    // Known interfaces keep being updated.
    collector.onPacket(counters(2, [2]), '10.3.3.3');
    expect(await value('clarion_ingest_sflow_interface_counters_dropped_total')).toBe(1);
  });

  it('never throws on garbage, truncated or mutated packets, and counts every rejection by reason', async () => {
    const { collector, value } = setup();
    const good = ipfix(0, true);
    const sflow = buildSflowDatagram({ agent: '192.0.2.32', subAgentId: 0, sequence: 1, uptimeMs: 0, samples: [sflowFlow(1), sflowFlow(2)] });
    let sent = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 1500 }),
          fc.integer({ min: 0, max: good.length }).map((n) => good.subarray(0, n)),
          fc.integer({ min: 0, max: sflow.length }).map((n) => sflow.subarray(0, n)),
          fc.array(fc.tuple(fc.integer({ min: 4, max: sflow.length - 1 }), fc.nat(255)), { minLength: 1, maxLength: 8 }).map((edits) => {
            const copy = sflow.slice();
            for (const [i, b] of edits) copy[i] = b;
            return copy;
          }),
          fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { minLength: 1, maxLength: 8 }).map((edits) => {
            const copy = good.slice();
            for (const [i, b] of edits) copy[i] = b;
            return copy;
          }),
        ),
        (packet) => {
          expect(() => collector.onPacket(packet, '10.2.2.2')).not.toThrow();
          sent++;
        },
      ),
      { numRuns: 500 },
    );
    expect(sent).toBe(500);
    expect(await value('clarion_ingest_packets_total')).toBe(500);
    expect(await value('clarion_ingest_decode_errors_total')).toBeGreaterThan(0);
    expect(await value('clarion_ingest_decode_errors_total', { reason: 'DECODER_FAULT' })).toBe(0);
    collector.tick();
  });
});
