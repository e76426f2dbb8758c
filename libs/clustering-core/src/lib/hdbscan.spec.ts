import { adjustedRandIndex, noiseRate } from './clustering-metrics';
import { ClusteringCoreErrorCode } from './clustering-core.error';
import { createFeatureMatrix, matrixFromRows, type FeatureMatrix } from './feature-matrix';
import { hdbscan, NOISE } from './hdbscan';
import { SeededRandom } from './seeded-random';

interface Dataset {
  matrix: FeatureMatrix;
  truth: number[];
}

/** Gaussian blobs (truth = blob index) plus uniform noise over a box (truth = -1). */
function blobs(centres: number[][], sigma: number[], perBlob: number, noise: number, box: number, seed: number): Dataset {
  const rng = new SeededRandom(seed);
  const dim = centres[0].length;
  const rows: number[][] = [];
  const truth: number[] = [];
  centres.forEach((centre, b) => {
    for (let i = 0; i < perBlob; i++) {
      rows.push(centre.map((c) => c + sigma[b] * rng.normal()));
      truth.push(b);
    }
  });
  for (let i = 0; i < noise; i++) {
    rows.push(Array.from({ length: dim }, () => rng.uniform(-box, box)));
    truth.push(-1);
  }
  return { matrix: matrixFromRows(rows), truth };
}

/**
 * Share of points in a true group that land in the cluster that group maps to, requiring a one-to-one mapping of
 * groups to non-noise clusters (noise never counts as recovering a group).
 */
function recovery(labels: ArrayLike<number>, truth: readonly number[]): number {
  const groups = [...new Set(truth.filter((t) => t >= 0))];
  const used = new Set<number>();
  let recovered = 0;
  let total = 0;
  for (const g of groups) {
    const counts = new Map<number, number>();
    truth.forEach((t, i) => {
      if (t !== g) return;
      total++;
      if (labels[i] !== NOISE) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
    });
    const best = [...counts].sort((a, b) => b[1] - a[1])[0];
    if (!best || used.has(best[0])) return 0;
    used.add(best[0]);
    recovered += best[1];
  }
  return recovered / total;
}

/** Plain DBSCAN (Ester et al. 1996), only to show that no single density threshold fits the next dataset. */
function dbscan(matrix: FeatureMatrix, eps: number, minPts: number): Int32Array {
  const n = matrix.rows;
  const d = matrix.cols;
  const labels = new Int32Array(n).fill(-2);
  const neighbours = (i: number): number[] => {
    const out: number[] = [];
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += (matrix.values[i * d + c] - matrix.values[j * d + c]) ** 2;
      if (s <= eps * eps) out.push(j);
    }
    return out;
  };
  let cluster = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] !== -2) continue;
    const seeds = neighbours(i);
    if (seeds.length < minPts) {
      labels[i] = NOISE;
      continue;
    }
    labels[i] = cluster;
    const queue = [...seeds];
    while (queue.length > 0) {
      const j = queue.pop() as number;
      if (labels[j] === NOISE) labels[j] = cluster;
      if (labels[j] !== -2) continue;
      labels[j] = cluster;
      const more = neighbours(j);
      if (more.length >= minPts) queue.push(...more);
    }
    cluster++;
  }
  return labels;
}

