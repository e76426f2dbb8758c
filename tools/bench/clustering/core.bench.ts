// Benchmark of @clarion/clustering-core on one core: full re-clustering at 10k/50k/100k endpoints (seconds, peak RSS),
// clustering quality against the generator's roles (ARI, purity, noise, stability of cluster ids across a re-run with
// 5 % new endpoints), incremental assignment throughput and p99 latency, and the mean serialised profile size; with
// scikit-learn OPTICS and DBSCAN on the same exported matrix as the anchor when Debian's python3-sklearn is installed.
//
// Data: synthetic role-like feature matrices (./synthetic-roles.ts) with 10 % irregular endpoints, not the simulator
// (tools/simulator will replace them with features built from real flows). Run after `node tools/build/build.mjs`:
//   node dist/tools/bench/clustering/core.bench.js [--sizes=10000,50000,100000] [--quality=5000] [--no-sklearn]
// Each scale size runs in a fresh child process so its peak RSS is its own. Profile with `node --cpu-prof ...`.
// Prints human-readable lines, then one JSON line with every figure.
import {
  adjustedRandIndex,
  ClusterAssigner,
  clusterFeatures,
  clusterIdStability,
  clusterPurity,
  encodeProfile,
  EndpointProfile,
  FeatureSpace,
  type FeatureClusteringResult,
  type FeatureMatrix,
} from '@clarion/clustering-core';
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLOW_ROLES, synthesiseRoleFlows } from '../../../libs/clustering-core/src/testing/role-flows';
import { ROLE_ARCHETYPES, synthesiseFeatures } from './synthetic-roles';

const IRREGULAR = 0.1;
const SEED = 42;
const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const sizes = (arg('sizes') ?? '10000,50000,100000').split(',').map(Number);
const qualitySize = Number(arg('quality') ?? '5000');
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

interface QualityFigures {
  result: FeatureClusteringResult;
  seconds: number;
  ari: number;
  purity: number;
  stability: number;
  matrix: FeatureMatrix;
  roles: Int32Array;
}

/** Quality on `count` endpoints, then a re-run with 5 % new endpoints (the generator is sequential, so the first `count` rows are identical). */
function qualityRun(count: number, seed: number): QualityFigures {
  const space = new FeatureSpace();
  const { matrix, roles } = synthesiseFeatures(count, IRREGULAR, seed);
  const keys = keysFor(count);
  const t0 = process.hrtime.bigint();
  const result = clusterFeatures(keys, matrix, space);
  const wall = seconds(t0);
  const labels = labelIndices(result);
  const grownCount = Math.round(count * 1.05);
  const grown = synthesiseFeatures(grownCount, IRREGULAR, seed);
  const rerun = clusterFeatures(keysFor(grownCount), grown.matrix, space, result.clusters.map((c) => ({ id: c.id, members: c.members })));
  const before = new Map(result.memberships.map((m) => [m.endpoint, m.clusterId]));
  const after = new Map(rerun.memberships.map((m) => [m.endpoint, m.clusterId]));
  return {
    result,
    seconds: wall,
    ari: adjustedRandIndex(labels, roles),
    purity: clusterPurity(labels, roles),
    stability: clusterIdStability(before, after),
    matrix,
    roles,
  };
}

function assignmentRun(quality: QualityFigures): { eps: number; p99Ms: number; assignedShare: number } {
  const assigner = new ClusterAssigner(quality.result.model);
  const { matrix } = synthesiseFeatures(100_000, IRREGULAR, SEED + 1);
  const d = matrix.cols;
  const vector = new Float64Array(d);
  // Warm-up (JIT), then one timed pass for throughput and one with per-call timing for the latency distribution.
  for (let i = 0; i < 5000; i++) assigner.assignFeatures(matrix.values.subarray(i * d, i * d + d));
  let assigned = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < matrix.rows; i++) {
    for (let c = 0; c < d; c++) vector[c] = matrix.values[i * d + c];
    if (assigner.assignFeatures(vector).clusterId !== null) assigned++;
  }
  const eps = matrix.rows / seconds(t0);
  const latencies = new Float64Array(20_000);
  for (let i = 0; i < latencies.length; i++) {
    for (let c = 0; c < d; c++) vector[c] = matrix.values[i * d + c];
    const s = process.hrtime.bigint();
    assigner.assignFeatures(vector);
    latencies[i] = Number(process.hrtime.bigint() - s) / 1e6;
  }
  latencies.sort();
  return { eps, p99Ms: latencies[Math.floor(latencies.length * 0.99)], assignedShare: assigned / matrix.rows };
}

