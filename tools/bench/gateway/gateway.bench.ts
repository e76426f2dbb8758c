/**
 * `npm run bench:gateway`: the public API under load, with autocannon at 100 connections, against the real services.
 *
 * Set-up: a fresh database `clarion_bench` (migrated), a private nats-server, and the built auth, clustering and
 * gateway processes (one each; rate limits raised so the bench measures throughput, not the limiter). A tenant and
 * its admin are created with the CLI; 2,000 endpoint profiles of several roles are stored and a full clustering job
 * is run through the API, so the reads answer real clusters and endpoints; then the tables are analysed, as
 * autovacuum would have done by then on a running system.
 *
 * Figures (each a 10 s autocannon run; latency percentiles from every response's own time):
 * - cached_rps, cached_p99_ms: authenticated GET /api/v1/clusters, served from the Redis hot-read cache;
 * - uncached_rps, uncached_p95_ms: authenticated GET /api/v1/endpoints?limit=100 (NATS -> clustering -> PostgreSQL
 *   each time);
 * - bare_rps: a bare Fastify route answering the same JSON as /api/v1/clusters, in a child process, same run: the mean
 *   of a run right before and one right after the cached phase (bare_rps_before, bare_rps_after);
 * - ratio_cached_vs_bare = cached_rps / bare_rps;
 * - CPU milliseconds per request of the gateway, the clustering service and PostgreSQL (from /proc), the figures
 *   that do not depend on what else shares the machine; for the uncached page also nats-server and autocannon, and
 *   their sum (uncached_machine_cpu_ms_per_request): the pages per second the machine's cores could sustain at most.
 * Prints human-readable lines, then one JSON line.
 */
import './bench-database';
import { permissionsOfRoles, type ActorDto } from '@clarion/contracts';
import { EndpointProfile, encodeProfile, observeFlowOnEndpoints } from '@clarion/clustering-core';
import { createLogger } from '@clarion/observability';
import { Database } from '@clarion/persistence';
import { NatsServerProcess, REPO_ROOT, ServiceProcess, TestInfra, freePort, waitForReady } from '@clarion/testing';
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { apiSummaryOf } from '../../../apps/clustering/src/query/shared/service-label';
import { FLOW_ROLE_NAMES, synthesiseRoleFlows } from '../../../libs/clustering-core/src/testing/role-flows';
import globalSetup from '../../testing/global-setup';
import { machineProbeMs } from '../machine-probe';

const ENDPOINTS = 2_000;
const CONNECTIONS = 100;
const DURATION_S = Number(process.argv.find((a) => a.startsWith('--duration='))?.split('=')[1] ?? '10');
const PASSWORD = 'bench-gateway-Lantern-orbit-93';
/** `--only=cached,uncached,bare`: run some phases only (for profiling one of them). */
const ONLY = new Set((process.argv.find((a) => a.startsWith('--only='))?.split('=')[1] ?? 'cached,uncached,bare').split(','));
const CLOCK_TICKS_PER_S = 100;

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** CPU seconds of every PostgreSQL process (server and backends; autovacuum included, so a slight over-count). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') total += cpuSeconds(Number(entry));
    } catch {
      /* the process ended meanwhile */
    }
  }
  return total;
}

interface LoadFigures {
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function load(label: string, url: string, headers: Record<string, string>): Promise<LoadFigures> {
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((done, fail) => {
    const instance = autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers }, (err, res) => (err ? fail(err) : done(res)));
    instance.on('response', (_client, _status, _bytes, responseTime) => times.push(responseTime));
  });
  times.sort((a, b) => a - b);
  const figures = {
    requests: result.requests.total,
    rps: result.requests.total / (result.duration || DURATION_S),
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
  console.log(
    `${label.padEnd(34)} ${figures.rps.toFixed(0).padStart(8)} req/s   p50 ${figures.p50.toFixed(2)} ms  p95 ${figures.p95.toFixed(2)} ms  ` +
      `p99 ${figures.p99.toFixed(2)} ms   non-2xx ${figures.non2xx}  errors ${figures.errors}`,
  );
  return figures;
}

