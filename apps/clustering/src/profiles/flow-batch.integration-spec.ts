import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  DEFAULT_PROFILE_PARAMETERS,
  EndpointProfile,
  decodeProfile,
  encodeProfile,
  observeFlowOnEndpoints,
  runClustering,
  serialiseClusterModel,
  type EndpointInput,
} from '@clarion/clustering-core';
import {
  Consumers,
  EventSubjects,
  FlowSubjects,
  Streams,
  encodeFlowBatchParts,
  flowBatchMessageId,
  type ClustersUpdatedEvent,
  type FlowBatchEvent,
  type FlowBatchFlow,
} from '@clarion/contracts';
import { NatsConnectionHolder, ensureStream, natsConnectionOptions, publishTraced } from '@clarion/messaging';
import { Database } from '@clarion/persistence';
import { NatsServerProcess, TestInfra, testLogger, waitFor } from '@clarion/testing';
import type { JetStreamClient } from 'nats';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Registry } from 'prom-client';
// eslint-disable-next-line @nx/enforce-module-boundaries -- clustering-core's synthetic role flows, test-only by design (see the file header)
import { FLOW_ROLE_NAMES, synthesiseRoleFlows } from '../../../../libs/clustering-core/src/testing/role-flows';
import { BatchLedgerPruner } from './batch-ledger.pruner';
import { ClustersUpdatedNotifier } from './clusters-updated.notifier';
import { FlowBatchConsumer, type FlowBatchConsumerOptions } from './flow-batch.consumer';
import { EndpointScopes } from './endpoint-scopes';
import { FlowBatchProcessor } from './flow-batch.processor';
import { IncrementalAssigner } from './incremental-assigner';
import { ProfileCache } from './profile-cache';
import { ProfilesMetrics } from './profiles-metrics';
import { apiSummaryOf } from '../query/shared/service-label';

const T0 = Date.UTC(2025, 2, 3, 9, 0, 0); // a Monday morning
const TCP = 6;
const UDP = 17;
const SYN_ACK_PSH = 0x1a;

function flow(partial: Partial<FlowBatchFlow>): FlowBatchFlow {
  return {
    srcAddress: null,
    dstAddress: null,
    srcMac: null,
    dstMac: null,
    srcPort: 0,
    dstPort: 0,
    protocol: TCP,
    tcpFlags: SYN_ACK_PSH,
    bytes: 100,
    packets: 1,
    startMs: T0,
    endMs: T0 + 1000,
    srcSgt: null,
    dstSgt: null,
    ...partial,
  };
}

/** A TCP connection from `client` to `server:port`: the request record and its response record. */
function connection(client: string, server: string, port: number, at: number, tags: { client?: number; server?: number } = {}, clientMac?: string): FlowBatchFlow[] {
  const ephemeral = 40000 + (at % 20000);
  return [
    flow({ srcAddress: client, dstAddress: server, srcMac: clientMac ?? null, srcPort: ephemeral, dstPort: port, bytes: 500, packets: 4, startMs: at, endMs: at + 2000, srcSgt: tags.client ?? null, dstSgt: tags.server ?? null }),
    flow({ srcAddress: server, dstAddress: client, dstMac: clientMac ?? null, srcPort: port, dstPort: ephemeral, bytes: 7000, packets: 6, startMs: at, endMs: at + 2000, srcSgt: tags.server ?? null, dstSgt: tags.client ?? null }),
  ];
}

function batch(tenantId: string, flows: FlowBatchFlow[]): FlowBatchEvent {
  return { batchId: randomUUID(), tenantId, part: 0, parts: 1, sealedAtMs: T0, flows };
}

/** Profiles built in memory from the same flows, as the reference the stored ones must equal. */
function profilesInMemory(flows: readonly FlowBatchFlow[]): Map<string, EndpointProfile> {
  const profiles = new Map<string, EndpointProfile>();
  for (const f of flows) {
    observeFlowOnEndpoints(f, (key) => {
      let p = profiles.get(key);
      if (!p) profiles.set(key, (p = new EndpointProfile(DEFAULT_PROFILE_PARAMETERS)));
      return p;
    });
  }
  return profiles;
}

