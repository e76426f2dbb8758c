import { type FeatureMatrix } from './feature-matrix';
import { type NeighbourGraph } from './nearest-neighbours';
import { SeededRandom } from './seeded-random';

/** A spanning tree as n - 1 weighted edges (a forest has fewer). */
export interface SpanningTree {
  readonly from: Int32Array;
  readonly to: Int32Array;
  readonly weights: Float64Array;
}

/**
 * Core distance of each point: distance to its minSamples-th nearest point counting the point itself (the convention
 * of Campello, Moulavi and Sander 2013 and of the reference hdbscan implementation), so minSamples = 1 gives 0.
 */
export function coreDistances(graph: NeighbourGraph, minSamples: number): Float64Array {
  const core = new Float64Array(graph.rows);
  if (minSamples <= 1) return core;
  const slot = Math.min(minSamples - 2, graph.k - 1);
  for (let i = 0; i < graph.rows; i++) core[i] = graph.distances[i * graph.k + slot];
  return core;
}

function euclidean(values: Float32Array, oa: number, ob: number, cols: number): number {
  let d = 0;
  for (let c = 0; c < cols; c++) {
    const t = values[oa + c] - values[ob + c];
    d += t * t;
  }
  return Math.sqrt(d);
}

/**
 * Exact minimum spanning tree of the complete mutual-reachability graph (Prim, O(n^2 d) time, O(n) memory):
 * d_mreach(a, b) = max(core(a), core(b), d(a, b)). Ties go to the lower index, so the tree is deterministic.
 */
export function exactMutualReachabilityTree(matrix: FeatureMatrix, core: Float64Array): SpanningTree {
  const { rows, cols, values } = matrix;
  const from = new Int32Array(Math.max(0, rows - 1));
  const to = new Int32Array(Math.max(0, rows - 1));
  const weights = new Float64Array(Math.max(0, rows - 1));
  const best = new Float64Array(rows).fill(Number.POSITIVE_INFINITY);
  const bestFrom = new Int32Array(rows).fill(-1);
  const inTree = new Uint8Array(rows);
  let current = 0;
  inTree[0] = 1;
  for (let e = 0; e < rows - 1; e++) {
    const oc = current * cols;
    const cc = core[current];
    let next = -1;
    let nextWeight = Number.POSITIVE_INFINITY;
    for (let j = 0; j < rows; j++) {
      if (inTree[j]) continue;
      let w = euclidean(values, oc, j * cols, cols);
      if (cc > w) w = cc;
      if (core[j] > w) w = core[j];
      if (w < best[j]) {
        best[j] = w;
        bestFrom[j] = current;
      }
      if (best[j] < nextWeight) {
        nextWeight = best[j];
        next = j;
      }
    }
    from[e] = bestFrom[next];
    to[e] = next;
    weights[e] = nextWeight;
    inTree[next] = 1;
    current = next;
  }
  return { from, to, weights };
}

/** Union-find with path halving and union by size. */
export class DisjointSets {
  readonly parent: Int32Array;
  readonly size: Int32Array;
  components: number;

  constructor(n: number) {
    this.parent = new Int32Array(n);
    this.size = new Int32Array(n).fill(1);
    for (let i = 0; i < n; i++) this.parent[i] = i;
    this.components = n;
  }

  find(x: number): number {
    const parent = this.parent;
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  }

  union(a: number, b: number): number {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return ra;
    if (this.size[ra] < this.size[rb] || (this.size[ra] === this.size[rb] && ra > rb)) {
      const t = ra;
      ra = rb;
      rb = t;
    }
    this.parent[rb] = ra;
    this.size[ra] += this.size[rb];
    this.components--;
    return ra;
  }
}

export interface GraphTreeOptions {
  /** Seed for choosing the sample points that connect components of the neighbour graph. */
  seed: number;
  /** Sample points (in total) used to find the edges between graph components. */
  bridgeSamples: number;
}

/**
 * Minimum spanning tree of the mutual-reachability distances restricted to the k-nearest-neighbour graph (Boruvka:
 * every round each component takes its lightest outgoing edge; O(n k log n)), then, if the graph falls apart into
 * several components, bridges between them: the lightest edges between sampled points of different components (exact
 * Prim over the samples), each refined by alternating nearest-neighbour search between the two components. The result
 * is a spanning tree whose edges are exact mutual-reachability distances; it equals the exact tree whenever every
 * exact tree edge joins k-nearest neighbours, which holds for all edges inside dense regions.
 */
