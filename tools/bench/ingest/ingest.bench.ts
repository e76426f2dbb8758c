/**
 * `npm run bench:ingest`: the collector end to end on this machine.
 *
 * 1. Decode figures (decode_v5_fps, decode_v9_fps, decode_ipfix_fps): the netflow library's own benchmark,
 *    dist/tools/bench/netflow/decode.bench.js, run as a child and its JSON line parsed.
 * 2. e2e: the built ingest service (dist/apps/ingest/src/main.js) against the real PostgreSQL (database `clarion`,
 *    migrated; a throw-away tenant per run), fed by a separate sender process (flow-sender.js: IPFIX over UDP, a
 *    realistic 24-field template, 15 flows per packet) at BENCH_RATE flows/s for BENCH_SECONDS seconds.
 *    - e2e_fps: rows committed / (last commit - first packet sent)
 *    - e2e_lost: flows sent - rows stored for the tenant
 *    - e2e_p99_ms: 99th percentile of packet received -> its rows committed (the service's
 *      clarion_ingest_commit_delay_seconds histogram, interpolated within its bucket)
 * 3. nfcapd_fps: the same sender, same rate and duration, into nfdump's nfcapd (writing files); flows nfdump then
 *    reads back / the same time base. ratio_vs_nfcapd = e2e_fps / nfcapd_fps.
 * Also reported: kernel drops on the ingest socket, CPU seconds of ingest and of PostgreSQL during the run, load
 * average. With BENCH_PROFILE=1 ingest runs under --cpu-prof and the top functions by self time are printed.
 * Ends with one JSON line.
 *
 * Environment: BENCH_RATE (100000), BENCH_SECONDS (60), BENCH_DATABASE_URL (ingest's role, database clarion),
 * BENCH_OWNER_URL (schema owner: creates the tenant, and deletes it with its rows afterwards unless BENCH_KEEP_DATA=1),
 * BENCH_DECODE_SECONDS (3), BENCH_SKIP_NFCAPD, BENCH_PROFILE; INGEST_* variables are passed on to the service.
 */
import { REPO_ROOT, freePort, freeUdpPort, metricValue } from '@clarion/testing';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);
const ROOT = REPO_ROOT;
const DIST = join(ROOT, 'dist');
const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const RATE = Number(env('BENCH_RATE', '100000'));
const SECONDS = Number(env('BENCH_SECONDS', '60'));
const APP_URL = env('BENCH_DATABASE_URL', 'postgres://clarion_ingest@127.0.0.1:5432/clarion');
const OWNER_URL = env('BENCH_OWNER_URL', 'postgres://clarion_owner@127.0.0.1:5432/clarion');
const NATS_URL = env('BENCH_NATS_URL', 'nats://127.0.0.1:4222');
const REDIS_URL = env('BENCH_REDIS_URL', 'redis://127.0.0.1:6379');
const PROFILE = env('BENCH_PROFILE', '') === '1';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}


/** Runs a node script and returns the last JSON line it printed. */
async function lastJsonLine(script: string, args: string[]): Promise<Record<string, number>> {
  const { stdout } = await run(process.execPath, [script, ...args], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const lines = stdout.trim().split('\n');
  for (const line of lines) if (!line.startsWith('{')) console.log(`  ${line}`);
  return JSON.parse(lines[lines.length - 1]) as Record<string, number>;
}

/** Quantile of a Prometheus histogram (cumulative buckets), interpolated linearly inside its bucket. */
function histogramQuantile(text: string, name: string, q: number): number {
  const buckets: Array<[number, number]> = [];
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"[^}]*\\}\\s+(\\S+)`).exec(line);
    if (match) buckets.push([match[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[1]), Number(match[2])]);
  }
  buckets.sort((a, b) => a[0] - b[0]);
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let previousBound = 0;
  let previousCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(bound)) return previousBound;
      return previousBound + ((bound - previousBound) * (rank - previousCount)) / Math.max(1, count - previousCount);
    }
    previousBound = bound;
    previousCount = count;
  }
  return previousBound;
}

async function processCpuSeconds(pids: number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

async function postgresBackendPids(): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-f', '^postgres: ']).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean).map(Number);
}