/** Mean encoded size of profiles built from a week of synthetic flows, over a role mix weighted like an office. */
function profileBytes(): { mean: number; max: number; endpoints: number } {
  const mix: Array<[string, number]> = [['workstation', 50], ['phone', 15], ['iot-sensor', 15], ['camera', 8], ['printer', 5], ['web-server', 7]];
  let total = 0;
  let max = 0;
  let n = 0;
  for (const [role, count] of mix) {
    if (!FLOW_ROLES[role]) throw new Error(`unknown role ${role}`);
    for (let i = 0; i < count; i++) {
      const self = `10.200.${n >> 8}.${n & 255}`;
      const profile = new EndpointProfile();
      for (const f of synthesiseRoleFlows(role, self, 7, 5000 + n)) {
        const side = f.srcAddress === self ? 'src' : 'dst';
        profile.observe(f, side, `ip:${side === 'src' ? f.dstAddress : f.srcAddress}`);
      }
      const size = encodeProfile(profile).length;
      total += size;
      max = Math.max(max, size);
      n++;
    }
  }
  return { mean: total / n, max, endpoints: n };
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
X, truth = data[:, :-1], data[:, -1].astype(int)
min_samples, min_cluster_size = int(sys.argv[2]), int(sys.argv[3])
out = {}
t = time.perf_counter()
optics = OPTICS(min_samples=min_samples, min_cluster_size=min_cluster_size, n_jobs=1).fit(X)
out['optics_s'] = time.perf_counter() - t
out['optics_ari'] = adjusted_rand_score(truth, optics.labels_)
out['optics_clusters'] = int(optics.labels_.max() + 1)
# DBSCAN needs one radius: the usual heuristic, a high quantile of the min_samples-th neighbour distance.
t = time.perf_counter()
dist, _ = NearestNeighbors(n_neighbors=min_samples).fit(X).kneighbors(X)
eps = float(np.quantile(dist[:, -1], 0.9))
db = DBSCAN(eps=eps, min_samples=min_samples, n_jobs=1).fit(X)
out['dbscan_s'] = time.perf_counter() - t
out['dbscan_ari'] = adjusted_rand_score(truth, db.labels_)
out['dbscan_eps'] = eps
out['dbscan_clusters'] = int(db.labels_.max() + 1)
print(json.dumps(out))
`;

interface SklearnFigures {
  optics_s: number;
  optics_ari: number;
  optics_clusters: number;
  dbscan_s: number;
  dbscan_ari: number;
  dbscan_eps: number;
  dbscan_clusters: number;
}

function sklearnAnchor(quality: QualityFigures, minSamples: number, minClusterSize: number): SklearnFigures | string {
  if (!withSklearn) return 'skipped (--no-sklearn)';
  const python = findPython();
  if (!python) return 'skipped: scikit-learn not installed (apt-get install python3-sklearn)';
  const dir = mkdtempSync(join(tmpdir(), 'clarion-bench-'));
  try {
    // The matrix the clustering saw: features scaled with the model's scaler; truth label last (-1 = irregular).
    const { scaler } = quality.result.model;
    const d = quality.matrix.cols;
    const row = new Float64Array(d);
    const lines: string[] = [];
    for (let i = 0; i < quality.matrix.rows; i++) {
      scaler.transformVector(quality.matrix.values.subarray(i * d, i * d + d), row);
      lines.push(`${Array.from(row, (v) => v.toFixed(6)).join(',')},${quality.roles[i]}`);
    }
    const csv = join(dir, 'features.csv');
    const script = join(dir, 'anchor.py');
    writeFileSync(csv, `${lines.join('\n')}\n`);
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

async function main(): Promise<void> {
  const started = new Date();
  console.log(`clustering-core benchmark, ${started.toISOString()}, node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} (${cpus().length} cpus)`);
  console.log(`data: synthetic role-like feature matrices, ${ROLE_ARCHETYPES.length} roles + ${IRREGULAR * 100} % irregular, seed ${SEED}`);

  const quality = qualityRun(qualitySize, SEED);
  const labels = labelIndices(quality.result);
  const noise = labels.filter((l) => l < 0).length / labels.length;
  console.log(
    `quality ${qualitySize}: ari ${quality.ari.toFixed(4)} purity ${quality.purity.toFixed(4)} noise ${(noise * 100).toFixed(1)} % ` +
      `clusters ${quality.result.clusters.length} (roles ${ROLE_ARCHETYPES.length}) stability ${quality.stability.toFixed(4)} ` +
      `in ${quality.seconds.toFixed(2)} s (${quality.result.method}, min cluster size ${quality.result.minClusterSize})`,
  );
  // The same measurement on other seeds: how much of the figure is the generator's draw.
  const otherSeeds = [7, 99].map((seed) => qualityRun(qualitySize, seed));
  const seedAris = [quality.ari, ...otherSeeds.map((q) => q.ari)];
  const seedStabilities = [quality.stability, ...otherSeeds.map((q) => q.stability)];
  console.log(`quality over seeds 42/7/99: ari ${seedAris.map((a) => a.toFixed(3)).join(' / ')}, stability ${seedStabilities.map((s) => s.toFixed(3)).join(' / ')}`);

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
  console.log(`assignment: ${Math.round(assignment.eps)} endpoints/s, p99 ${assignment.p99Ms.toFixed(4)} ms, ${(assignment.assignedShare * 100).toFixed(1)} % joined a cluster`);

  const profiles = profileBytes();
  console.log(`profile size: mean ${profiles.mean.toFixed(0)} bytes, max ${profiles.max} bytes over ${profiles.endpoints} endpoints (7 days of synthetic flows)`);

  const minSamples = 10;
  const anchor = sklearnAnchor(quality, minSamples, quality.result.minClusterSize);
  if (typeof anchor === 'string') {
    console.log(`sklearn anchor: ${anchor}`);
  } else {
    console.log(
      `sklearn anchor (${qualitySize} endpoints, same scaled matrix): OPTICS ari ${anchor.optics_ari.toFixed(4)} in ${anchor.optics_s.toFixed(2)} s ` +
        `(${anchor.optics_clusters} clusters); DBSCAN eps ${anchor.dbscan_eps.toFixed(3)} ari ${anchor.dbscan_ari.toFixed(4)} in ${anchor.dbscan_s.toFixed(2)} s ` +
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
    data: 'synthetic-features',
    endpoints: qualitySize,
    irregular_share: IRREGULAR,
    ari: round(quality.ari),
    purity: round(quality.purity),
    noise_rate: round(noise),
    clusters: quality.result.clusters.length,
    roles: ROLE_ARCHETYPES.length,
    stability: round(quality.stability),
    ari_seeds: seedAris.map((a) => round(a)),
    stability_seeds: seedStabilities.map((s) => round(s)),
    quality_s: round(quality.seconds, 3),
    full_10k_s: full10 ? round(full10.seconds, 3) : null,
    full_50k_s: full50 ? round(full50.seconds, 3) : null,
    full_100k_s: full100 ? round(full100.seconds, 3) : null,
    full_100k_cpu_s: full100 ? round(full100.cpuSeconds, 3) : null,
    peak_rss_mb_10k: full10 ? Math.round(full10.peakRssMb) : null,
    peak_rss_mb_50k: full50 ? Math.round(full50.peakRssMb) : null,
    peak_rss_mb_100k: full100 ? Math.round(full100.peakRssMb) : null,
    ari_100k: full100 ? round(full100.ari) : null,
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
      sklearn_optics_s: round(anchor.optics_s, 3),
      sklearn_dbscan_ari: round(anchor.dbscan_ari),
      sklearn_dbscan_s: round(anchor.dbscan_s, 3),
      ari_ratio_vs_optics: round(quality.ari / Math.max(anchor.optics_ari, 1e-9), 3),
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
