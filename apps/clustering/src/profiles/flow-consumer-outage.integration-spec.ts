import { DEFAULT_PROFILE_PARAMETERS, EndpointProfile, decodeProfile, observeFlowOnEndpoints } from '@clarion/clustering-core';
import { Consumers, FlowSubjects, Streams, encodeFlowBatchParts, flowBatchMessageId, type FlowBatchEvent, type FlowBatchFlow } from '@clarion/contracts';
import { NatsConnectionHolder, ensureStream, natsConnectionOptions, publishTraced } from '@clarion/messaging';
import { Database } from '@clarion/persistence';
import { NatsServerProcess, TestInfra, testLogger, waitFor } from '@clarion/testing';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { ClustersUpdatedNotifier } from './clusters-updated.notifier';
import { FlowBatchConsumer, type FlowBatchConsumerOptions } from './flow-batch.consumer';
import { EndpointScopes } from './endpoint-scopes';
import { FlowBatchProcessor, type BatchOutcome } from './flow-batch.processor';
import { IncrementalAssigner } from './incremental-assigner';
import { ProfileCache } from './profile-cache';
import { ProfilesMetrics } from './profiles-metrics';

const T0 = Date.UTC(2025, 4, 5, 8, 0, 0);
const TCP = 6;

/** The real processor, keeping every outcome so a test can tell a first merge from a recognised redelivery. */
class RecordingProcessor extends FlowBatchProcessor {
  readonly outcomes: BatchOutcome[] = [];

  override async process(event: FlowBatchEvent, onCommitted?: () => void): Promise<BatchOutcome> {
    const outcome = await super.process(event, onCommitted);
    this.outcomes.push(outcome);
    return outcome;
  }

  count(messageId: string, kind: BatchOutcome['kind']): number {
    return this.outcomes.filter((o) => o.messageId === messageId && o.kind === kind).length;
  }
}

/** Client `host` of subnet `net` talks to the subnet's server on `port`: the request and the response record. */
function exchange(net: number, host: number, port: number, atMs: number): FlowBatchFlow[] {
  const client = `10.80.${net}.${host}`;
  const server = `10.80.${net}.200`;
  const ephemeral = 49152 + ((atMs / 1000) % 10000);
  const common = { srcMac: null, dstMac: null, protocol: TCP, tcpFlags: 0x1b, startMs: atMs, endMs: atMs + 1500, srcSgt: null, dstSgt: null };
  return [
    { ...common, srcAddress: client, dstAddress: server, srcPort: ephemeral, dstPort: port, bytes: 300 + host, packets: 3 },
    { ...common, srcAddress: server, dstAddress: client, srcPort: port, dstPort: ephemeral, bytes: 9000 + 10 * host, packets: 8 },
  ];
}

/** Batch `n` of a run: every batch reaches the same server, clients and ports rotate so profiles keep growing. */
function batchOf(tenantId: string, net: number, n: number): FlowBatchEvent {
  const flows = [...exchange(net, 1 + (n % 4), n % 2 === 0 ? 443 : 22, T0 + n * 60_000), ...exchange(net, 1 + ((n + 1) % 4), 443, T0 + n * 60_000 + 7_000)];
  return { batchId: randomUUID(), tenantId, part: 0, parts: 1, sealedAtMs: T0 + n * 60_000, flows };
}

const messageIdOf = (event: FlowBatchEvent): string => flowBatchMessageId(event.batchId, event.part);

function profilesInMemory(flows: readonly FlowBatchFlow[]): Map<string, EndpointProfile> {
  const profiles = new Map<string, EndpointProfile>();
  for (const f of flows) {
    observeFlowOnEndpoints(f, (key) => {
      const existing = profiles.get(key);
      if (existing) return existing;
      const created = new EndpointProfile(DEFAULT_PROFILE_PARAMETERS);
      profiles.set(key, created);
      return created;
    });
  }
  return profiles;
}

