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
 * 4. sFlow (decode_sflow_fps: flow samples per CPU-second, from the decode benchmark): the same sender as an sFlow
 *    agent (--protocol=sflow: 6 flow samples per 1,324-byte datagram) at BENCH_SFLOW_RATE samples/s for
 *    BENCH_SFLOW_SECONDS into a fresh ingest's sFlow port (e2e_sflow_fps, e2e_sflow_lost, e2e_sflow_p99_ms, ...), then
 *    into nfdump's sfcapd (sfcapd_fps, sfcapd_lost). ratio_sflow_vs_sfcapd = e2e_sflow_fps / sfcapd_fps.
 * Also reported: kernel drops on the ingest socket, CPU seconds of ingest and of PostgreSQL during the run, load
 * average. With BENCH_PROFILE=1 ingest runs under --cpu-prof and the top functions by self time are printed.
 * Ends with one JSON line.
 *
 * Environment: BENCH_RATE (100000), BENCH_SECONDS (60), BENCH_SFLOW_RATE (BENCH_RATE), BENCH_SFLOW_SECONDS (30),
 * BENCH_DATABASE_URL (ingest's role, database clarion), BENCH_OWNER_URL (schema owner: creates the tenant, and
 * deletes it with its rows afterwards unless BENCH_KEEP_DATA=1), BENCH_DECODE_SECONDS (3), BENCH_SKIP_NFCAPD (also
 * skips sfcapd), BENCH_SKIP_SFLOW, BENCH_PROFILE; INGEST_* variables are passed on to the service.
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
const SFLOW_RATE = Number(env('BENCH_SFLOW_RATE', String(RATE)));
const SFLOW_SECONDS = Number(env('BENCH_SFLOW_SECONDS', '30'));
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

/** What one benchmark stream is: IPFIX at BENCH_RATE for BENCH_SECONDS, or sFlow at its own rate and duration. */
interface Stream {
  protocol: 'ipfix' | 'sflow';
  rate: number;
  seconds: number;
  /** Prefix of the figures: e2e_ / e2e_sflow_. */
  prefix: string;
}

const IPFIX_STREAM: Stream = { protocol: 'ipfix', rate: RATE, seconds: SECONDS, prefix: 'e2e_' };
const SFLOW_STREAM: Stream = { protocol: 'sflow', rate: SFLOW_RATE, seconds: SFLOW_SECONDS, prefix: 'e2e_sflow_' };

async function sendFlows(port: number, stream: Stream): Promise<{ flows: number; startedAtMs: number; endedAtMs: number; seconds: number }> {
  const result = await lastJsonLine(join(DIST, 'tools/bench/ingest/flow-sender.js'), [
    `--port=${port}`,
    `--rate=${stream.rate}`,
    `--seconds=${stream.seconds}`,
    `--protocol=${stream.protocol}`,
  ]);
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
  return Object.fromEntries(['decode_v5_fps', 'decode_v9_fps', 'decode_ipfix_fps', 'decode_sflow_fps'].filter((k) => k in figures).map((k) => [k, figures[k]]));
}

async function endToEnd(work: string, stream: Stream): Promise<Record<string, number>> {
  const owner = new Client({ connectionString: OWNER_URL });
  await owner.connect();
  const slug = `bench-ingest-${Date.now().toString(36)}`;
  const tenantId = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'ingest benchmark') RETURNING id`, [slug])).rows[0].id as string;
  await owner.end();

  const opsPort = await freePort();
  const udpPort = await freeUdpPort();
  const sflowPort = await freeUdpPort();
  const args = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(work, `profile-${stream.protocol}`)}`] : [];
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
      INGEST_SPOOL_DIR: join(work, `spool-${stream.protocol}`),
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

  const what = stream.protocol === 'sflow' ? 'sFlow flow samples' : 'IPFIX flows';
  console.log(`${stream.prefix.replace(/_$/, '')}: ${stream.rate} ${what}/s for ${stream.seconds} s over UDP into ingest (tenant ${slug})`);
  const sent = await sendFlows(stream.protocol === 'sflow' ? sflowPort : udpPort, stream);
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
  const figures = {
    fps: Math.round(stored / span),
    lost: sent.flows - stored,
    p99_ms: Math.round(histogramQuantile(text, 'clarion_ingest_commit_delay_seconds', 0.99) * 1000),
    sent: sent.flows,
    stored,
    offered_fps: Math.round(sent.flows / sent.seconds),
    kernel_drops_packets: metricValue(text, 'clarion_ingest_udp_socket_drops'),
    spooled_batches: metricValue(text, 'clarion_ingest_spooled_batches_total'),
    ingest_cpu_s: Math.round((cpuAfter.ingest - cpuBefore.ingest) * 10) / 10,
    postgres_cpu_s: Math.round((cpuAfter.postgres - cpuBefore.postgres) * 10) / 10,
  };
  console.log(
    `${stream.prefix.replace(/_$/, '')}: sent ${sent.flows}, stored ${stored} (lost ${figures.lost}, ${figures.kernel_drops_packets} packets dropped by the kernel), ` +
      `${figures.fps} flows/s, p99 ${figures.p99_ms} ms; CPU ingest ${figures.ingest_cpu_s} s, PostgreSQL ${figures.postgres_cpu_s} s`,
  );
  if (PROFILE) await printProfile(join(work, `profile-${stream.protocol}`));
  return Object.fromEntries(Object.entries(figures).map(([k, v]) => [`${stream.prefix}${k}`, v]));
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

