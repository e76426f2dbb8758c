import { adjustedRandIndex } from '@clarion/clustering-core';
import {
  AddressClassifier,
  Subjects,
  type ActorDto,
  type ClusterDto,
  type ClusteringJobDto,
  type EndpointDto,
  type Page,
  type PolicyMatrixDto,
  type SgaclExportDto,
} from '@clarion/contracts';
import { RpcClient, natsConnectionOptions } from '@clarion/messaging';
import { NatsServerProcess, REPO_ROOT, ServiceProcess, TestInfra, freePort, freeUdpPort, queryAsTenant, waitFor, waitForReady } from '@clarion/testing';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

interface TruthRecord {
  key: string;
  role: string;
  irregular: boolean;
}

/** Runs the built simulator to completion; resolves with the number of flows it sent. */
function runSimulator(args: string[]): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [resolve(REPO_ROOT, 'dist/tools/simulator/main.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      const flows = Number(/finished .*?flows=(\d+)/.exec(out)?.[1] ?? NaN);
      if (code !== 0 || !Number.isFinite(flows)) reject(new Error(`simulator exited ${code}: ${out.slice(-2000)}`));
      else resolvePromise(flows);
    });
  });
}

/**
 * The whole pipeline as an operator runs it: the simulator's synthetic enterprise exports real IPFIX over UDP to the
 * built ingest service, which stores the flows and publishes batch events on JetStream; the built clustering service
 * consumes them into endpoint profiles, a full clustering job runs on request, and the clusters it finds are compared
 * with the simulator's ground truth (every endpoint's true role).
 */
