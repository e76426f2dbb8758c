// Benchmark of @clarion/clustering-core on one core.
// Quality: the simulator's synthetic enterprise (tools/simulator, in-process) with 5,000 endpoints and 10 % irregular
// ones; several simulated days of its flows go through observeFlowOnEndpoints into EndpointProfiles exactly as the
// clustering service builds them, then runClustering on behaviour alone (no identity). Figures against the
// simulator's ground truth: adjusted Rand index (ARI), purity, noise, clusters; stability of cluster ids when 5 % new
// endpoints arrive before a re-run; incremental assignment throughput and p99 latency (assignProfile on the simulator
// profiles); serialised profile size. Anchor: scikit-learn OPTICS and DBSCAN on the same scaled feature matrix
// (Debian's python3-sklearn). Scale: full re-clustering at 10k/50k/100k endpoints on synthetic role-like feature
// matrices (./synthetic-roles.ts): the simulator needs minutes per simulated day at 5,000 endpoints, so 100k
// endpoints' flows are out of reach of a benchmark run. Run after `node tools/build/build.mjs`:
//   node dist/tools/bench/clustering/core.bench.js [--seeds=1,2,3] [--days=2] [--endpoints=5000]
//        [--sizes=10000,50000,100000] [--no-sklearn]
// The first seed gives the headline figures; further seeds show how much of them is the simulator's draw.
// Each scale size runs in a fresh child process so its peak RSS is its own. Profile with `node --cpu-prof ...`.
// Prints human-readable lines, then one JSON line with every figure.
import {
  adjustedRandIndex,
  ClusterAssigner,
  clusterFeatures,
  clusterIdStability,
  clusterPurity,
  DEFAULT_CLUSTERING_RUN_OPTIONS,
  encodeProfile,
  FeatureSpace,
  runClustering,
  type ClusteringRunResult,
  type EndpointInput,
  type FeatureClusteringResult,
} from '@clarion/clustering-core';
import { stringify } from 'csv-stringify/sync';
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TruthRecord } from '../../simulator';
import { buildSimulatorProfiles, holdOutNewEndpoints, type SimulatorProfiles } from './simulator-profiles';
import { synthesiseFeatures } from './synthetic-roles';

const IRREGULAR = 0.1;
/** Seed of the synthetic scale matrices. */
const SEED = 42;
/** Monday 2024-01-01 00:00 UTC: the simulated period starts on a weekday. */
const SIM_START_MS = Date.UTC(2024, 0, 1);
const GROWTH = 0.05;
const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const sizes = (arg('sizes') ?? '10000,50000,100000').split(',').filter(Boolean).map(Number);
const simEndpoints = Number(arg('endpoints') ?? '5000');
const simDays = Number(arg('days') ?? '2');
const simSeeds = (arg('seeds') ?? '1').split(',').map(Number);
const withSklearn = !process.argv.includes('--no-sklearn');

interface ScaleFigures {
  endpoints: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  ari: number;
  clusters: number;
  noiseRate: number;
  method: string;
}

function keysFor(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `ep${i}`);
}

function labelIndices(result: FeatureClusteringResult): number[] {
  const index = new Map(result.clusters.map((c, i) => [c.id, i]));
  return result.memberships.map((m) => (m.clusterId === null ? -1 : (index.get(m.clusterId) as number)));
}

function seconds(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}

/** Child process: one full clustering at `size` endpoints; reports its figures to the parent. */
function runScaleChild(size: number): void {
  const { matrix, roles } = synthesiseFeatures(size, IRREGULAR, SEED);
  const space = new FeatureSpace();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = clusterFeatures(keysFor(size), matrix, space);
  const wall = seconds(t0);
  const cpu = process.cpuUsage(cpu0);
  const figures: ScaleFigures = {
    endpoints: size,
    seconds: wall,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    ari: adjustedRandIndex(labelIndices(result), roles),
    clusters: result.clusters.length,
    noiseRate: result.noiseRate,
    method: result.method,
  };
  (process.send as (message: unknown) => void)(figures);
}