describe('hdbscan', () => {
  it('finds the two groups of a tiny line data set with the stability computed by hand', () => {
    const result = hdbscan(matrixFromRows([[0], [1], [2], [10], [11], [12]]), { minClusterSize: 2, minSamples: 1 });
    expect(Array.from(result.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    // Each group is born at lambda 1/8 (the gap of 8) and all its points leave at lambda 1: 3 * (1 - 1/8).
    expect(result.clusters.map((c) => c.stability)).toEqual([2.625, 2.625]);
    expect(Array.from(result.probabilities)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(result.outlierScores)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('finds well-separated blobs and labels scattered points as noise', () => {
    const data = blobs([[0, 0], [8, 8], [-8, 6]], [0.6, 0.6, 0.6], 120, 40, 14, 3);
    const result = hdbscan(data.matrix, { minClusterSize: 15, minSamples: 5 });
    expect(result.clusters).toHaveLength(3);
    expect(recovery(result.labels, data.truth)).toBeGreaterThan(0.95);
    const centres = [[0, 0], [8, 8], [-8, 6]];
    const noisePoints = data.truth.map((t, i) => (t < 0 ? i : -1)).filter((i) => i >= 0);
    // Scattered points away from every blob (beyond 5 sigma) are noise, or hang on to a blob only weakly: HDBSCAN
    // keeps a point that joins a cluster below the density where the cluster splits off, with a low probability.
    const remote = noisePoints.filter((i) =>
      centres.every(([x, y]) => Math.hypot(data.matrix.values[i * 2] - x, data.matrix.values[i * 2 + 1] - y) > 3),
    );
    expect(remote.length).toBeGreaterThan(30);
    expect(remote.filter((i) => result.labels[i] === NOISE).length / remote.length).toBeGreaterThan(0.6);
    for (const i of remote) {
      if (result.labels[i] === NOISE) continue;
      expect(result.probabilities[i]).toBeLessThan(0.3);
      expect(result.outlierScores[i]).toBeGreaterThan(0.7);
    }
    const meanScore = (idx: number[]): number => idx.reduce((s, i) => s + result.outlierScores[i], 0) / idx.length;
    const blobPoints = data.truth.map((t, i) => (t >= 0 ? i : -1)).filter((i) => i >= 0);
    expect(meanScore(noisePoints)).toBeGreaterThan(meanScore(blobPoints) + 0.3);
    for (let i = 0; i < data.truth.length; i++) {
      expect(result.probabilities[i]).toBeGreaterThanOrEqual(0);
      expect(result.probabilities[i]).toBeLessThanOrEqual(1);
      if (result.labels[i] === NOISE) expect(result.probabilities[i]).toBe(0);
    }
  });

  it('separates clusters of very different densities where no single DBSCAN radius can', () => {
    // Two dense groups 2.5 apart and one sparse group far away.
    const data = blobs([[0, 0], [2.5, 0], [20, 0]], [0.3, 0.3, 4], 200, 0, 0, 11);
    let bestDbscan = 0;
    for (let eps = 0.05; eps <= 6; eps += 0.05) bestDbscan = Math.max(bestDbscan, recovery(dbscan(data.matrix, eps, 5), data.truth));
    expect(bestDbscan).toBeLessThan(0.8);
    const result = hdbscan(data.matrix, { minClusterSize: 20, minSamples: 5 });
    expect(result.clusters).toHaveLength(3);
    expect(recovery(result.labels, data.truth)).toBeGreaterThan(0.95);
  });

  it('gives identical output for the same seed with the approximate method', () => {
    const data = blobs([[0, 0, 0, 0], [6, 6, 0, 0], [0, 6, 6, 0], [6, 0, 0, 6]], [0.7, 0.7, 0.7, 0.7], 250, 100, 9, 5);
    const run = () => hdbscan(data.matrix, { minClusterSize: 25, minSamples: 8, method: 'approximate', seed: 42 });
    const a = run();
    const b = run();
    expect(a.method).toBe('approximate');
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(Array.from(a.probabilities)).toEqual(Array.from(b.probabilities));
    const other = hdbscan(data.matrix, { minClusterSize: 25, minSamples: 8, method: 'approximate', seed: 7 });
    expect(adjustedRandIndex(other.labels, a.labels)).toBeGreaterThan(0.95);
  });

  it('approximate neighbours give the exact clustering on 10-dimensional blobs except for weak border points', () => {
    const rng = new SeededRandom(9);
    const centres = Array.from({ length: 6 }, () => Array.from({ length: 10 }, () => rng.uniform(-8, 8)));
    const data = blobs(centres, [0.8, 0.8, 0.8, 1.2, 1.2, 0.5], 180, 120, 10, 8);
    const exact = hdbscan(data.matrix, { minClusterSize: 20, minSamples: 8, method: 'exact' });
    const approximate = hdbscan(data.matrix, { minClusterSize: 20, minSamples: 8, method: 'approximate', seed: 1 });
    expect(exact.clusters).toHaveLength(6);
    expect(approximate.clusters).toHaveLength(6);
    // Points both runs cluster are grouped identically; they disagree only on whether weak border points are noise.
    const both = data.truth.map((_, i) => i).filter((i) => exact.labels[i] !== NOISE && approximate.labels[i] !== NOISE);
    expect(adjustedRandIndex(both.map((i) => exact.labels[i]), both.map((i) => approximate.labels[i]))).toBe(1);
    const flipped = data.truth.map((_, i) => i).filter((i) => (exact.labels[i] === NOISE) !== (approximate.labels[i] === NOISE));
    expect(flipped.length / data.truth.length).toBeLessThan(0.03);
    for (const i of flipped) expect(Math.max(exact.probabilities[i], approximate.probabilities[i])).toBeLessThan(0.3);
    expect(adjustedRandIndex(approximate.labels, exact.labels)).toBeGreaterThan(0.95);
  });

  it('keeps a lone blob as one cluster only when single clusters are allowed', () => {
    const data = blobs([[0, 0]], [1], 150, 0, 0, 2);
    const single = hdbscan(data.matrix, { minClusterSize: 10, minSamples: 5, allowSingleCluster: true });
    expect(single.clusters).toHaveLength(1);
    expect(noiseRate(single.labels)).toBeLessThan(0.05);
  });

  it('gives identical points a finite, maximal density', () => {
    const rows = [...Array.from({ length: 20 }, () => [1, 1]), ...Array.from({ length: 20 }, () => [5, 5])];
    const result = hdbscan(matrixFromRows(rows), { minClusterSize: 5, minSamples: 3 });
    expect(result.clusters).toHaveLength(2);
    expect(result.clusters.every((c) => Number.isFinite(c.stability))).toBe(true);
    expect(noiseRate(result.labels)).toBe(0);
  });

  it('returns noise for fewer than two points and rejects a min cluster size below 2', () => {
    expect(Array.from(hdbscan(createFeatureMatrix(1, 3), { minClusterSize: 2 }).labels)).toEqual([NOISE]);
    expect(() => hdbscan(createFeatureMatrix(5, 3), { minClusterSize: 1 })).toThrow(expect.objectContaining({ code: ClusteringCoreErrorCode.INVALID_ARGUMENT }));
  });
});