async function counterValue(metric: { get: () => Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> }, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

describe('flow-batch consumer and endpoint profiles (real NATS JetStream and PostgreSQL)', () => {
  const logger = testLogger();
  const natsServer = new NatsServerProcess();
  const su = new Client({ connectionString: TestInfra.superuserUrl });
  const db = new Database({ url: TestInfra.serviceUrl('clustering'), poolSize: 8, statementTimeoutMs: 10_000, applicationName: 'clustering-profiles-test' }, logger);
  const spans = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  let nats: NatsConnectionHolder;
  let js: JetStreamClient;
  const running: FlowBatchConsumer[] = [];

  const consumerOptions: FlowBatchConsumerOptions = {
    stream: Streams.flows.name,
    durableName: Consumers.clusteringFlows,
    filterSubject: FlowSubjects.batch,
    ackWaitMs: 30_000,
    maxDeliver: 5,
    maxAckPending: 64,
    concurrency: 2,
    retryDelayMs: 200,
    pendingRefreshMs: 1_000,
  };

  /** One clustering instance: fresh in-memory state (cache, assigner models, metrics) over the shared stores. */
  function instance() {
    const metrics = new ProfilesMetrics(new Registry());
    const cache = new ProfileCache(10_000);
    const notifier = new ClustersUpdatedNotifier(nats, 200, logger);
    const assigner = new IncrementalAssigner(db, cache, notifier, metrics, logger);
    const processor = new FlowBatchProcessor(db, cache, assigner, metrics, logger, new EndpointScopes());
    const consumer = new FlowBatchConsumer(nats, processor, consumerOptions, metrics, logger);
    return { metrics, cache, processor, consumer, notifier };
  }

  function started() {
    const i = instance();
    i.consumer.start();
    running.push(i.consumer);
    return i;
  }

  async function stopAll(): Promise<void> {
    await Promise.all(running.splice(0).map((c) => c.stop(Date.now() + 5_000)));
  }

  async function newTenant(): Promise<string> {
    const slug = `prof-${randomUUID().slice(0, 12)}`;
    return (await su.query(`INSERT INTO tenants (slug, name) VALUES ($1, $1) RETURNING id`, [slug])).rows[0].id as string;
  }

  async function publish(event: FlowBatchEvent, msgID = flowBatchMessageId(event.batchId, event.part)): Promise<void> {
    const [payload] = encodeFlowBatchParts(event, event.flows);
    await publishTraced(js, FlowSubjects.batch, payload, { msgID });
  }

  async function storedProfiles(
    tenantId: string,
  ): Promise<Map<string, { profile: Buffer; summary: unknown; apiSummary: unknown; flows: string; address: string | null; mac: string | null; first: Date | null; last: Date | null }>> {
    const { rows } = await su.query(
      `SELECT endpoint_key, profile, summary, api_summary, flows, host(address) AS address, mac::text AS mac, first_seen_at, last_seen_at FROM endpoint_profiles WHERE tenant_id = $1`,
      [tenantId],
    );
    return new Map(
      rows.map((r) => [r.endpoint_key, { profile: r.profile, summary: r.summary, apiSummary: r.api_summary, flows: r.flows, address: r.address, mac: r.mac, first: r.first_seen_at, last: r.last_seen_at }]),
    );
  }

  async function storedEdges(tenantId: string) {
    const { rows } = await su.query(
      `SELECT client_key, server_key, protocol, port, client_tag, server_tag, flows::int, bytes::int, packets::int, first_seen_at, last_seen_at
       FROM endpoint_edges WHERE tenant_id = $1 ORDER BY client_key, server_key, protocol, port, client_tag, server_tag`,
      [tenantId],
    );
    return rows;
  }

  async function ledgerCount(tenantId: string): Promise<number> {
    return (await su.query(`SELECT count(*)::int AS n FROM clustering_batches WHERE tenant_id = $1`, [tenantId])).rows[0].n;
  }

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    // A private server: the dev stack's own clustering service consumes `clustering-flows` on the shared one.
    const url = await natsServer.start();
    nats = new NatsConnectionHolder(natsConnectionOptions({ servers: url, name: 'clustering-profiles-test' }), logger);
    await ensureStream(await nats.jetstreamManager(), Streams.flows, { maxBytes: 64 * 1024 * 1024, maxAgeSeconds: 3600, replicas: 1, duplicateWindowSeconds: 120 });
    js = await nats.jetstream();
    await su.connect();
    await db.start();
  });

  afterEach(stopAll);

  afterAll(async () => {
    await stopAll();
    await nats.close();
    await natsServer.stop();
    await db.close();
    await su.end();
    await provider.shutdown();
  });

  it('turns a published batch into profiles equal to the in-memory ones and into client-to-server edges, in the producer trace', async () => {
    const tenantId = await newTenant();
    const flows = [
      ...connection('10.0.0.5', '10.0.0.9', 443, T0, { client: 5, server: 10 }),
      ...connection('10.0.0.6', '10.0.0.9', 443, T0 + 60_000),
      ...connection('10.0.0.5', '10.0.0.53', 53, T0 + 120_000),
      // A MAC-keyed laptop that changed its address: the later one is kept.
      ...connection('10.0.1.20', '10.0.0.9', 443, T0 + 10_000, {}, '02:00:00:aa:bb:cc'),
      ...connection('10.0.1.21', '10.0.0.9', 443, T0 + 300_000, {}, '02:00:00:aa:bb:cc'),
    ];
    flows[4] = { ...flows[4], protocol: UDP, tcpFlags: 0 };
    flows[5] = { ...flows[5], protocol: UDP, tcpFlags: 0 };
    const event = batch(tenantId, flows);
    const i = started();
    const traceId = await trace.getTracer('test').startActiveSpan('ingest commit', async (span) => {
      await publish(event);
      span.end();
      return span.spanContext().traceId;
    });
    await waitFor(async () => (await counterValue(i.metrics.batches)) === 1, 15_000, 'the batch to be merged');

    const stored = await storedProfiles(tenantId);
    const expected = profilesInMemory(flows);
    expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, profile] of expected) {
      expect({ key, profile: Buffer.from(stored.get(key)!.profile).toString('hex') }).toEqual({ key, profile: Buffer.from(encodeProfile(profile)).toString('hex') });
      expect(Number(stored.get(key)!.flows)).toBe(profile.flows);
      expect(stored.get(key)!.first?.getTime()).toBe(profile.firstSeenMs);
      expect(stored.get(key)!.last?.getTime()).toBe(profile.lastSeenMs);
    }
    expect(stored.get('mac:02:00:00:aa:bb:cc')).toMatchObject({ address: '10.0.1.21', mac: '02:00:00:aa:bb:cc' });
    expect(stored.get('ip:10.0.0.9')).toMatchObject({ address: '10.0.0.9', mac: null });

    const edges = await storedEdges(tenantId);
    expect(edges).toEqual([
      expect.objectContaining({ client_key: 'ip:10.0.0.5', server_key: 'ip:10.0.0.53', protocol: UDP, port: 53, client_tag: -1, server_tag: -1, flows: 2, bytes: 7500, packets: 10 }),
      expect.objectContaining({ client_key: 'ip:10.0.0.5', server_key: 'ip:10.0.0.9', protocol: TCP, port: 443, client_tag: 5, server_tag: 10, flows: 2, bytes: 7500 }),
      expect.objectContaining({ client_key: 'ip:10.0.0.6', server_key: 'ip:10.0.0.9', protocol: TCP, port: 443, client_tag: -1, server_tag: -1, flows: 2 }),
      expect.objectContaining({ client_key: 'mac:02:00:00:aa:bb:cc', server_key: 'ip:10.0.0.9', protocol: TCP, port: 443, flows: 4, bytes: 15000 }),
    ]);
    expect(edges[3].first_seen_at.getTime()).toBe(T0 + 10_000);
    expect(edges[3].last_seen_at.getTime()).toBe(T0 + 302_000);
    expect(await ledgerCount(tenantId)).toBe(1);

    const consumerSpan = () => spans.getFinishedSpans().find((s) => s.kind === SpanKind.CONSUMER && s.spanContext().traceId === traceId);
    await waitFor(() => consumerSpan() !== undefined, 5_000, 'the consumer span in the producer trace');
    expect(consumerSpan()?.attributes['clarion.tenant_id']).toBe(tenantId);
  });

  it('makes endpoints of internal hosts only: Internet peers stay peers, the gateway MAC becomes a router interface and its old endpoint goes', async () => {
    const tenantId = await newTenant();
    const gateway = '00:00:0c:12:34:56';
    const laptop = '02:00:00:aa:bb:01';
    // Before: the gateway's MAC was stored as an endpoint (with a membership and an edge), as the demo showed it.
    const before = instance();
    await before.processor.process(batch(tenantId, connection('10.4.0.7', '10.4.0.1', 443, T0, {}, gateway)));
    await su.query(`INSERT INTO endpoint_memberships (tenant_id, endpoint_key) VALUES ($1, $2)`, [tenantId, `mac:${gateway}`]);
    expect([...(await storedProfiles(tenantId)).keys()].sort()).toEqual(['ip:10.4.0.1', `mac:${gateway}`]);

    const toInternet = (client: string, server: string, port: number, at: number) =>
      connection(client, server, port, at, {}, laptop).map((f) => (f.dstAddress === server ? { ...f, dstMac: gateway } : { ...f, srcMac: gateway }));
    const flows = [
      ...toInternet('10.4.0.7', '142.250.1.10', 443, T0 + 60_000),
      ...toInternet('10.4.0.7', '8.8.8.8', 53, T0 + 61_000),
      ...connection('10.4.0.8', '13.107.4.2', 443, T0 + 62_000),
      ...connection('10.4.0.8', '10.4.0.1', 443, T0 + 63_000),
      // A remote internal subnet reached through the gateway: keyed by its address, never by the gateway's MAC.
      ...connection('10.5.0.20', '10.4.0.1', 443, T0 + 64_000).map((f) => (f.srcAddress === '10.5.0.20' ? { ...f, srcMac: gateway } : { ...f, dstMac: gateway })),
    ];
    const i = instance();
    const outcome = await i.processor.process(batch(tenantId, flows));
    expect(outcome.kind).toBe('merged');

    const stored = await storedProfiles(tenantId);
    expect([...stored.keys()].sort()).toEqual(['ip:10.4.0.1', 'ip:10.4.0.8', 'ip:10.5.0.20', `mac:${laptop}`]);
    for (const row of stored.values()) expect(['10.4.0.1', '10.4.0.7', '10.4.0.8', '10.5.0.20']).toContain(row.address);
    const laptopProfile = decodeProfile(stored.get(`mac:${laptop}`)!.profile);
    expect(laptopProfile.flows).toBe(4);
    expect(Math.round(laptopProfile.peers.estimate())).toBe(2);
    expect(decodeProfile(stored.get('ip:10.4.0.8')!.profile).flows).toBe(4);
    const edges = await storedEdges(tenantId);
    expect(edges.map((e) => `${e.client_key}>${e.server_key}`)).toEqual(['ip:10.4.0.8>ip:10.4.0.1', 'ip:10.5.0.20>ip:10.4.0.1']);
    expect((await su.query(`SELECT count(*)::int AS n FROM endpoint_memberships WHERE tenant_id = $1`, [tenantId])).rows[0].n).toBe(0);
    const routers = (await su.query(`SELECT mac::text AS mac, reason, internal_addresses FROM router_interfaces WHERE tenant_id = $1`, [tenantId])).rows;
    expect(routers).toEqual([{ mac: gateway, reason: 'external', internal_addresses: 1 }]);
    expect(await counterValue(i.metrics.externalSides)).toBe(6);
    expect(await counterValue(i.metrics.routerMacs, { reason: 'external' })).toBe(1);
    expect(await counterValue(i.metrics.routerEndpointsRemoved)).toBe(1);

    // The next batch of the same instance knows the router MAC without seeing it in front of the Internet again.
    await i.processor.process(batch(tenantId, connection('10.5.0.21', '10.4.0.1', 443, T0 + 90_000).map((f) => (f.srcAddress === '10.5.0.21' ? { ...f, srcMac: gateway } : { ...f, dstMac: gateway }))));
    expect((await storedProfiles(tenantId)).has('ip:10.5.0.21')).toBe(true);
    expect((await storedProfiles(tenantId)).has(`mac:${gateway}`)).toBe(false);

    // An instance that has not read the router MAC yet (`before` read the tenant's scope before the gateway was
    // recorded and keeps it for its TTL) stores an endpoint under it; the next instance to see the MAC as a router's
    // removes it.
    await before.processor.process(batch(tenantId, connection('10.5.0.22', '10.4.0.1', 443, T0 + 95_000, {}, gateway)));
    expect((await storedProfiles(tenantId)).has(`mac:${gateway}`)).toBe(true);
    await i.processor.process(batch(tenantId, connection('10.5.0.23', '10.4.0.1', 443, T0 + 99_000, {}, gateway)));
    expect((await storedProfiles(tenantId)).has(`mac:${gateway}`)).toBe(false);
    expect(await counterValue(i.metrics.routerEndpointsRemoved)).toBe(2);
  });

  it('classifies by the tenant inventory: an external address space inside 10/8 makes no endpoint', async () => {
    const tenantId = await newTenant();
    await su.query(`INSERT INTO address_spaces (tenant_id, cidr, name, kind) VALUES ($1, '10.66.0.0/16', 'Partner VPN', 'external')`, [tenantId]);
    const i = instance();
    await i.processor.process(batch(tenantId, connection('10.4.0.7', '10.66.0.5', 443, T0)));
    expect([...(await storedProfiles(tenantId)).keys()]).toEqual(['ip:10.4.0.7']);
    expect(await storedEdges(tenantId)).toEqual([]);
  });

  it('changes nothing when the same message is delivered again', async () => {
    const tenantId = await newTenant();
    const event = batch(tenantId, [...connection('10.1.0.5', '10.1.0.9', 445, T0), ...connection('10.1.0.6', '10.1.0.9', 445, T0 + 5_000)]);
    const i = started();
    await publish(event);
    await waitFor(async () => (await counterValue(i.metrics.batches)) === 1, 15_000, 'the first delivery to be merged');
    const profilesBefore = await storedProfiles(tenantId);
    const edgesBefore = await storedEdges(tenantId);

    // Another message id, so JetStream's duplicate window lets it through: only the ledger can recognise it.
    await publish(event, `replay-${randomUUID()}`);
    await waitFor(async () => (await counterValue(i.metrics.duplicates)) === 1, 15_000, 'the redelivery to be recognised');
    // And straight through the processor, as a redelivery to another instance would arrive.
    expect(await instance().processor.process(event)).toEqual({ kind: 'duplicate', messageId: flowBatchMessageId(event.batchId, 0) });

    expect(await storedProfiles(tenantId)).toEqual(profilesBefore);
    expect(await storedEdges(tenantId)).toEqual(edgesBefore);
    expect(await counterValue(i.metrics.batches)).toBe(1);
    expect(await ledgerCount(tenantId)).toBe(1);
  });

  it('loses no update when two instances merge overlapping batches at the same time', async () => {
    const tenantId = await newTenant();
    // Every batch touches the same server and DNS endpoints; clients are shared between batches too.
    const events = Array.from({ length: 16 }, (_, b) =>
      batch(tenantId, [
        ...connection(`10.2.0.${1 + (b % 5)}`, '10.2.0.100', 443, T0 + b * 1000),
        ...connection(`10.2.0.${1 + ((b + 2) % 5)}`, '10.2.0.100', 443, T0 + b * 1000 + 500),
        ...connection(`10.2.0.${1 + (b % 5)}`, '10.2.0.53', 53, T0 + b * 1000 + 700),
      ]),
    );
    const a = instance();
    const b = instance();
    await Promise.all(events.map((e, n) => (n % 2 === 0 ? a : b).processor.process(e)));

    const allFlows = events.flatMap((e) => e.flows);
    const expected = profilesInMemory(allFlows);
    const stored = await storedProfiles(tenantId);
    for (const [key, profile] of expected) {
      const got = decodeProfile(stored.get(key)!.profile);
      expect({ key, ...got.summary() }).toEqual({ key, ...profile.summary() });
      // The summary readers use is the merged profile's, in the API's form, written in the same statement.
      expect({ key, summary: stored.get(key)!.apiSummary }).toEqual({ key, summary: apiSummaryOf(profile.summary()) });
      // The older form is cleared: readers use the API summary.
      expect({ key, legacy: stored.get(key)!.summary }).toEqual({ key, legacy: null });
    }
    expect(Number(stored.get('ip:10.2.0.100')!.flows)).toBe(16 * 4);
    const edgeFlows = (await storedEdges(tenantId)).reduce((sum, e) => sum + e.flows, 0);
    expect(edgeFlows).toBe(allFlows.length);
    expect(await ledgerCount(tenantId)).toBe(16);
  });

  it('shares the durable consumer between instances and, after a restart, keeps adding to the stored profiles', async () => {
    const tenantId = await newTenant();
    const first = Array.from({ length: 6 }, (_, n) => batch(tenantId, connection(`10.3.0.${n + 1}`, '10.3.0.100', 22, T0 + n * 1000)));
    const one = started();
    const two = started();
    for (const e of first) await publish(e);
    await waitFor(async () => (await counterValue(one.metrics.batches)) + (await counterValue(two.metrics.batches)) === 6, 15_000, 'the first batches to be merged');
    expect(await ledgerCount(tenantId)).toBe(6);
    await stopAll();

    const restarted = started();
    const later = batch(tenantId, [...connection('10.3.0.1', '10.3.0.100', 22, T0 + 3_600_000), ...connection('10.3.0.7', '10.3.0.100', 22, T0 + 3_700_000)]);
    await publish(later);
    await waitFor(async () => (await counterValue(restarted.metrics.batches)) === 1, 15_000, 'the batch after the restart to be merged');

    const expected = profilesInMemory([...first.flatMap((e) => e.flows), ...later.flows]);
    const stored = await storedProfiles(tenantId);
    expect(decodeProfile(stored.get('ip:10.3.0.100')!.profile).summary()).toEqual(expected.get('ip:10.3.0.100')!.summary());
    expect(Number(stored.get('ip:10.3.0.100')!.flows)).toBe(16);
    expect(decodeProfile(stored.get('ip:10.3.0.1')!.profile).flows).toBe(4);
    expect(stored.get('ip:10.3.0.100')!.last?.getTime()).toBe(T0 + 3_702_000);
  });

  it('terminates and counts a message that is not a flow batch, and goes on with the next one', async () => {
    const tenantId = await newTenant();
    const i = started();
    const garbage = await js.publish(FlowSubjects.batch, new TextEncoder().encode('not a flow batch'), { msgID: randomUUID() });
    const good = batch(tenantId, connection('10.4.0.1', '10.4.0.2', 80, T0));
    await publish(good);
    await waitFor(async () => (await counterValue(i.metrics.batches)) === 1, 15_000, 'the good batch to be merged');
    expect(await counterValue(i.metrics.decodeFailures)).toBe(1);
    // Acks reach the consumer asynchronously to info requests: wait until nothing is outstanding.
    const jsm = await nats.jetstreamManager();
    await waitFor(async () => (await jsm.consumers.info(Streams.flows.name, Consumers.clusteringFlows)).num_ack_pending === 0, 5_000, 'no message in hand');
    const info = await jsm.consumers.info(Streams.flows.name, Consumers.clusteringFlows);
    expect(info.ack_floor.stream_seq).toBeGreaterThanOrEqual(garbage.seq);
    expect(info.num_redelivered).toBe(0);
    expect((await storedProfiles(tenantId)).size).toBe(2);
    expect(i.consumer.isConsuming).toBe(true);
  });

  it('prunes ledger rows older than the retention in every tenant and keeps the recent ones', async () => {
    const tenants = [await newTenant(), await newTenant()];
    for (const tenantId of tenants) {
      await su.query(
        `INSERT INTO clustering_batches (tenant_id, message_id, flows, consumed_at) VALUES ($1, 'old.0', 1, now() - interval '3 hours'), ($1, 'new.0', 1, now())`,
        [tenantId],
      );
    }
    const deleted = await new BatchLedgerPruner(db, 3_600_000, logger).prune();
    expect(deleted).toBeGreaterThanOrEqual(2);
    for (const tenantId of tenants) {
      const { rows } = await su.query(`SELECT message_id FROM clustering_batches WHERE tenant_id = $1`, [tenantId]);
      expect(rows).toEqual([{ message_id: 'new.0' }]);
    }
  });

  describe('incremental assignment', () => {
    const selfOf = (role: string, n: number) => `10.${50 + FLOW_ROLE_NAMES.indexOf(role)}.0.${n + 1}`;
    const population: Array<EndpointInput & { role: string }> = FLOW_ROLE_NAMES.flatMap((role) =>
      Array.from({ length: 30 }, (_, n) => {
        const self = selfOf(role, n);
        const profile = new EndpointProfile();
        for (const f of synthesiseRoleFlows(role, self, role === 'web-server' ? 1 : 3, 7000 + 100 * FLOW_ROLE_NAMES.indexOf(role) + n)) {
          const side = f.srcAddress === self ? 'src' : 'dst';
          profile.observe(f, side, `ip:${side === 'src' ? f.dstAddress : f.srcAddress}`);
        }
        return { endpoint: `ip:${self}`, profile, role };
      }),
    );
    const run = runClustering(population);
    const printerCluster = run.memberships.find((m) => m.endpoint === `ip:${selfOf('printer', 0)}`)!.clusterId!;
    const printerFlows = (self: string, seed: number): FlowBatchFlow[] =>
      synthesiseRoleFlows('printer', self, 3, seed).map((f) => flow({ ...f, srcMac: null, dstMac: null }));

    async function withModel(): Promise<string> {
      const tenantId = await newTenant();
      await su.query(`INSERT INTO cluster_models (tenant_id, version, endpoints, use_identity, state) VALUES ($1, 1, $2, false, $3)`, [
        tenantId,
        population.length,
        JSON.stringify(serialiseClusterModel(run.model)),
      ]);
      return tenantId;
    }

    async function membership(tenantId: string, endpointKey: string) {
      return (await su.query(`SELECT * FROM endpoint_memberships WHERE tenant_id = $1 AND endpoint_key = $2`, [tenantId, endpointKey])).rows[0];
    }

    it('places a new endpoint with printer flows in the printer cluster and announces it', async () => {
      expect(printerCluster).toMatch(/\S/);
      const tenantId = await withModel();
      const events: ClustersUpdatedEvent[] = [];
      const subscription = nats.connection!.subscribe(EventSubjects.clustersUpdated, {
        callback: (_err, msg) => events.push(JSON.parse(new TextDecoder().decode(msg.data)) as ClustersUpdatedEvent),
      });
      const i = instance();
      // Seed 1 makes a typical printer; seed 4242 an odd one (few jobs, outlying volumes) too far from every cluster.
      const outcome = await i.processor.process(batch(tenantId, [...printerFlows('10.60.0.7', 1), ...printerFlows('10.60.0.17', 4242)]));
      expect(outcome).toMatchObject({ kind: 'merged', assignment: { modelPresent: true } });

      const row = await membership(tenantId, 'ip:10.60.0.7');
      expect(row).toMatchObject({ cluster_id: printerCluster, assigned_by: 'assignment', override_sgt: null });
      expect(row.confidence).toBeGreaterThan(0);
      const history = await su.query(`SELECT kind, cluster_id, actor FROM membership_history WHERE tenant_id = $1 AND endpoint_key = $2`, [tenantId, 'ip:10.60.0.7']);
      expect(history.rows).toEqual([{ kind: 'assignment', cluster_id: printerCluster, actor: 'system' }]);
      // The odd one waits as unassigned: listed, in no cluster, without history.
      expect(await membership(tenantId, 'ip:10.60.0.17')).toMatchObject({ cluster_id: null, assigned_by: 'assignment', band: 'very_low', confidence: 0 });
      const oddHistory = await su.query(`SELECT 1 FROM membership_history WHERE tenant_id = $1 AND endpoint_key = 'ip:10.60.0.17'`, [tenantId]);
      expect(oddHistory.rows).toEqual([]);
      await waitFor(() => events.some((e) => e.tenantId === tenantId), 5_000, 'the clusters-updated event');
      expect(events.find((e) => e.tenantId === tenantId)).toMatchObject({ reason: 'assignment', clusters: run.model.clusters.length, jobId: null });
      expect(await counterValue(i.metrics.assignments, { outcome: 'assigned' })).toBeGreaterThanOrEqual(1);
      subscription.unsubscribe();
      i.notifier.close();
    });

    it('keeps a manual override and does not downgrade a placement by the full clustering', async () => {
      const tenantId = await withModel();
      await su.query(
        `INSERT INTO endpoint_memberships (tenant_id, endpoint_key, override_sgt, override_by, override_reason, override_at)
         VALUES ($1, 'ip:10.60.0.8', 42, 'alice', 'quarantined printer', '2025-01-01T00:00:00Z')`,
        [tenantId],
      );
      await su.query(
        `INSERT INTO endpoint_memberships (tenant_id, endpoint_key, cluster_id, probability, confidence, band, assigned_by, assigned_at)
         VALUES ($1, 'ip:10.60.0.9', $2, 0.97, 0.95, 'very_high', 'clustering', '2025-01-01T00:00:00Z')`,
        [tenantId, printerCluster],
      );
      const i = instance();
      await i.processor.process(batch(tenantId, [...printerFlows('10.60.0.8', 4343), ...printerFlows('10.60.0.9', 4444)]));

      expect(await membership(tenantId, 'ip:10.60.0.8')).toMatchObject({
        cluster_id: printerCluster,
        assigned_by: 'assignment',
        override_sgt: 42,
        override_by: 'alice',
        override_reason: 'quarantined printer',
        override_at: new Date('2025-01-01T00:00:00Z'),
      });
      expect(await membership(tenantId, 'ip:10.60.0.9')).toMatchObject({
        cluster_id: printerCluster,
        assigned_by: 'clustering',
        band: 'very_high',
        assigned_at: new Date('2025-01-01T00:00:00Z'),
      });
      const history = await su.query(`SELECT endpoint_key FROM membership_history WHERE tenant_id = $1 AND endpoint_key IN ('ip:10.60.0.8', 'ip:10.60.0.9')`, [tenantId]);
      expect(history.rows).toEqual([{ endpoint_key: 'ip:10.60.0.8' }]);
      i.notifier.close();
    });
  });
});
