import { DeliverPolicy, connect, type NatsConnection } from 'nats';
import { ErrorCode, FlowSubjects, Streams, Subjects, decodeFlowBatch, type ExporterDto, type FlowBatchEvent, type Page } from '@clarion/contracts';
import { RpcClient, natsConnectionOptions } from '@clarion/messaging';
import { NatsServerProcess, waitFor } from '@clarion/testing';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the workspace's pcap writer (tools/pcap), test-only
import { ethernet, ipv4, udp, writePcap } from '../../../tools/pcap/pcap-writer';
import { runPmacctd, runSoftflowd, startNfcapd } from './support/exporters';
import { IngestUnderTest, createTenant, freeUdpPort, queryAsTenant, storedFlows } from './support/ingest-harness';
import { knownTraffic, totalsByTuple, type KnownFlow } from './support/known-traffic';

/**
 * Real flow exporters end to end: a capture of known traffic, exported by softflowd (NetFlow v5, v9, IPFIX) and pmacct's
 * pmacctd (nfprobe), over UDP into the built ingest service, into PostgreSQL; compared per 5-tuple with the traffic
 * itself and with nfdump's collector fed the same export. NATS is a private nats-server as deployed (TLS, an nkey per
 * identity, the rendered permissions).
 */
describe('ingest with real exporters (softflowd, pmacctd, nfcapd)', () => {
  let work: string;
  let pcap: string;
  let traffic: ReturnType<typeof knownTraffic>;
  const running: IngestUnderTest[] = [];
  const nats = new NatsServerProcess({ secure: true });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'clarion-ingest-e2e-'));
    await nats.start();
    // Recent traffic, so the flows land in today's partitions like live traffic would.
    traffic = knownTraffic({ startMs: Date.now() - 10 * 60_000, conversations: 48 });
    pcap = join(work, 'known-traffic.pcap');
    await writeFile(pcap, writePcap(traffic.frames));
  });

  afterAll(async () => {
    for (const ingest of running) await ingest.stop();
    await nats.stop();
    await rm(work, { recursive: true, force: true });
  });

  async function ingestFor(prefix: string): Promise<{ ingest: IngestUnderTest; tenant: { id: string; slug: string } }> {
    const tenant = await createTenant(prefix);
    const ingest = await IngestUnderTest.start({ nats, tenantSlug: tenant.slug, spoolDir: join(work, `spool-${tenant.slug}`) });
    running.push(ingest);
    return { ingest, tenant };
  }

  const ipv4Only = (flows: KnownFlow[]) => flows.filter((f) => !f.srcAddress.includes(':'));

  /** Same 5-tuples, and per 5-tuple the same number of flows, packets and bytes. */
  function expectSameFlows(actual: KnownFlow[], expected: KnownFlow[]): void {
    const a = totalsByTuple(actual);
    const e = totalsByTuple(expected);
    expect([...a.byTuple.keys()].sort()).toEqual([...e.byTuple.keys()].sort());
    for (const [key, totals] of e.byTuple) expect({ key, ...a.byTuple.get(key) }).toEqual({ key, ...totals });
    expect({ flows: a.flows, packets: a.packets, bytes: a.bytes }).toEqual({ flows: e.flows, packets: e.packets, bytes: e.bytes });
  }

  it.each([5, 9, 10] as const)('stores what softflowd exports as NetFlow v%s: one flow per 5-tuple with its packets and bytes', async (version) => {
    const { ingest, tenant } = await ingestFor(`softflowd-v${version}`);
    const expected = version === 5 ? ipv4Only(traffic.flows) : traffic.flows; // v5 carries IPv4 only
    // Any port takes any version: IPFIX goes to the "NetFlow" port and v5/v9 to the "IPFIX" one.
    const port = version === 10 ? ingest.udpPorts[0] : ingest.udpPorts[1];
    await runSoftflowd(pcap, port, version, join(work, `sf-${version}`));
    await waitFor(async () => (await storedFlows(tenant.id)).length >= expected.length, 20_000, `${expected.length} flows stored`);
    const stored = await storedFlows(tenant.id);
    expect(new Set(stored.map((f) => f.version))).toEqual(new Set([version]));
    expectSameFlows(stored, expected);
    expect(await ingest.metric('clarion_ingest_records_total', { version: String(version), exporter: '127.0.0.1' })).toBe(expected.length);
    expect(await ingest.metric('clarion_ingest_decode_errors_total')).toBe(0);
  });

  it('stores what pmacctd (nfprobe plugin, IPFIX) exports: one flow per 5-tuple with its packets and bytes', async () => {
    const { ingest, tenant } = await ingestFor('pmacctd');
    // pmacctd 1.7.7 hands the last buffer of packets to its plugin twice when it shuts down after a capture file
    // (the count varies with plugin_buffer_size). Trailing filler traffic takes that duplication, away from the
    // flows under test; the filler flow itself is only checked to be there.
    let t = traffic.frames[traffic.frames.length - 1].timestampMs;
    const filler = Array.from({ length: 300 }, () => ({ timestampMs: (t += 1), data: ethernet(ipv4('198.51.100.1', '198.51.100.2', udp(9, 9, new Uint8Array(10)))) }));
    const padded = join(work, 'known-traffic-padded.pcap');
    await writeFile(padded, writePcap([...traffic.frames, ...filler]));
    await runPmacctd(padded, ingest.netflowPort, 10, join(work, 'pmacctd'));
    await waitFor(async () => (await storedFlows(tenant.id)).length >= traffic.flows.length + 1, 20_000, 'pmacctd flows stored');
    const stored = await storedFlows(tenant.id);
    const isFiller = (f: KnownFlow) => f.srcAddress === '198.51.100.1';
    expectSameFlows(stored.filter((f) => !isFiller(f)), traffic.flows);
    expect(stored.filter(isFiller).reduce((n, f) => n + f.packets, 0)).toBeGreaterThanOrEqual(300);
  });

  it('agrees with nfdump: the same softflowd export into nfcapd gives the same flows, packets and bytes', async () => {
    const { ingest, tenant } = await ingestFor('nfcapd');
    const nfcapdPort = await freeUdpPort();
    const nfcapd = await startNfcapd(join(work, 'nfcapd'), nfcapdPort);
    await runSoftflowd(pcap, nfcapdPort, 9, join(work, 'sf-nfcapd'));
    const fromNfdump = await nfcapd.stop();
    await runSoftflowd(pcap, ingest.netflowPort, 9, join(work, 'sf-ingest'));
    await waitFor(async () => (await storedFlows(tenant.id)).length >= fromNfdump.length, 20_000, 'flows stored');
    expect(fromNfdump.length).toBe(traffic.flows.length);
    expectSameFlows(await storedFlows(tenant.id), fromNfdump);
  });

  it('publishes every committed batch to clarion.flows.batch.v1, the batch id as message id, with every stored flow', async () => {
    // Reading the stream from a consumer of the test's own takes JetStream administration: the operator identity
    // (clustering may create and read only its durable consumer).
    const nc: NatsConnection = await connect(natsConnectionOptions(nats.clientOf('operator')));
    try {
      const startTime = new Date(Date.now() - 1_000).toISOString();
      const { ingest, tenant } = await ingestFor('events');
      await runSoftflowd(pcap, ingest.netflowPort, 10, join(work, 'sf-events'));
      await waitFor(async () => (await storedFlows(tenant.id)).length >= traffic.flows.length, 20_000, 'flows stored');
      const consumer = await nc.jetstream().consumers.get(Streams.flows.name, {
        filterSubjects: FlowSubjects.batch, // a string: NATS servers before 2.10 know filter_subject only
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: startTime,
      });
      const events: Array<{ event: FlowBatchEvent; msgId: string | undefined }> = [];
      const deadline = Date.now() + 20_000;
      while (events.reduce((n, e) => n + e.event.flows.length, 0) < traffic.flows.length && Date.now() < deadline) {
        const batch = await consumer.fetch({ max_messages: 100, expires: 1_000 });
        for await (const m of batch) {
          const event = decodeFlowBatch(m.data);
          if (event.tenantId === tenant.id) events.push({ event, msgId: m.headers?.get('Nats-Msg-Id') });
        }
      }
      const flows = events.flatMap((e) => e.event.flows);
      expectSameFlows(
        flows.map((f) => ({ ...f, srcAddress: f.srcAddress ?? '', dstAddress: f.dstAddress ?? '' })),
        traffic.flows,
      );
      for (const { event, msgId } of events) expect(msgId).toBe(`${event.batchId}.${event.part}`);
      const batchIds = [...new Set(events.map((e) => e.event.batchId))];
      const ledger = await queryAsTenant<{ n: string }>(tenant.id, 'SELECT count(*) AS n FROM flow_batches WHERE batch_id = ANY($1::uuid[])', [batchIds]);
      expect(Number(ledger[0].n)).toBe(batchIds.length);
    } finally {
      await nc.close();
    }
  });

  it('serves the exporter registry over NATS to the tenant it belongs to', async () => {
    const { ingest, tenant } = await ingestFor('registry');
    await runSoftflowd(pcap, ingest.netflowPort, 9, join(work, 'sf-registry'));
    await waitFor(async () => (await storedFlows(tenant.id)).length >= traffic.flows.length, 20_000, 'flows stored');
    // The registry is asked for what the gateway would ask, as the gateway (the only caller allowed): its nkey and its
    // signed caller assertion.
    const rpc = new RpcClient(natsConnectionOptions(nats.clientOf('gateway', 'ingest-e2e')), 5_000, undefined, nats.callerSignerOf('gateway'));
    await rpc.connect();
    try {
      const actor = { kind: 'user' as const, tenantId: tenant.id, id: 'e2e', permissions: ['exporters:read' as const] };
      let page: Page<ExporterDto> = { items: [], nextCursor: null };
      await waitFor(
        async () => {
          page = await rpc.send<Page<ExporterDto>>(Subjects.ingest.exportersList, { actor, limit: 10 });
          return page.items[0]?.records === traffic.flows.length;
        },
        10_000,
        'registry flushed',
      );
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({ address: '127.0.0.1', records: traffic.flows.length, lostRecords: 0, decodeErrors: {} });
      expect(page.items[0].packets).toBeGreaterThan(0);
      expect(page.items[0].domains).toEqual([expect.objectContaining({ version: 9, templates: expect.any(Number) })]);
      const one = await rpc.send<ExporterDto>(Subjects.ingest.exportersGet, { actor, address: '127.0.0.1' });
      expect(one.records).toBe(traffic.flows.length);
      await expect(rpc.send(Subjects.ingest.exportersList, { actor: { ...actor, permissions: [] } })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
      await expect(rpc.send(Subjects.ingest.exportersList, { actor, limit: 0, extra: true })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
      const other = await createTenant('registry-other');
      const empty = await rpc.send<Page<ExporterDto>>(Subjects.ingest.exportersList, { actor: { ...actor, tenantId: other.id } });
      expect(empty.items).toEqual([]);
    } finally {
      await rpc.close();
    }
  });
});