export function graphMutualReachabilityTree(
  matrix: FeatureMatrix,
  graph: NeighbourGraph,
  core: Float64Array,
  options: GraphTreeOptions,
): SpanningTree {
  const { rows } = matrix;
  const k = graph.k;
  const edgeCount = rows * k;
  const weight = new Float64Array(edgeCount);
  for (let i = 0; i < rows; i++) {
    for (let s = 0; s < k; s++) {
      const e = i * k + s;
      const j = graph.indices[e];
      if (j < 0) {
        weight[e] = Number.POSITIVE_INFINITY;
        continue;
      }
      let w = graph.distances[e];
      if (core[i] > w) w = core[i];
      if (core[j] > w) w = core[j];
      weight[e] = w;
    }
  }
  const sets = new DisjointSets(rows);
  const from: number[] = [];
  const to: number[] = [];
  const weights: number[] = [];
  const cheapest = new Int32Array(rows);
  for (;;) {
    cheapest.fill(-1);
    for (let e = 0; e < edgeCount; e++) {
      const w = weight[e];
      if (w === Number.POSITIVE_INFINITY) continue;
      const i = (e / k) | 0;
      const ri = sets.find(i);
      const rj = sets.find(graph.indices[e]);
      if (ri === rj) continue;
      // Strict total order (weight, edge id) so that parallel edges and ties never form a cycle.
      const ci = cheapest[ri];
      if (ci < 0 || w < weight[ci] || (w === weight[ci] && e < ci)) cheapest[ri] = e;
      const cj = cheapest[rj];
      if (cj < 0 || w < weight[cj] || (w === weight[cj] && e < cj)) cheapest[rj] = e;
    }
    let added = 0;
    for (let r = 0; r < rows; r++) {
      const e = cheapest[r];
      if (e < 0) continue;
      const i = (e / k) | 0;
      const j = graph.indices[e];
      if (sets.find(i) === sets.find(j)) continue;
      sets.union(i, j);
      from.push(i);
      to.push(j);
      weights.push(weight[e]);
      added++;
    }
    if (added === 0) break;
  }
  if (sets.components > 1) bridgeComponents(matrix, core, sets, options, from, to, weights);
  return { from: Int32Array.from(from), to: Int32Array.from(to), weights: Float64Array.from(weights) };
}

/** Members of a component scanned when refining a bridge edge. */
const REFINE_LIMIT = 4096;

function bridgeComponents(
  matrix: FeatureMatrix,
  core: Float64Array,
  sets: DisjointSets,
  options: GraphTreeOptions,
  from: number[],
  to: number[],
  weights: number[],
): void {
  const { rows, cols, values } = matrix;
  const rng = new SeededRandom(options.seed ^ 0x0b71d9e5);
  const componentOf = new Int32Array(rows);
  const members = new Map<number, number[]>();
  for (let i = 0; i < rows; i++) {
    const root = sets.find(i);
    let list = members.get(root);
    if (!list) {
      list = [];
      members.set(root, list);
    }
    list.push(i);
  }
  const roots = [...members.keys()].sort((a, b) => a - b);
  roots.forEach((root, c) => {
    for (const i of members.get(root) as number[]) componentOf[i] = c;
  });
  const perComponent = Math.max(1, Math.floor(options.bridgeSamples / roots.length));
  const samples: number[] = [];
  const shuffled: number[][] = [];
  for (const root of roots) {
    const list = (members.get(root) as number[]).slice();
    rng.shuffle(list);
    shuffled.push(list.slice(0, REFINE_LIMIT));
    for (let s = 0; s < Math.min(perComponent, list.length); s++) samples.push(list[s]);
  }
  const mreach = (a: number, b: number): number => {
    let w = euclidean(values, a * cols, b * cols, cols);
    if (core[a] > w) w = core[a];
    if (core[b] > w) w = core[b];
    return w;
  };
  // Prim over the samples with edges only between different components; then keep the edges that join components.
  const m = samples.length;
  const best = new Float64Array(m).fill(Number.POSITIVE_INFINITY);
  const bestFrom = new Int32Array(m).fill(-1);
  const inTree = new Uint8Array(m);
  const candidateEdges: Array<[number, number, number]> = [];
  let current = 0;
  inTree[0] = 1;
  for (let e = 0; e < m - 1; e++) {
    let next = -1;
    let nextWeight = Number.POSITIVE_INFINITY;
    const a = samples[current];
    for (let s = 0; s < m; s++) {
      if (inTree[s]) continue;
      const b = samples[s];
      const w = componentOf[a] === componentOf[b] ? 0 : mreach(a, b);
      if (w < best[s]) {
        best[s] = w;
        bestFrom[s] = current;
      }
      if (best[s] < nextWeight || (best[s] === nextWeight && s < next)) {
        nextWeight = best[s];
        next = s;
      }
    }
    inTree[next] = 1;
    const p = samples[bestFrom[next]];
    const q = samples[next];
    if (componentOf[p] !== componentOf[q]) candidateEdges.push([p, q, nextWeight]);
    current = next;
  }
  candidateEdges.sort((x, y) => x[2] - y[2] || x[0] - y[0] || x[1] - y[1]);
  for (const [p0, q0] of candidateEdges) {
    if (sets.find(p0) === sets.find(q0)) continue;
    // Refine: alternate exact nearest neighbours between the two original components (capped samples of each).
    const sideP = shuffled[componentOf[p0]];
    const sideQ = shuffled[componentOf[q0]];
    let p = p0;
    let q = q0;
    let w = mreach(p, q);
    for (let round = 0; round < 2; round++) {
      let improved = false;
      for (const j of sideQ) {
        const d = mreach(p, j);
        if (d < w) {
          w = d;
          q = j;
          improved = true;
        }
      }
      for (const i of sideP) {
        const d = mreach(i, q);
        if (d < w) {
          w = d;
          p = i;
          improved = true;
        }
      }
      if (!improved) break;
    }
    sets.union(p, q);
    from.push(p);
    to.push(q);
    weights.push(w);
  }
}