/** The same stream into nfdump's collector for it (nfcapd for IPFIX, sfcapd for sFlow), writing files. */
async function nfdumpCollectorFigures(work: string, collector: 'nfcapd' | 'sfcapd', stream: Stream): Promise<Record<string, number>> {
  const dir = join(work, collector);
  const port = await freeUdpPort();
  await mkdir(dir, { recursive: true });
  const child = spawn(collector, ['-w', dir, '-p', String(port), '-b', '127.0.0.1', '-B', String(8 * 1024 * 1024)], { stdio: 'ignore' });
  await sleep(1_000);
  if (child.exitCode !== null) throw new Error(`${collector} exited with ${child.exitCode}`);
  console.log(`${collector}: the same stream into nfdump's collector`);
  const sent = await sendFlows(port, stream);
  await sleep(1_000);
  child.kill('SIGTERM');
  await exited(child);
  // sfcapd names its files as nfcapd does.
  const files = (await readdir(dir)).filter((f) => f.startsWith('nfcapd.'));
  let flows = 0;
  if (files.length > 0) {
    const { stdout } = await run('nfdump', ['-R', dir, '-I'], { maxBuffer: 16 * 1024 * 1024 });
    flows = Number(/^Flows:\s*(\d+)/m.exec(stdout)?.[1] ?? 0);
  }
  const fps = Math.round(flows / sent.seconds);
  console.log(`${collector}: sent ${sent.flows}, stored ${flows} (lost ${sent.flows - flows}), ${fps} flows/s`);
  return { [`${collector}_fps`]: fps, [`${collector}_lost`]: sent.flows - flows };
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
    const skipReference = env('BENCH_SKIP_NFCAPD', '') === '1';
    const e2e = await endToEnd(work, IPFIX_STREAM);
    const nfcapd = skipReference ? {} : await nfdumpCollectorFigures(work, 'nfcapd', IPFIX_STREAM);
    const ratio = 'nfcapd_fps' in nfcapd && nfcapd.nfcapd_fps > 0 ? Math.round((e2e.e2e_fps / nfcapd.nfcapd_fps) * 100) / 100 : null;
    const runSflow = env('BENCH_SKIP_SFLOW', '') !== '1';
    const sflow = runSflow ? await endToEnd(work, SFLOW_STREAM) : {};
    const sfcapd = runSflow && !skipReference ? await nfdumpCollectorFigures(work, 'sfcapd', SFLOW_STREAM) : {};
    const sflowRatio = 'sfcapd_fps' in sfcapd && sfcapd.sfcapd_fps > 0 ? Math.round((sflow.e2e_sflow_fps / sfcapd.sfcapd_fps) * 100) / 100 : null;
    console.log(
      JSON.stringify({
        ...decode,
        ...e2e,
        ...nfcapd,
        ratio_vs_nfcapd: ratio,
        ...sflow,
        ...sfcapd,
        ratio_sflow_vs_sfcapd: sflowRatio,
        rate: RATE,
        seconds: SECONDS,
        sflow_rate: SFLOW_RATE,
        sflow_seconds: SFLOW_SECONDS,
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