async function seedProfiles(tenantId: string): Promise<void> {
  const logger = createLogger('bench-gateway', 'warn');
  const db = new Database({ url: TestInfra.serviceUrl('clustering'), poolSize: 2, statementTimeoutMs: 60_000, applicationName: 'bench-gateway' }, logger);
  await db.start();
  const profiles = new Map<string, EndpointProfile>();
  for (let i = 0; i < ENDPOINTS; i++) {
    const role = FLOW_ROLE_NAMES[i % FLOW_ROLE_NAMES.length];
    const self = `10.${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
    for (const flow of synthesiseRoleFlows(role, self, 3, 1000 + i)) {
      observeFlowOnEndpoints(flow, (key) => {
        let p = profiles.get(key);
        if (!p) profiles.set(key, (p = new EndpointProfile()));
        return p;
      });
    }
  }
  // Only the enterprise's own endpoints (their peers are a few shared servers and the internet).
  const rows = [...profiles]
    .filter(([key]) => key.startsWith('ip:10.2'))
    // With the summary the flow consumer stores alongside each profile (the API's form, as JSON.stringify writes it).
    .map(([key, p]) => ({ key, address: key.slice(3), profile: Buffer.from(encodeProfile(p)).toString('base64'), summary: JSON.stringify(apiSummaryOf(p.summary())), flows: p.flows, first: p.firstSeenMs, last: p.lastSeenMs }));
  await db.withTenant(tenantId, async (m) => {
    for (let i = 0; i < rows.length; i += 500) {
      await m.query(
        `INSERT INTO endpoint_profiles (tenant_id, endpoint_key, address, profile, api_summary, flows, first_seen_at, last_seen_at)
         SELECT $1, r.key, r.address::inet, decode(r.profile, 'base64'), r.summary::json, r.flows, to_timestamp(r.first / 1000.0), to_timestamp(r.last / 1000.0)
         FROM jsonb_to_recordset($2::jsonb) AS r(key text, address text, profile text, summary text, flows bigint, first double precision, last double precision)`,
        [tenantId, JSON.stringify(rows.slice(i, i + 500))],
      );
    }
  });
  await db.close();
  console.log(`seeded ${rows.length} endpoint profiles`);
}

/**
 * Fresh statistics for the tables the reads use, as autovacuum's analyze gives a running system within a minute of
 * such a bulk load (without them the planner takes 2,000 freshly seeded profiles for a few dozen and sorts them all).
 */
async function analyzeTables(): Promise<void> {
  const owner = new Client({ connectionString: TestInfra.ownerUrl });
  await owner.connect();
  try {
    await owner.query('ANALYZE endpoint_profiles, endpoint_memberships, clusters, sgts, endpoint_identities, endpoint_edges');
  } finally {
    await owner.end();
  }
}

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0];
  const probeMs = machineProbeMs();
  console.log(
    `clarion bench:gateway  ${new Date().toISOString()}  ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}  node ${process.version}  load ${loadAtStart.toFixed(2)}  machine probe ${probeMs} ms`,
  );
  await globalSetup();
  // NATS as deployed: TLS, each service on its own identity and caller-assertion key.
  const nats = new NatsServerProcess({ secure: true });
  const natsUrl = await nats.start();
  const common = {
    CLARION_ENV: 'test',
    LOG_LEVEL: 'warn',
    // No DATABASE_URL: ServiceProcess connects each service as its own role (clarion_<service>).
    NATS_URL: natsUrl,
    // Its own Redis database: the bench's hundreds of thousands of requests from 127.0.0.1 must not fill the shared
    // per-address rate-limit window that tests and a running `npm start` count in.
    REDIS_URL: `${TestInfra.redisUrl.replace(/\/\d*$/, '')}/${process.env['BENCH_REDIS_DB'] ?? '14'}`,
    OPS_HOST: '127.0.0.1',
    // Experiments only: BENCH_OTEL_SDK_DISABLED=true measures the services without OpenTelemetry instrumentation.
    ...(process.env['BENCH_OTEL_SDK_DISABLED'] ? { OTEL_SDK_DISABLED: process.env['BENCH_OTEL_SDK_DISABLED'] } : {}),
  };
  const processes: ServiceProcess[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'clarion-bench-gw-'));
  let bare: ReturnType<typeof spawn> | undefined;
  try {
    const [authOps, clusteringOps, gatewayOps, httpPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    processes.push(new ServiceProcess('auth', { ...common, ...nats.envOf('auth'), OPS_PORT: String(authOps) }).start());
    processes.push(
      new ServiceProcess('clustering', { ...common, ...nats.envOf('clustering'), OPS_PORT: String(clusteringOps) }, (process.env['BENCH_CLUSTERING_NODE_ARGS'] ?? '').split(' ').filter(Boolean)).start(),
    );
    processes.push(
      new ServiceProcess('gateway', {
        ...common,
        ...nats.envOf('gateway'),
        OPS_PORT: String(gatewayOps),
        HTTP_PORT: String(httpPort),
        HTTP_HOST: '127.0.0.1',
        RATE_LIMIT_PER_IP: '100000000',
        RATE_LIMIT_PER_PRINCIPAL: '100000000',
        RATE_LIMIT_LOGIN_PER_IP: '100000000',
      },
      // Profiling: BENCH_GATEWAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/gw-prof' npm run bench:gateway
      (process.env['BENCH_GATEWAY_NODE_ARGS'] ?? '').split(' ').filter(Boolean),
      ).start(),
    );
    await Promise.all([authOps, clusteringOps, gatewayOps].map((p) => waitForReady(p, 60_000)));
    const base = `http://127.0.0.1:${httpPort}`;

    const tenant = `bench-${Date.now().toString(36)}`;
    execFileSync(process.execPath, [resolve(REPO_ROOT, 'dist/apps/auth/src/cli/clarion-cli.js'), 'admin', 'create', '--tenant', tenant, '--email', 'bench@bench.example', '--name', 'Bench', '--password-stdin'], {
      input: PASSWORD,
      env: { PATH: process.env['PATH'] ?? '', ...common, DATABASE_URL: TestInfra.serviceUrl('auth') },
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    const login = await json<{ accessToken: string }>(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant, email: 'bench@bench.example', password: PASSWORD }),
    });
    const auth = { authorization: `Bearer ${login.accessToken}` };
    const me = await json<{ tenantId: string }>(`${base}/api/v1/auth/me`, { headers: auth });
    const actor: ActorDto = { kind: 'user', tenantId: me.tenantId, id: 'bench', permissions: permissionsOfRoles(['admin']) };
    await seedProfiles(actor.tenantId);

    const job = await json<{ id: string }>(`${base}/api/v1/clustering/jobs`, { method: 'POST', headers: auth });
    const jobStarted = performance.now();
    for (;;) {
      const state = await json<{ status: string; stage: string | null; clusters: number | null; error: string | null }>(`${base}/api/v1/clustering/jobs/${job.id}`, { headers: auth });
      if (state.status === 'succeeded') {
        console.log(`clustering job: ${state.clusters} clusters in ${((performance.now() - jobStarted) / 1000).toFixed(1)} s`);
        break;
      }
      if (state.status === 'failed') throw new Error(`clustering job failed: ${state.error}`);
      if (performance.now() - jobStarted > 300_000) throw new Error('clustering job did not finish in 5 minutes');
      await new Promise((r) => setTimeout(r, 500));
    }
    await analyzeTables();

    const clustersUrl = `${base}/api/v1/clusters`;
    const first = await fetch(clustersUrl, { headers: auth });
    const body = await first.text();
    const second = await fetch(clustersUrl, { headers: auth });
    await second.text();
    console.log(`GET /api/v1/clusters: ${body.length} bytes, cache ${first.headers.get('x-cache')} then ${second.headers.get('x-cache')}`);
    if (second.headers.get('x-cache') !== 'hit') throw new Error('the second read of /api/v1/clusters was not a cache hit');
    const endpointPage = await fetch(`${base}/api/v1/endpoints?limit=100`, { headers: auth });
    const endpointPageBytes = (await endpointPage.arrayBuffer()).byteLength;
    if (endpointPage.status !== 200) throw new Error(`GET /api/v1/endpoints?limit=100 answered ${endpointPage.status}`);
    console.log(`GET /api/v1/endpoints?limit=100: ${endpointPageBytes} bytes`);

    const bodyFile = join(tmp, 'clusters.json');
    writeFileSync(bodyFile, body);
    bare = spawn(process.execPath, [resolve(__dirname, 'bare-server.js'), bodyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    const barePort = await new Promise<number>((resolvePort, reject) => {
      createInterface({ input: bare!.stdout! }).once('line', (line) => resolvePort(Number(line)));
      bare!.once('exit', (code) => reject(new Error(`bare server exited ${code}`)));
    });

    const none: LoadFigures = { requests: 0, rps: 0, p50: 0, p95: 0, p99: 0, non2xx: 0, errors: 0 };
    const [gateway, clustering] = [processes[2], processes[1]];
    // CPU the gateway (and clustering) spend per request: a figure that does not depend on what else the machine runs.
    interface Run {
      figures: LoadFigures;
      gatewayMs: number;
      clusteringMs: number;
      postgresMs: number;
      natsMs: number;
      /** autocannon, in this process. */
      loadMs: number;
    }
    const cpuPerRequestMs = async (run: () => Promise<LoadFigures>): Promise<Run> => {
      const [g0, c0, p0, n0, l0] = [cpuSeconds(gateway.pid), cpuSeconds(clustering.pid), postgresCpuSeconds(), cpuSeconds(nats.pid), process.cpuUsage()];
      const figures = await run();
      const per = (s: number) => (figures.requests > 0 ? (s * 1000) / figures.requests : 0);
      const load = process.cpuUsage(l0);
      return {
        figures,
        gatewayMs: per(cpuSeconds(gateway.pid) - g0),
        clusteringMs: per(cpuSeconds(clustering.pid) - c0),
        postgresMs: per(postgresCpuSeconds() - p0),
        natsMs: per(cpuSeconds(nats.pid) - n0),
        loadMs: per((load.user + load.system) / 1e6),
      };
    };
    const skipped: Run = { figures: none, gatewayMs: 0, clusteringMs: 0, postgresMs: 0, natsMs: 0, loadMs: 0 };
    // The anchor runs right before and right after the cached phase and the ratio uses their mean: this machine's speed
    // drifts within a run, and a single anchor run measured at another moment skews the ratio either way.
    const bareRun = (when: string) => (ONLY.has('bare') ? load(`bare Fastify, same JSON (${when})`, `http://127.0.0.1:${barePort}/api/v1/clusters`, {}) : Promise.resolve(none));
    const bareBefore = await bareRun('before');
    const cachedRun = ONLY.has('cached') ? await cpuPerRequestMs(() => load('cached GET /api/v1/clusters', clustersUrl, auth)) : skipped;
    const bareAfter = await bareRun('after');
    const uncachedRun = ONLY.has('uncached')
      ? await cpuPerRequestMs(() => load('uncached GET /api/v1/endpoints?limit=100', `${base}/api/v1/endpoints?limit=100`, auth))
      : skipped;
    const bareFigures: LoadFigures = {
      ...bareAfter,
      rps: (bareBefore.rps + bareAfter.rps) / 2,
      non2xx: bareBefore.non2xx + bareAfter.non2xx,
      errors: bareBefore.errors + bareAfter.errors,
    };
    const [cached, uncached] = [cachedRun.figures, uncachedRun.figures];
    // Everything one uncached page costs the machine, and the rate two cores could sustain at that cost.
    const uncachedTotalMs = uncachedRun.gatewayMs + uncachedRun.clusteringMs + uncachedRun.postgresMs + uncachedRun.natsMs + uncachedRun.loadMs;
    console.log(
      `CPU per request: cached gateway ${cachedRun.gatewayMs.toFixed(3)} ms; uncached gateway ${uncachedRun.gatewayMs.toFixed(3)} ms + clustering ${uncachedRun.clusteringMs.toFixed(3)} ms + PostgreSQL ${uncachedRun.postgresMs.toFixed(3)} ms + nats-server ${uncachedRun.natsMs.toFixed(3)} ms + autocannon ${uncachedRun.loadMs.toFixed(3)} ms = ${uncachedTotalMs.toFixed(3)} ms (at most ${uncachedTotalMs > 0 ? Math.round((cpus().length * 1000) / uncachedTotalMs) : 0} pages/s on ${cpus().length} cores)`,
    );

    const figures = {
      cached_rps: Math.round(cached.rps),
      cached_p99_ms: Number(cached.p99.toFixed(2)),
      cached_p50_ms: Number(cached.p50.toFixed(2)),
      uncached_rps: Math.round(uncached.rps),
      uncached_p95_ms: Number(uncached.p95.toFixed(2)),
      uncached_p99_ms: Number(uncached.p99.toFixed(2)),
      bare_rps: Math.round(bareFigures.rps),
      bare_rps_before: Math.round(bareBefore.rps),
      bare_rps_after: Math.round(bareAfter.rps),
      ratio_cached_vs_bare: bareFigures.rps > 0 ? Number((cached.rps / bareFigures.rps).toFixed(3)) : null,
      cached_gateway_cpu_ms_per_request: Number(cachedRun.gatewayMs.toFixed(3)),
      uncached_gateway_cpu_ms_per_request: Number(uncachedRun.gatewayMs.toFixed(3)),
      uncached_clustering_cpu_ms_per_request: Number(uncachedRun.clusteringMs.toFixed(3)),
      uncached_postgres_cpu_ms_per_request: Number(uncachedRun.postgresMs.toFixed(3)),
      uncached_nats_cpu_ms_per_request: Number(uncachedRun.natsMs.toFixed(3)),
      uncached_autocannon_cpu_ms_per_request: Number(uncachedRun.loadMs.toFixed(3)),
      uncached_machine_cpu_ms_per_request: Number(uncachedTotalMs.toFixed(3)),
      uncached_page_bytes: endpointPageBytes,
      non_2xx: cached.non2xx + uncached.non2xx + bareFigures.non2xx,
      errors: cached.errors + uncached.errors + bareFigures.errors,
      connections: CONNECTIONS,
      duration_s: DURATION_S,
      endpoints: ENDPOINTS,
      cores: cpus().length,
      load_at_start: Number(loadAtStart.toFixed(2)),
      machine_probe_ms: probeMs,
    };
    console.log(
      `targets: ratio_cached_vs_bare ${figures.ratio_cached_vs_bare} (>= 0.5), cached_p99_ms ${figures.cached_p99_ms} (< 25), uncached_p95_ms ${figures.uncached_p95_ms} (< 100)`,
    );
    console.log(JSON.stringify(figures));
  } finally {
    bare?.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.stop()));
    await nats.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