function scaleRun(size: number): Promise<ScaleFigures> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [`--scale-child=${size}`], { execArgv: [] });
    child.once('message', (m) => resolve(m as ScaleFigures));
    child.once('exit', (code) => code !== 0 && reject(new Error(`scale child ${size} exited with ${code}`)));
  });
}

interface SimulatorQuality {
  seed: number;
  sim: SimulatorProfiles;
  result: ClusteringRunResult;
  /** Truth role per clustered endpoint ('irregular' for irregular ones, 'unknown' without truth). */
  roles: string[];
  seconds: number;
  ari: number;
  ariRegular: number;
  purity: number;
  noiseRate: number;
  /** Distinct true roles among the regular endpoints seen. */
  roleCount: number;
  irregularAsNoise: number;
  regularAsNoise: number;
  stability: number;
  firstRunEndpoints: number;
  addedEndpoints: number;
  /** Share of the added endpoints that incremental assignment against the first run's model puts where the re-run does. */
  assignAgreement: number;
}

function roleOf(truth: ReadonlyMap<string, TruthRecord>, key: string): string {
  return truth.get(key)?.role ?? 'unknown';
}

/** Integer labels for ARI: one per true role; predicted noise is one group (-1), as is every cluster. */
function indexLabels(values: readonly string[]): number[] {
  const index = new Map<string, number>();
  return values.map((v) => {
    if (!index.has(v)) index.set(v, index.size);
    return index.get(v) as number;
  });
}

function simulatorQuality(seed: number): SimulatorQuality {
  const sim = buildSimulatorProfiles({ seed, endpoints: simEndpoints, noise: IRREGULAR, days: simDays, startMs: SIM_START_MS });
  // Stability: a first run without 5 % of the endpoints, then the full run with the first run's clusters as previous.
  const { first, added } = holdOutNewEndpoints(sim.inputs, GROWTH, seed);
  const firstRun = runClustering(first);
  const t0 = process.hrtime.bigint();
  const result = runClustering(
    sim.inputs,
    firstRun.clusters.map((c) => ({ id: c.id, members: c.members })),
  );
  const wall = seconds(t0);
  const roles = result.memberships.map((m) => roleOf(sim.truth, m.endpoint));
  const predicted = labelIndices(result);
  const truthLabels = indexLabels(roles);
  const regular = roles.flatMap((r, i) => (r === 'irregular' ? [] : [i]));
  const irregular = roles.length - regular.length;
  let irregularAsNoise = 0;
  let regularAsNoise = 0;
  roles.forEach((r, i) => {
    if (predicted[i] >= 0) return;
    if (r === 'irregular') irregularAsNoise++;
    else regularAsNoise++;
  });
  const assigner = new ClusterAssigner(firstRun.model);
  const finalOf = new Map(result.memberships.map((m) => [m.endpoint, m.clusterId]));
  let agree = 0;
  for (const input of added) if (assigner.assignProfile(input.profile).clusterId === finalOf.get(input.endpoint)) agree++;
  return {
    seed,
    sim,
    result,
    roles,
    seconds: wall,
    ari: adjustedRandIndex(predicted, truthLabels),
    ariRegular: adjustedRandIndex(
      regular.map((i) => predicted[i]),
      regular.map((i) => truthLabels[i]),
    ),
    purity: clusterPurity(predicted, truthLabels),
    noiseRate: result.noiseRate,
    roleCount: new Set(regular.map((i) => roles[i])).size,
    irregularAsNoise: irregular > 0 ? irregularAsNoise / irregular : 0,
    regularAsNoise: regular.length > 0 ? regularAsNoise / regular.length : 0,
    stability: clusterIdStability(
      new Map(firstRun.memberships.map((m) => [m.endpoint, m.clusterId])),
      new Map(result.memberships.map((m) => [m.endpoint, m.clusterId])),
    ),
    firstRunEndpoints: first.length,
    addedEndpoints: added.length,
    assignAgreement: added.length > 0 ? agree / added.length : 1,
  };
}