async function sendFlows(port: number): Promise<{ flows: number; startedAtMs: number; endedAtMs: number; seconds: number }> {
  const result = await lastJsonLine(join(DIST, 'tools/bench/ingest/flow-sender.js'), [`--port=${port}`, `--rate=${RATE}`, `--seconds=${SECONDS}`]);
  return result as unknown as { flows: number; startedAtMs: number; endedAtMs: number; seconds: number };
}

async function decodeFigures(): Promise<Record<string, number>> {
  const script = join(DIST, 'tools/bench/netflow/decode.bench.js');
  if (!existsSync(script)) {
    console.log('decode: dist/tools/bench/netflow/decode.bench.js not built; decode figures omitted');
    return {};
  }
  console.log('decode (tools/bench/netflow/decode.bench.ts):');
  const figures = await lastJsonLine(script, [`--seconds=${env('BENCH_DECODE_SECONDS', '3')}`]);
  return Object.fromEntries(['decode_v5_fps', 'decode_v9_fps', 'decode_ipfix_fps'].filter((k) => k in figures).map((k) => [k, figures[k]]));
}

async function endToEnd(work: string): Promise<Record<string, number>> {
  const owner = new Client({ connectionString: OWNER_URL });
  await owner.connect();
  const slug = `bench-ingest-${Date.now().toString(36)}`;
  const tenantId = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'ingest benchmark') RETURNING id`, [slug])).rows[0].id as string;
  await owner.end();

  const opsPort = await freePort();
  const udpPort = await freeUdpPort();
  const sflowPort = await freeUdpPort();
  const args = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(work, 'profile')}`] : [];
  const ingest = spawn(process.execPath, [...args, join(DIST, 'apps/ingest/src/main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      CLARION_ENV: 'development',
      LOG_LEVEL: 'warn',
      OPS_PORT: String(opsPort),
      OPS_HOST: '127.0.0.1',
      DATABASE_URL: APP_URL,
      NATS_URL,
      REDIS_URL,
      INGEST_UDP_PORTS: String(udpPort),
      INGEST_SFLOW_PORTS: String(sflowPort),
      INGEST_UDP_HOST: '127.0.0.1',
      INGEST_DEFAULT_TENANT: slug,
      INGEST_SPOOL_DIR: join(work, 'spool'),
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('INGEST_'))),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${opsPort}`;
  const metrics = async (): Promise<string> => (await fetch(`${url}/metrics`)).text();
  let ready = false;
  for (let i = 0; i < 600 && !ready && ingest.exitCode === null; i++) {
    ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (!ready) await sleep(100);
  }
  if (!ready) {
    ingest.kill('SIGKILL');
    throw new Error(`ingest did not become ready (exit code ${ingest.exitCode})`);
  }
  const pgPids = await postgresBackendPids();
  const cpuBefore = { ingest: await processCpuSeconds([ingest.pid ?? 0]), postgres: await processCpuSeconds(pgPids) };

  console.log(`e2e: ${RATE} flows/s for ${SECONDS} s over UDP into ingest (tenant ${slug})`);
  const sent = await sendFlows(udpPort);
  // Wait for the last rows: until the committed count stops moving for 3 s.
  let committed = -1;
  let lastChange = Date.now();
  let lastCommitMs = Date.now();
  while (Date.now() - lastChange < 3_000) {
    const now = metricValue(await metrics(), 'clarion_ingest_rows_committed_total');
    if (now !== committed) {
      committed = now;
      lastChange = Date.now();
      lastCommitMs = lastChange;
    }
    await sleep(200);
  }
  const text = await metrics();
  const cpuAfter = { ingest: await processCpuSeconds([ingest.pid ?? 0]), postgres: await processCpuSeconds(await postgresBackendPids()) };
  ingest.kill('SIGTERM');
  await exited(ingest);

  const app = new Client({ connectionString: APP_URL });
  await app.connect();
  await app.query('BEGIN');
  await app.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
  const stored = Number((await app.query('SELECT count(*) AS n FROM flows')).rows[0].n);
  await app.query('COMMIT');
  await app.end();
  if (env('BENCH_KEEP_DATA', '') !== '1') await dropTenant(tenantId);

  const span = (Math.max(lastCommitMs - 3_000, sent.endedAtMs) - sent.startedAtMs) / 1000;
  const result = {
    e2e_fps: Math.round(stored / span),
    e2e_lost: sent.flows - stored,
    e2e_p99_ms: Math.round(histogramQuantile(text, 'clarion_ingest_commit_delay_seconds', 0.99) * 1000),
    e2e_sent: sent.flows,
    e2e_stored: stored,
    e2e_offered_fps: Math.round(sent.flows / sent.seconds),
    e2e_kernel_drops_packets: metricValue(text, 'clarion_ingest_udp_socket_drops'),
    e2e_spooled_batches: metricValue(text, 'clarion_ingest_spooled_batches_total'),
    e2e_ingest_cpu_s: Math.round((cpuAfter.ingest - cpuBefore.ingest) * 10) / 10,
    e2e_postgres_cpu_s: Math.round((cpuAfter.postgres - cpuBefore.postgres) * 10) / 10,
  };
  console.log(
    `e2e: sent ${sent.flows}, stored ${stored} (lost ${result.e2e_lost}, ${result.e2e_kernel_drops_packets} packets dropped by the kernel), ` +
      `${result.e2e_fps} flows/s, p99 ${result.e2e_p99_ms} ms; CPU ingest ${result.e2e_ingest_cpu_s} s, PostgreSQL ${result.e2e_postgres_cpu_s} s`,
  );
  if (PROFILE) await printProfile(join(work, 'profile'));
  return result;
}

/** The benchmark tenant and its rows go (millions of them per run); as the schema owner, in the tenant's context. */
async function dropTenant(tenantId: string): Promise<void> {
  const owner = new Client({ connectionString: OWNER_URL });
  await owner.connect();
  try {
    await owner.query('BEGIN');
    await owner.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
    await owner.query('DELETE FROM flows WHERE tenant_id = $1', [tenantId]);
    await owner.query('COMMIT');
    await owner.query('DELETE FROM tenants WHERE id = $1', [tenantId]);
  } finally {
    await owner.end();
  }
}

async function nfcapdFigures(work: string): Promise<Record<string, number>> {
  const dir = join(work, 'nfcapd');
  const port = await freeUdpPort();
  await mkdir(dir, { recursive: true });
  const nfcapd = spawn('nfcapd', ['-w', dir, '-p', String(port), '-b', '127.0.0.1', '-B', String(8 * 1024 * 1024)], { stdio: 'ignore' });
  await sleep(1_000);
  if (nfcapd.exitCode !== null) throw new Error(`nfcapd exited with ${nfcapd.exitCode}`);
  console.log(`nfcapd: the same stream into nfdump's collector`);
  const sent = await sendFlows(port);
  await sleep(1_000);
  nfcapd.kill('SIGTERM');
  await exited(nfcapd);
  const files = (await readdir(dir)).filter((f) => f.startsWith('nfcapd.'));
  let flows = 0;
  if (files.length > 0) {
    const { stdout } = await run('nfdump', ['-R', dir, '-I'], { maxBuffer: 16 * 1024 * 1024 });
    flows = Number(/^Flows:\s*(\d+)/m.exec(stdout)?.[1] ?? 0);
  }
  const fps = Math.round(flows / sent.seconds);
  console.log(`nfcapd: sent ${sent.flows}, stored ${flows} (lost ${sent.flows - flows}), ${fps} flows/s`);
  return { nfcapd_fps: fps, nfcapd_lost: sent.flows - flows };
}

async function printProfile(dir: string): Promise<void> {
  const files = existsSync(dir) ? (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')) : [];
  if (files.length === 0) return;
  const profile = JSON.parse(await readFile(join(dir, files[0]), 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const n = nodes.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    if (!n) return;
    const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  console.log('ingest CPU profile, self time (whole process life, start-up included):');
  for (const [key, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${((t / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'clarion-bench-ingest-'));
  const load = loadavg()[0];
  try {
    const decode = await decodeFigures();
    const e2e = await endToEnd(work);
    const nfcapd = env('BENCH_SKIP_NFCAPD', '') === '1' ? {} : await nfcapdFigures(work);
    const ratio = 'nfcapd_fps' in nfcapd && nfcapd.nfcapd_fps > 0 ? Math.round((e2e.e2e_fps / nfcapd.nfcapd_fps) * 100) / 100 : null;
    console.log(
      JSON.stringify({
        ...decode,
        ...e2e,
        ...nfcapd,
        ratio_vs_nfcapd: ratio,
        rate: RATE,
        seconds: SECONDS,
        load_average_at_start: Math.round(load * 100) / 100,
        date: new Date().toISOString(),
      }),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