describe('flow-batch consumer across a NATS server outage (real nats-server with a file store, real PostgreSQL)', () => {
  const logger = testLogger();
  const su = new Client({ connectionString: TestInfra.superuserUrl });
  const db = new Database({ url: TestInfra.serviceUrl('clustering'), poolSize: 6, statementTimeoutMs: 30_000, applicationName: 'clustering-outage-test' }, logger);

  /** One clustering instance over its own private nats-server, wired as ProfilesService wires it. */
  interface Rig {
    server: NatsServerProcess;
    nats: NatsConnectionHolder;
    processor: RecordingProcessor;
    consumer: FlowBatchConsumer;
    notifier: ClustersUpdatedNotifier;
    /** Connection status events seen so far (`disconnect`, `reconnecting`, `reconnect`, ...). */
    statuses: string[];
  }
  let rig: Rig | undefined;

  async function startRig(ackWaitMs: number): Promise<Rig> {
    const server = new NatsServerProcess();
    const url = await server.start();
    const nats = new NatsConnectionHolder(natsConnectionOptions({ servers: url, name: 'clustering-outage-test' }), logger);
    const nc = await nats.whenConnected();
    const statuses: string[] = [];
    void (async () => {
      for await (const s of nc.status()) statuses.push(s.type);
    })();
    await ensureStream(await nats.jetstreamManager(), Streams.flows, { maxBytes: 64 * 1024 * 1024, maxAgeSeconds: 3600, replicas: 1, duplicateWindowSeconds: 120 });
    const options: FlowBatchConsumerOptions = {
      stream: Streams.flows.name,
      durableName: Consumers.clusteringFlows,
      filterSubject: FlowSubjects.batch,
      ackWaitMs,
      maxDeliver: 10,
      maxAckPending: 64,
      concurrency: 2,
      retryDelayMs: 200,
      pendingRefreshMs: 1_000,
    };
    const metrics = new ProfilesMetrics(new Registry());
    const cache = new ProfileCache(10_000);
    const notifier = new ClustersUpdatedNotifier(nats, 200, logger);
    const processor = new RecordingProcessor(db, cache, new IncrementalAssigner(db, cache, notifier, metrics, logger), metrics, logger, new EndpointScopes());
    const consumer = new FlowBatchConsumer(nats, processor, options, metrics, logger);
    consumer.start();
    rig = { server, nats, processor, consumer, notifier, statuses };
    return rig;
  }

  async function publish(r: Rig, event: FlowBatchEvent): Promise<void> {
    const [payload] = encodeFlowBatchParts(event, event.flows);
    await publishTraced(await r.nats.jetstream(), FlowSubjects.batch, payload, { msgID: messageIdOf(event) });
  }

  const merged = (r: Rig, events: readonly FlowBatchEvent[]): boolean => events.every((e) => r.processor.count(messageIdOf(e), 'merged') === 1);

  async function readinessFails(r: Rig): Promise<boolean> {
    return r.consumer.check().then(
      () => false,
      () => true,
    );
  }

  async function newTenant(): Promise<string> {
    const slug = `outage-${randomUUID().slice(0, 12)}`;
    return (await su.query(`INSERT INTO tenants (slug, name) VALUES ($1, $1) RETURNING id`, [slug])).rows[0].id as string;
  }

  /** Stored state against the reference built in memory from every flow: a batch applied twice or lost shows here. */
  async function expectAppliedOnce(tenantId: string, events: readonly FlowBatchEvent[]): Promise<void> {
    const flows = events.flatMap((e) => e.flows);
    const expected = profilesInMemory(flows);
    const { rows } = await su.query(`SELECT endpoint_key, profile, flows FROM endpoint_profiles WHERE tenant_id = $1`, [tenantId]);
    expect(rows.map((r) => r.endpoint_key).sort()).toEqual([...expected.keys()].sort());
    for (const row of rows) {
      const want = expected.get(row.endpoint_key)!;
      expect({ key: row.endpoint_key, ...decodeProfile(row.profile).summary() }).toEqual({ key: row.endpoint_key, ...want.summary() });
      expect({ key: row.endpoint_key, flows: Number(row.flows) }).toEqual({ key: row.endpoint_key, flows: want.flows });
    }
    const edges = await su.query(`SELECT coalesce(sum(flows), 0)::int AS flows, coalesce(sum(bytes), 0)::bigint AS bytes FROM endpoint_edges WHERE tenant_id = $1`, [tenantId]);
    expect({ flows: edges.rows[0].flows, bytes: Number(edges.rows[0].bytes) }).toEqual({ flows: flows.length, bytes: flows.reduce((sum, f) => sum + f.bytes, 0) });
    const ledger = await su.query(`SELECT message_id FROM clustering_batches WHERE tenant_id = $1 ORDER BY message_id`, [tenantId]);
    expect(ledger.rows.map((r) => r.message_id)).toEqual(events.map(messageIdOf).sort());
  }

  beforeAll(async () => {
    await su.connect();
    await db.start();
  });

  afterEach(async () => {
    const r = rig;
    rig = undefined;
    if (!r) return;
    await r.consumer.stop(Date.now() + 3_000);
    r.notifier.close();
    await r.nats.close();
    await r.server.stop();
  });

  afterAll(async () => {
    await db.close();
    await su.end();
  });

  describe.each([
    ['stopped (SIGTERM)', 'SIGTERM'],
    ['killed (SIGKILL)', 'SIGKILL'],
  ] as const)('when the server is %s and restarted on the same port and store', (_how, signal) => {
    it('stays up, reports not ready meanwhile, and afterwards applies every batch from before and after exactly once', async () => {
      // A SIGKILL can lose acknowledgements the server had not written to its store yet; those deliveries come again
      // once the ack wait has passed, so the wait below allows for one ack wait.
      const ackWaitMs = 8_000;
      const r = await startRig(ackWaitMs);
      const tenantId = await newTenant();
      const net = signal === 'SIGTERM' ? 1 : 2;
      const before = Array.from({ length: 8 }, (_, n) => batchOf(tenantId, net, n));
      for (const e of before) await publish(r, e);
      await waitFor(() => merged(r, before), 15_000, 'the batches before the outage to be merged');
      await waitFor(async () => !(await readinessFails(r)), 5_000, 'the consumer to report ready');

      await r.server.kill(signal);
      await waitFor(() => readinessFails(r), 10_000, 'readiness to report the lost server');
      // A few seconds without a server: several reconnect attempts (one a second) that all fail.
      const attemptsBefore = r.statuses.filter((s) => s === 'reconnecting').length;
      await waitFor(() => r.statuses.filter((s) => s === 'reconnecting').length >= attemptsBefore + 3, 15_000, 'three failed reconnect attempts');
      expect(await readinessFails(r)).toBe(true);

      await r.server.restart();
      await waitFor(async () => !(await readinessFails(r)), 20_000, 'the consumer to report ready after the restart');
      const after = Array.from({ length: 6 }, (_, n) => batchOf(tenantId, net, before.length + n));
      for (const e of after) await publish(r, e);
      const all = [...before, ...after];
      await waitFor(() => merged(r, all), 20_000, 'the batches after the restart to be merged');
      // Deliveries the server had not recorded as acknowledged come again; wait until nothing is in hand or pending.
      const jsm = await r.nats.jetstreamManager();
      await waitFor(
        async () => {
          const info = await jsm.consumers.info(Streams.flows.name, Consumers.clusteringFlows);
          return info.num_ack_pending === 0 && info.num_pending === 0;
        },
        ackWaitMs + 15_000,
        'the consumer to have nothing outstanding',
      );

      for (const e of all) expect({ message: messageIdOf(e), merged: r.processor.count(messageIdOf(e), 'merged') }).toEqual({ message: messageIdOf(e), merged: 1 });
      await expectAppliedOnce(tenantId, all);
      expect(r.consumer.isConsuming).toBe(true);
    });
  });

  it('redelivers after the restart a batch whose acknowledgement the dying server never read, and applies it once', async () => {
    // A short ack wait, so the restarted server redelivers the unacknowledged message promptly.
    const r = await startRig(3_000);
    const tenantId = await newTenant();
    const before = Array.from({ length: 4 }, (_, n) => batchOf(tenantId, 3, n));
    for (const e of before) await publish(r, e);
    await waitFor(() => merged(r, before), 15_000, 'the batches before the outage to be merged');

    // Hold the shared server endpoint's row, so the next batch is delivered and then waits inside its transaction.
    const locker = new Client({ connectionString: TestInfra.superuserUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`SELECT 1 FROM endpoint_profiles WHERE tenant_id = $1 AND endpoint_key = 'ip:10.80.3.200' FOR UPDATE`, [tenantId]);
      const lockerPid = (await locker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const held = batchOf(tenantId, 3, before.length);
      await publish(r, held);
      await waitFor(
        async () => (await su.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, [lockerPid])).rows[0].n === 1,
        15_000,
        'the held batch to wait for the row lock',
      );

      // The server hangs: the batch commits and its acknowledgement is written to a socket nobody reads any more.
      r.server.freeze();
      await locker.query('COMMIT');
      await waitFor(() => r.processor.count(messageIdOf(held), 'merged') === 1, 15_000, 'the held batch to commit');
      await r.server.kill('SIGKILL');
      await waitFor(() => readinessFails(r), 10_000, 'readiness to report the lost server');

      await r.server.restart();
      await waitFor(() => r.processor.count(messageIdOf(held), 'duplicate') >= 1, 20_000, 'the unacknowledged batch to be delivered again');
      await waitFor(async () => !(await readinessFails(r)), 10_000, 'the consumer to report ready after the restart');
      const after = Array.from({ length: 4 }, (_, n) => batchOf(tenantId, 3, before.length + 1 + n));
      for (const e of after) await publish(r, e);
      const all = [...before, held, ...after];
      await waitFor(() => merged(r, all), 20_000, 'the batches after the restart to be merged');

      for (const e of all) expect({ message: messageIdOf(e), merged: r.processor.count(messageIdOf(e), 'merged') }).toEqual({ message: messageIdOf(e), merged: 1 });
      await expectAppliedOnce(tenantId, all);
    } finally {
      await locker.end();
    }
  });
});