/** Where each true role (camera and sensor variants apart) landed: its largest clusters, 'noise' for noise. */
function roleBreakdown(quality: SimulatorQuality): string[] {
  const predicted = labelIndices(quality.result);
  const byRole = new Map<string, Map<number, number>>();
  quality.result.memberships.forEach((m, i) => {
    const variant = quality.sim.truth.get(m.endpoint)?.variant;
    const role = variant && quality.roles[i] !== 'database-server' ? `${quality.roles[i]}/${variant}` : quality.roles[i];
    const counts = byRole.get(role) ?? new Map<number, number>();
    counts.set(predicted[i], (counts.get(predicted[i]) ?? 0) + 1);
    byRole.set(role, counts);
  });
  return [...byRole]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([role, counts]) => {
      const parts = [...counts].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c < 0 ? 'noise' : `c${c}`} ${n}`);
      return `  ${role}: ${parts.slice(0, 5).join(', ')}${parts.length > 5 ? `, +${parts.length - 5} more` : ''}`;
    });
}

/** assignProfile (features, scaling, nearest cluster) over the simulator profiles, cycled to 100,000 calls. */
function assignmentRun(quality: SimulatorQuality): { eps: number; p99Ms: number; assignedShare: number } {
  const assigner = new ClusterAssigner(quality.result.model);
  const profiles = quality.sim.inputs.map((i) => i.profile);
  const calls = 100_000;
  // Warm-up (JIT), then one timed pass for throughput and one with per-call timing for the latency distribution.
  for (let i = 0; i < 5000; i++) assigner.assignProfile(profiles[i % profiles.length]);
  let assigned = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) if (assigner.assignProfile(profiles[i % profiles.length]).clusterId !== null) assigned++;
  const eps = calls / seconds(t0);
  const latencies = new Float64Array(20_000);
  for (let i = 0; i < latencies.length; i++) {
    const profile = profiles[i % profiles.length];
    const s = process.hrtime.bigint();
    assigner.assignProfile(profile);
    latencies[i] = Number(process.hrtime.bigint() - s) / 1e6;
  }
  latencies.sort();
  return { eps, p99Ms: latencies[Math.floor(latencies.length * 0.99)], assignedShare: assigned / calls };
}

/** Encoded size of the simulator endpoints' profiles after the simulated period. */
function profileBytes(inputs: readonly EndpointInput[]): { mean: number; max: number; endpoints: number } {
  let total = 0;
  let max = 0;
  for (const { profile } of inputs) {
    const size = encodeProfile(profile).length;
    total += size;
    max = Math.max(max, size);
  }
  return { mean: total / Math.max(1, inputs.length), max, endpoints: inputs.length };
}

function findPython(): string | null {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(candidate, ['-c', 'import sklearn; print(sklearn.__version__)'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return null;
}

const SKLEARN_SCRIPT = `
import json, sys, time
import numpy as np
from sklearn.cluster import DBSCAN, OPTICS
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors
data = np.loadtxt(sys.argv[1], delimiter=',')
X, truth, regular = data[:, :-2], data[:, -2].astype(int), data[:, -1] > 0.5
min_samples, min_cluster_size = int(sys.argv[2]), int(sys.argv[3])
out = {}
t = time.perf_counter()
optics = OPTICS(min_samples=min_samples, min_cluster_size=min_cluster_size, n_jobs=1).fit(X)
out['optics_s'] = time.perf_counter() - t
out['optics_ari'] = adjusted_rand_score(truth, optics.labels_)
out['optics_ari_regular'] = adjusted_rand_score(truth[regular], optics.labels_[regular])
out['optics_clusters'] = int(optics.labels_.max() + 1)
# DBSCAN needs one radius: the usual heuristic, a high quantile of the min_samples-th neighbour distance.
t = time.perf_counter()
dist, _ = NearestNeighbors(n_neighbors=min_samples).fit(X).kneighbors(X)
eps = float(np.quantile(dist[:, -1], 0.9))
db = DBSCAN(eps=eps, min_samples=min_samples, n_jobs=1).fit(X)
out['dbscan_s'] = time.perf_counter() - t
out['dbscan_ari'] = adjusted_rand_score(truth, db.labels_)
out['dbscan_ari_regular'] = adjusted_rand_score(truth[regular], db.labels_[regular])
out['dbscan_eps'] = eps
out['dbscan_clusters'] = int(db.labels_.max() + 1)
print(json.dumps(out))
`;

interface SklearnFigures {
  optics_s: number;
  optics_ari: number;
  optics_ari_regular: number;
  optics_clusters: number;
  dbscan_s: number;
  dbscan_ari: number;
  dbscan_ari_regular: number;
  dbscan_eps: number;
  dbscan_clusters: number;
}

function sklearnAnchor(quality: SimulatorQuality, minSamples: number, minClusterSize: number): SklearnFigures | string {
  if (!withSklearn) return 'skipped (--no-sklearn)';
  const python = findPython();
  if (!python) return 'skipped: scikit-learn not installed (apt-get install python3-sklearn)';
  const dir = mkdtempSync(join(tmpdir(), 'clarion-bench-'));
  try {
    // The matrix the clustering saw: behaviour features scaled with the model's scaler; then the truth role (as an
    // integer, irregular endpoints one class as for `ari`) and 1 for a regular endpoint.
    const space = new FeatureSpace();
    const matrix = space.extractAll(quality.result.memberships.map((_, i) => quality.sim.inputs[i].profile));
    const { scaler } = quality.result.model;
    const truth = indexLabels(quality.roles);
    const d = matrix.cols;
    const row = new Float64Array(d);
    const records: Array<Array<string | number>> = [];
    for (let i = 0; i < matrix.rows; i++) {
      scaler.transformVector(matrix.values.subarray(i * d, i * d + d), row);
      records.push([...Array.from(row, (v) => v.toFixed(6)), truth[i], quality.roles[i] === 'irregular' ? 0 : 1]);
    }
    const csv = join(dir, 'features.csv');
    const script = join(dir, 'anchor.py');
    writeFileSync(csv, stringify(records));
    writeFileSync(script, SKLEARN_SCRIPT);
    const output = execFileSync(python, [script, csv, String(minSamples), String(minClusterSize)], {
      encoding: 'utf8',
      timeout: 900_000,
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    });
    return JSON.parse(output.trim().split('\n').pop() as string) as SklearnFigures;
  } catch (err) {
    return `failed: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (v: number, digits = 4): number => Number(v.toFixed(digits));
const verdict = (ok: boolean): string => (ok ? 'meets target' : 'MISSES target');
const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;

function printQuality(q: SimulatorQuality): void {
  const s = q.sim;
  console.log(
    `simulator seed ${q.seed}: ${simEndpoints} endpoints (${pct(IRREGULAR)} irregular), ${simDays} simulated days from ${new Date(SIM_START_MS).toISOString()}: ` +
      `${s.flows} flows, generated in ${s.generateSeconds.toFixed(1)} s, profiles in ${s.observeSeconds.toFixed(1)} s; ` +
      `${s.inputs.length} endpoints seen (${s.unseen} of the enterprise silent, ${s.withoutTruth} without ground truth)`,
  );
  console.log(
    `quality seed ${q.seed}: ari ${q.ari.toFixed(4)} (regular endpoints only ${q.ariRegular.toFixed(4)}) purity ${q.purity.toFixed(4)} ` +
      `noise ${pct(q.noiseRate)} (irregular endpoints as noise ${pct(q.irregularAsNoise)}, regular ${pct(q.regularAsNoise)}) ` +
      `clusters ${q.result.clusters.length} (roles ${q.roleCount}) stability ${q.stability.toFixed(4)} ` +
      `(${q.firstRunEndpoints} + ${q.addedEndpoints} new; incremental assignment of the new agrees with the re-run for ${pct(q.assignAgreement)}) ` +
      `in ${q.seconds.toFixed(2)} s (${q.result.method}, min cluster size ${q.result.minClusterSize})`,
  );
}

async function main(): Promise<void> {
  const started = new Date();
  const [load1] = loadavg();
  console.log(
    `clustering-core benchmark, ${started.toISOString()}, node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} (${cpus().length} cpus), load average ${load1.toFixed(2)}`,
  );
  const qualities: SimulatorQuality[] = [];
  for (const seed of simSeeds) {
    const q = simulatorQuality(seed);
    printQuality(q);
    if (qualities.length === 0) {
      console.log(`where the true roles landed (seed ${seed}; c<n> = cluster, noise = unclustered):`);
      for (const line of roleBreakdown(q)) console.log(line);
    } else {
      // Only the headline seed's profiles are needed later.
      q.sim.inputs.length = 0;
    }
    qualities.push(q);
  }
  const quality = qualities[0];
  if (qualities.length > 1) {
    console.log(
      `quality over seeds ${simSeeds.join('/')}: ari ${qualities.map((q) => q.ari.toFixed(3)).join(' / ')}, ` +
        `ari regular ${qualities.map((q) => q.ariRegular.toFixed(3)).join(' / ')}, stability ${qualities.map((q) => q.stability.toFixed(3)).join(' / ')}`,
    );
  }

  console.log(`scale: synthetic role-like feature matrices (${IRREGULAR * 100} % irregular, seed ${SEED}); 100k simulator endpoints would take hours of flow generation`);
  const scale: ScaleFigures[] = [];
  for (const size of sizes) {
    const figures = await scaleRun(size);
    scale.push(figures);
    console.log(
      `full clustering ${size}: ${figures.seconds.toFixed(2)} s wall, ${figures.cpuSeconds.toFixed(2)} s cpu, peak rss ${figures.peakRssMb.toFixed(0)} MB, ` +
        `ari ${figures.ari.toFixed(4)}, ${figures.clusters} clusters, noise ${(figures.noiseRate * 100).toFixed(1)} % (${figures.method})`,
    );
  }
  const at = (n: number): ScaleFigures | undefined => scale.find((s) => s.endpoints === n);

  const assignment = assignmentRun(quality);
  console.log(
    `assignment (assignProfile on the simulator profiles): ${Math.round(assignment.eps)} endpoints/s, p99 ${assignment.p99Ms.toFixed(4)} ms, ` +
      `${pct(assignment.assignedShare)} joined a cluster`,
  );

  const profiles = profileBytes(quality.sim.inputs);
  console.log(`profile size: mean ${profiles.mean.toFixed(0)} bytes, max ${profiles.max} bytes over ${profiles.endpoints} simulator endpoints (${simDays} simulated days)`);

  const minSamples = DEFAULT_CLUSTERING_RUN_OPTIONS.minSamples;
  const anchor = sklearnAnchor(quality, minSamples, quality.result.minClusterSize);
  if (typeof anchor === 'string') {
    console.log(`sklearn anchor: ${anchor}`);
  } else {
    console.log(
      `sklearn anchor (${quality.result.memberships.length} simulator endpoints, same scaled matrix, min_samples ${minSamples}, min_cluster_size ${quality.result.minClusterSize}): ` +
        `OPTICS ari ${anchor.optics_ari.toFixed(4)} (regular ${anchor.optics_ari_regular.toFixed(4)}) in ${anchor.optics_s.toFixed(2)} s (${anchor.optics_clusters} clusters); ` +
        `DBSCAN eps ${anchor.dbscan_eps.toFixed(3)} ari ${anchor.dbscan_ari.toFixed(4)} (regular ${anchor.dbscan_ari_regular.toFixed(4)}) in ${anchor.dbscan_s.toFixed(2)} s ` +
        `(${anchor.dbscan_clusters} clusters); Clarion ari ${quality.ari.toFixed(4)} in ${quality.seconds.toFixed(2)} s`,
    );
  }

  const full10 = at(10_000);
  const full50 = at(50_000);
  const full100 = at(100_000);
  console.log(`targets: ari >= 0.90 ${verdict(quality.ari >= 0.9)}; stability >= 0.95 ${verdict(quality.stability >= 0.95)}`);
  if (full50) console.log(`targets: full_50k_s <= 10 ${verdict(full50.seconds <= 10)}`);
  if (full100) console.log(`targets: full_100k_s <= 30 ${verdict(full100.seconds <= 30)}; peak_rss_mb_100k <= 2048 ${verdict(full100.peakRssMb <= 2048)}`);
  console.log(`targets: assign_eps >= 20000 ${verdict(assignment.eps >= 20_000)}; assign_p99_ms < 1 ${verdict(assignment.p99Ms < 1)}; profile_bytes <= 4096 ${verdict(profiles.mean <= 4096)}`);

  const json: Record<string, unknown> = {
    data: 'simulator',
    seed: quality.seed,
    sim_endpoints: simEndpoints,
    sim_days: simDays,
    sim_flows: quality.sim.flows,
    sim_generate_s: round(quality.sim.generateSeconds, 1),
    sim_profile_s: round(quality.sim.observeSeconds, 1),
    endpoints: quality.result.memberships.length,
    irregular_share: IRREGULAR,
    ari: round(quality.ari),
    ari_regular: round(quality.ariRegular),
    purity: round(quality.purity),
    noise_rate: round(quality.noiseRate),
    irregular_as_noise: round(quality.irregularAsNoise),
    regular_as_noise: round(quality.regularAsNoise),
    clusters: quality.result.clusters.length,
    roles: quality.roleCount,
    stability: round(quality.stability),
    assign_agreement_new: round(quality.assignAgreement),
    seeds: simSeeds,
    ari_seeds: qualities.map((q) => round(q.ari)),
    ari_regular_seeds: qualities.map((q) => round(q.ariRegular)),
    stability_seeds: qualities.map((q) => round(q.stability)),
    quality_s: round(quality.seconds, 3),
    scale_data: 'synthetic-features',
    full_10k_s: full10 ? round(full10.seconds, 3) : null,
    full_50k_s: full50 ? round(full50.seconds, 3) : null,
    full_100k_s: full100 ? round(full100.seconds, 3) : null,
    full_100k_cpu_s: full100 ? round(full100.cpuSeconds, 3) : null,
    peak_rss_mb_10k: full10 ? Math.round(full10.peakRssMb) : null,
    peak_rss_mb_50k: full50 ? Math.round(full50.peakRssMb) : null,
    peak_rss_mb_100k: full100 ? Math.round(full100.peakRssMb) : null,
    ari_100k_synthetic: full100 ? round(full100.ari) : null,
    assign_eps: Math.round(assignment.eps),
    assign_p99_ms: round(assignment.p99Ms, 4),
    profile_bytes: Math.round(profiles.mean),
    profile_bytes_max: profiles.max,
  };
  if (typeof anchor === 'string') {
    json.sklearn = anchor;
  } else {
    Object.assign(json, {
      sklearn_optics_ari: round(anchor.optics_ari),
      sklearn_optics_ari_regular: round(anchor.optics_ari_regular),
      sklearn_optics_s: round(anchor.optics_s, 3),
      sklearn_dbscan_ari: round(anchor.dbscan_ari),
      sklearn_dbscan_ari_regular: round(anchor.dbscan_ari_regular),
      sklearn_dbscan_s: round(anchor.dbscan_s, 3),
      ari_ratio_vs_optics: round(quality.ari / Math.max(anchor.optics_ari, 1e-9), 3),
      ari_ratio_vs_dbscan: round(quality.ari / Math.max(anchor.dbscan_ari, 1e-9), 3),
      speedup_vs_optics: round(anchor.optics_s / Math.max(quality.seconds, 1e-9), 1),
    });
  }
  console.log(JSON.stringify(json));
}

const child = arg('scale-child');
if (child) {
  runScaleChild(Number(child));
} else {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