describe('simulator -> ingest -> clustering (built services, private NATS as deployed, real PostgreSQL)', () => {
  // TLS, and each service on its own nkey: only ingest may publish flow batches, only clustering consume them.
  const nats = new NatsServerProcess({ secure: true });
  const processes: ServiceProcess[] = [];
  let rpc: RpcClient;
  let work = '';
  let tenantId = '';
  let actor: ActorDto;
  let truth: TruthRecord[] = [];
  let sentFlows = 0;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'clarion-sim-e2e-'));
    const owner = new Client({ connectionString: TestInfra.ownerUrl });
    await owner.connect();
    const slug = `sim-${Date.now().toString(36)}`;
    tenantId = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'Simulated enterprise') RETURNING id`, [slug])).rows[0].id as string;
    await owner.end();
    actor = { kind: 'user', tenantId, id: 'e2e-analyst', permissions: ['endpoints:read', 'clusters:read', 'jobs:run', 'policy:read', 'sgts:read'] };

    await nats.start();
    const common = {
      CLARION_ENV: 'test',
      LOG_LEVEL: 'warn',
      // No DATABASE_URL: ServiceProcess connects each service as its own role (clarion_<service>).
      REDIS_URL: TestInfra.redisUrl,
      OPS_HOST: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
    };
    const [ingestOps, clusteringOps, udpPort, ipfixPort, sflowPort] = await Promise.all([freePort(), freePort(), freeUdpPort(), freeUdpPort(), freeUdpPort()]);
    processes.push(
      new ServiceProcess('ingest', {
        ...common,
        ...nats.envOf('ingest'),
        OPS_PORT: String(ingestOps),
        INGEST_UDP_PORTS: `${udpPort},${ipfixPort}`,
        INGEST_SFLOW_PORTS: String(sflowPort),
        INGEST_UDP_HOST: '127.0.0.1',
        INGEST_UDP_RECEIVE_BUFFER_BYTES: String(8 * 1024 * 1024),
        INGEST_SPOOL_DIR: join(work, 'spool'),
        INGEST_DEFAULT_TENANT: slug,
        INGEST_BATCH_MAX_DELAY_MS: '200',
      }).start(),
    );
    processes.push(
      new ServiceProcess('clustering', {
        ...common,
        ...nats.envOf('clustering'),
        OPS_PORT: String(clusteringOps),
        // Clustering runs only when this test asks for it.
        CLUSTERING_MIN_ENDPOINTS: '1000000',
        CLUSTERING_SCHEDULE_INTERVAL_S: '0',
        CLUSTERING_JOB_POLL_MS: '200',
      }).start(),
    );
    await Promise.all([waitForReady(ingestOps, 60_000), waitForReady(clusteringOps, 60_000)]);
    // The test asks clustering what the gateway would ask it, so it calls as the gateway (the only caller allowed):
    // its nkey and its signed caller assertion.
    rpc = new RpcClient(natsConnectionOptions(nats.clientOf('gateway', 'sim-e2e')), 30_000, undefined, nats.callerSignerOf('gateway'));
    await rpc.connect();

    const truthFile = join(work, 'truth.jsonl');
    // A day of a 240-endpoint enterprise, replayed as fast as ingest comfortably takes it (about 0.5 M flows).
    sentFlows = await runSimulator([
      '--target', `127.0.0.1:${ipfixPort}`,
      '--protocol', 'ipfix',
      '--endpoints', '240',
      '--mix', 'workstation=1,developer=0,web-server=0,database-server=0,file-server=0,printer=1,ip-camera=1,voip-phone=1,iot-sensor=1,badge-reader=1,guest-device=0',
      '--noise', '0',
      '--seed', '7',
      '--start', new Date(Date.now() - 36 * 3_600_000).toISOString(),
      '--day-minutes', '0',
      '--rate', '40000',
      '--sim-days', '1',
      '--truth', truthFile,
      '--stats-interval', '60',
    ]);
    truth = (await readFile(truthFile, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as TruthRecord);
  }, 300_000);

  afterAll(async () => {
    await rpc?.close();
    await Promise.all(processes.map((p) => p.stop()));
    await nats.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('stores the exported flows and turns every committed batch into profiles exactly once', async () => {
    // Ingest commits batches; clustering consumes each batch event once. Wait until both ledgers agree and stop moving.
    let last = '';
    await waitFor(
      async () => {
        const [row] = await queryAsTenant<{ stored: string; consumed: string }>(
          tenantId,
          `SELECT (SELECT coalesce(sum(row_count), 0) FROM flow_batches) AS stored, (SELECT coalesce(sum(flows), 0) FROM clustering_batches) AS consumed`,
        );
        const now = `${row.stored}/${row.consumed}`;
        const settled = now === last && row.stored === row.consumed && Number(row.stored) > 0;
        last = now;
        return settled;
      },
      240_000,
      'clustering consumed every stored flow',
      2_000,
    );
    const [{ stored }] = await queryAsTenant<{ stored: string }>(tenantId, 'SELECT count(*) AS stored FROM flows');
    // UDP on loopback under load may drop a little; what was stored is what was consumed (checked above).
    expect(Number(stored)).toBeGreaterThan(sentFlows * 0.95);
    const [{ ledger }] = await queryAsTenant<{ ledger: string }>(tenantId, 'SELECT coalesce(sum(row_count), 0) AS ledger FROM flow_batches');
    expect(Number(ledger)).toBe(Number(stored));
    // The endpoints are exactly the simulated enterprise's hosts, by their MAC; the internet gateway's MAC fronts every
    // internet address, so it is a router interface (flows to the gateway itself would be keyed by its internal
    // address), and no internet address is an endpoint.
    const profileKeys = (await queryAsTenant<{ k: string }>(tenantId, 'SELECT endpoint_key AS k FROM endpoint_profiles ORDER BY 1')).map((r) => r.k);
    const gateway = truth.find((t) => t.role === 'internet-gateway');
    expect(gateway).toBeDefined();
    const hosts = truth.filter((t) => t !== gateway).map((t) => t.key);
    expect(profileKeys.filter((k) => k.startsWith('mac:'))).toEqual([...hosts].sort());
    const byAddress = profileKeys.filter((k) => k.startsWith('ip:'));
    const classifier = new AddressClassifier({ addressSpaces: [], subnets: [] });
    expect(byAddress.filter((k) => classifier.classify(k.slice(3))?.scope !== 'internal')).toEqual([]);
    const routers = await queryAsTenant<{ mac: string; reason: string }>(tenantId, 'SELECT mac::text AS mac, reason FROM router_interfaces');
    expect(routers).toEqual([{ mac: gateway?.key.slice(4), reason: 'external' }]);
  }, 300_000);

  it('finds clusters whose members are the simulator\'s roles', async () => {
    const job = await rpc.send<ClusteringJobDto>(Subjects.clustering.jobsRun, { actor });
    let state = job;
    await waitFor(
      async () => {
        state = await rpc.send<ClusteringJobDto>(Subjects.clustering.jobsGet, { actor, id: job.id });
        if (state.status === 'failed') throw new Error(`clustering job failed: ${state.error}`);
        return state.status === 'succeeded';
      },
      180_000,
      'clustering job succeeded',
      500,
    );
    expect(state).toMatchObject({ status: 'succeeded', progress: 1, trigger: 'request' });

    const clusterOf = new Map<string, string | null>();
    let cursor: string | undefined;
    do {
      const page: Page<EndpointDto> = await rpc.send(Subjects.clustering.endpointsList, { actor, limit: 500, ...(cursor ? { cursor } : {}) });
      for (const e of page.items) clusterOf.set(e.id, e.clusterId);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);

    // Compare on the simulated enterprise's endpoints (the internet gateway, whose MAC fronts every internet address,
    // is one of a kind and not a role worth a group).
    const judged = truth.filter((t) => t.role !== 'internet-gateway' && clusterOf.has(t.key));
    expect(judged.length).toBe(truth.filter((t) => t.role !== 'internet-gateway').length);
    const roleIds = new Map<string, number>();
    const clusterIds = new Map<string, number>();
    const trueLabels = judged.map((t) => roleIds.get(t.role) ?? (roleIds.set(t.role, roleIds.size), roleIds.size - 1));
    const found = judged.map((t) => {
      const c = clusterOf.get(t.key);
      if (c === null || c === undefined) return -1;
      return clusterIds.get(c) ?? (clusterIds.set(c, clusterIds.size), clusterIds.size - 1);
    });
    const ari = adjustedRandIndex(found, trueLabels);
    expect(ari).toBeGreaterThanOrEqual(0.8);

    // Each large role is mostly in one cluster, and no two large roles share it.
    const majority = new Map<string, string>();
    for (const [role] of roleIds) {
      const members = judged.filter((t) => t.role === role);
      if (members.length < 20) continue;
      const counts = new Map<string, number>();
      for (const m of members) {
        const c = clusterOf.get(m.key);
        if (c) counts.set(c, (counts.get(c) ?? 0) + 1);
      }
      const [best, n] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
      expect({ role, share: n / members.length >= 0.8 }).toEqual({ role, share: true });
      majority.set(role, best);
    }
    expect(new Set(majority.values()).size).toBe(majority.size);

    const clusters: Page<ClusterDto> = await rpc.send(Subjects.clustering.clustersList, { actor, limit: 100 });
    expect(clusters.items.length).toBe(clusterIds.size);
    for (const c of clusters.items) {
      expect(c.label.length).toBeGreaterThan(0);
      expect(c.explanation.length).toBeGreaterThan(40);
      expect(c.sgt).not.toBeNull();
    }
    const printers = clusters.items.find((c) => c.id === majority.get('printer'));
    expect(printers?.topServices.some((s) => s.role === 'server' && s.port === 9100)).toBe(true);
  }, 300_000);

  it('derives a policy matrix between the groups and SGACLs from it', async () => {
    const matrix = await rpc.send<PolicyMatrixDto>(Subjects.clustering.policyMatrix, { actor });
    expect(matrix.cells.length).toBeGreaterThan(3);
    const cellFlows = matrix.cells.reduce((sum, c) => sum + c.flows, 0);
    const [{ edgeFlows }] = await queryAsTenant<{ edgeFlows: string }>(tenantId, 'SELECT coalesce(sum(flows), 0) AS "edgeFlows" FROM endpoint_edges');
    expect(cellFlows).toBe(Number(edgeFlows));
    const cli = await rpc.send<SgaclExportDto>(Subjects.clustering.policySgacl, { actor, format: 'cli' });
    expect(cli.cli).toMatch(/ip access-list role-based \S+/);
    expect(cli.cli).toMatch(/permit tcp dst eq 9100/);
  }, 120_000);
});
