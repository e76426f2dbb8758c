import { invalidArgument } from './clustering-core.error';
import { type FeatureMatrix } from './feature-matrix';
import {
  approximateNeighbours,
  DEFAULT_APPROXIMATE_NEIGHBOUR_OPTIONS,
  exactNeighbours,
  type ApproximateNeighbourOptions,
  type NeighbourGraph,
} from './nearest-neighbours';
import {
  coreDistances,
  DisjointSets,
  exactMutualReachabilityTree,
  graphMutualReachabilityTree,
  type SpanningTree,
} from './mutual-reachability-tree';

export const NOISE = -1;

export type HdbscanStage = 'neighbours' | 'spanning-tree' | 'condensed-tree' | 'selection';

export interface HdbscanOptions {
  /** Smallest group that counts as a cluster (>= 2). */
  minClusterSize: number;
  /** Neighbourhood size for core distances (density smoothing); default min(minClusterSize, 10). */
  minSamples?: number;
  /** Seed of every random choice (approximate neighbours, bridge samples). */
  seed?: number;
  /** Allow the whole data set to be one cluster (otherwise the root is never selected). */
  allowSingleCluster?: boolean;
  /**
   * exact: all pairs (O(n^2 d), the reference algorithm); approximate: k-nearest-neighbour graph (NN-descent) and a
   * spanning tree on it; auto: exact up to `exactUpTo` points.
   */
  method?: 'auto' | 'exact' | 'approximate';
  exactUpTo?: number;
  /** Neighbours per point in the graph of the approximate method (>= minSamples); default max(minSamples, 15). */
  graphNeighbours?: number;
  neighbourSearch?: Partial<ApproximateNeighbourOptions>;
  /** Sample points used to bridge components of the neighbour graph. */
  bridgeSamples?: number;
  /** Called when a stage starts (for job progress); no clock is read here. */
  onStage?: (stage: HdbscanStage) => void;
}

export interface HdbscanCluster {
  label: number;
  size: number;
  /** Excess of mass of the selected cluster. */
  stability: number;
  /** Density (1 / mutual-reachability distance) at which the cluster appears. */
  birthLambda: number;
  /** Highest density at which any of its points is still in it. */
  maxLambda: number;
  /** Mean membership probability of its points, in [0, 1]. */
  meanProbability: number;
  /** stability / (size * (maxLambda - birthLambda)) in [0, 1]: how much of its possible lifetime mass it keeps. */
  relativeStability: number;
}

export interface HdbscanResult {
  /** Cluster label per point, NOISE (-1) for noise. Labels are 0..clusters.length - 1. */
  labels: Int32Array;
  /** Membership strength in [0, 1] (0 for noise). */
  probabilities: Float64Array;
  /** GLOSH outlier score in [0, 1] (Campello et al. 2015): 1 - lambda(point) / max lambda of its last cluster. */
  outlierScores: Float64Array;
  coreDistances: Float64Array;
  clusters: HdbscanCluster[];
  method: 'exact' | 'approximate';
  /** Components of the neighbour graph before bridging (1 for the exact method). */
  graphComponents: number;
}

/** Distances below this count as this (a cluster of identical profiles has distance 0 but finite density). */
const MIN_DISTANCE = 1e-10;

/**
 * HDBSCAN (Campello, Moulavi and Sander 2013; McInnes and Healy 2017): core distances, the minimum spanning tree of
 * mutual-reachability distances, the single-linkage hierarchy, the condensed tree at minClusterSize, excess-of-mass
 * selection, noise, membership probabilities and GLOSH outlier scores. Deterministic for a given seed. See
 * docs/adr/0010-hdbscan-at-scale.md for the approximate method used on tens of thousands of points.
 */
export function hdbscan(matrix: FeatureMatrix, options: HdbscanOptions): HdbscanResult {
  const minClusterSize = options.minClusterSize;
  if (!Number.isInteger(minClusterSize) || minClusterSize < 2) throw invalidArgument('minClusterSize must be an integer >= 2');
  const minSamples = options.minSamples ?? Math.min(minClusterSize, 10);
  if (!Number.isInteger(minSamples) || minSamples < 1) throw invalidArgument('minSamples must be a positive integer');
  const n = matrix.rows;
  if (n < 2) {
    return {
      labels: new Int32Array(n).fill(NOISE),
      probabilities: new Float64Array(n),
      outlierScores: new Float64Array(n),
      coreDistances: new Float64Array(n),
      clusters: [],
      method: 'exact',
      graphComponents: n,
    };
  }
  const seed = options.seed ?? 0;
  const method = options.method ?? 'auto';
  const exact = method === 'exact' || (method === 'auto' && n <= (options.exactUpTo ?? 2000));
  options.onStage?.('neighbours');
  let graph: NeighbourGraph;
  let tree: SpanningTree;
  let components = 1;
  let core: Float64Array;
  if (exact) {
    graph = exactNeighbours(matrix, Math.max(1, minSamples - 1));
    core = coreDistances(graph, minSamples);
    options.onStage?.('spanning-tree');
    tree = exactMutualReachabilityTree(matrix, core);
  } else {
    const k = Math.max(options.graphNeighbours ?? 15, minSamples - 1, 2);
    graph = approximateNeighbours(matrix, k, seed, { ...DEFAULT_APPROXIMATE_NEIGHBOUR_OPTIONS, ...options.neighbourSearch });
    core = coreDistances(graph, minSamples);
    components = countGraphComponents(graph);
    options.onStage?.('spanning-tree');
    tree = graphMutualReachabilityTree(matrix, graph, core, { seed, bridgeSamples: options.bridgeSamples ?? 2000 });
  }
  options.onStage?.('condensed-tree');
  const hierarchy = singleLinkage(n, tree);
  const condensed = condenseTree(hierarchy, minClusterSize);
  options.onStage?.('selection');
  const result = selectClusters(condensed, options.allowSingleCluster ?? false);
  return { ...result, coreDistances: core, method: exact ? 'exact' : 'approximate', graphComponents: components };
}

function countGraphComponents(graph: NeighbourGraph): number {
  const sets = new DisjointSets(graph.rows);
  for (let e = 0; e < graph.indices.length; e++) {
    const j = graph.indices[e];
    if (j >= 0) sets.union((e / graph.k) | 0, j);
  }
  return sets.components;
}

/** Single-linkage dendrogram: internal node n + e joins left[e] and right[e] at distance[e] (scipy layout). */
export interface SingleLinkageTree {
  readonly points: number;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly distance: Float64Array;
  readonly size: Int32Array;
}

/** Builds the dendrogram from a spanning tree (a forest is joined at infinite distance). */
export function singleLinkage(n: number, tree: SpanningTree): SingleLinkageTree {
  const edges = tree.weights.length;
  const order = new Int32Array(edges);
  for (let e = 0; e < edges; e++) order[e] = e;
  order.sort((a, b) => tree.weights[a] - tree.weights[b] || a - b);
  const left = new Int32Array(n - 1);
  const right = new Int32Array(n - 1);
  const distance = new Float64Array(n - 1);
  const size = new Int32Array(n - 1);
  const sets = new DisjointSets(n);
  const nodeOfRoot = new Int32Array(n);
  for (let i = 0; i < n; i++) nodeOfRoot[i] = i;
  const nodeSize = (node: number): number => (node < n ? 1 : size[node - n]);
  let next = 0;
  const join = (a: number, b: number, d: number): void => {
    const ra = sets.find(a);
    const rb = sets.find(b);
    if (ra === rb) return;
    const na = nodeOfRoot[ra];
    const nb = nodeOfRoot[rb];
    left[next] = Math.min(na, nb);
    right[next] = Math.max(na, nb);
    distance[next] = d;
    size[next] = nodeSize(na) + nodeSize(nb);
    const root = sets.union(ra, rb);
    nodeOfRoot[root] = n + next;
    next++;
  };
  for (let o = 0; o < edges; o++) {
    const e = order[o];
    join(tree.from[e], tree.to[e], tree.weights[e]);
  }
  // A spanning forest (only possible with custom trees) is closed at infinite distance.
  for (let i = 1; i < n && next < n - 1; i++) join(0, i, Number.POSITIVE_INFINITY);
  return { points: n, left, right, distance, size };
}

/** The condensed tree: clusters with their parent and birth density, and where every point fell out. */
export interface CondensedTree {
  readonly points: number;
  /** Condensed cluster each point fell out of, and the density (lambda) at which it did. */
  readonly pointCluster: Int32Array;
  readonly pointLambda: Float64Array;
  /** Per condensed cluster (0 is the root): parent (-1 for the root), birth lambda, size at birth, stability. */
  readonly parent: Int32Array;
  readonly birthLambda: Float64Array;
  readonly birthSize: Int32Array;
  readonly stability: Float64Array;
  readonly children: ReadonlyArray<readonly number[]>;
}

function lambdaOf(distance: number): number {
  if (distance === Number.POSITIVE_INFINITY) return 0;
  return 1 / Math.max(distance, MIN_DISTANCE);
}

/**
 * Walks the dendrogram from the root: a split where both sides have at least minClusterSize points creates two child
 * clusters; otherwise the smaller side's points "fall out" of the current cluster at that density. Iterative (a
 * chained dendrogram is n deep) and O(n).
 */
export function condenseTree(tree: SingleLinkageTree, minClusterSize: number): CondensedTree {
  const n = tree.points;
  const pointCluster = new Int32Array(n).fill(0);
  const pointLambda = new Float64Array(n);
  const parent: number[] = [-1];
  const birthLambda: number[] = [0];
  const birthSize: number[] = [n];
  const children: number[][] = [[]];
  const clusterOfNode = new Int32Array(2 * n - 1).fill(-1);
  clusterOfNode[2 * n - 2] = 0;
  const sizeOf = (node: number): number => (node < n ? 1 : tree.size[node - n]);
  const stack: number[] = [];
  const fallOut = (node: number, cluster: number, lambda: number): void => {
    stack.push(node);
    while (stack.length > 0) {
      const x = stack.pop() as number;
      if (x < n) {
        pointCluster[x] = cluster;
        pointLambda[x] = lambda;
      } else {
        stack.push(tree.left[x - n], tree.right[x - n]);
      }
    }
  };
  for (let node = 2 * n - 2; node >= n; node--) {
    const cluster = clusterOfNode[node];
    if (cluster < 0) continue;
    const e = node - n;
    const lambda = lambdaOf(tree.distance[e]);
    const l = tree.left[e];
    const r = tree.right[e];
    const bigLeft = sizeOf(l) >= minClusterSize;
    const bigRight = sizeOf(r) >= minClusterSize;
    if (bigLeft && bigRight) {
      for (const child of [l, r]) {
        const id = parent.length;
        parent.push(cluster);
        birthLambda.push(lambda);
        birthSize.push(sizeOf(child));
        children.push([]);
        children[cluster].push(id);
        clusterOfNode[child] = id;
      }
    } else if (bigLeft) {
      clusterOfNode[l] = cluster;
      fallOut(r, cluster, lambda);
    } else if (bigRight) {
      clusterOfNode[r] = cluster;
      fallOut(l, cluster, lambda);
    } else {
      fallOut(l, cluster, lambda);
      fallOut(r, cluster, lambda);
    }
  }
  const count = parent.length;
  const stability = new Float64Array(count);
  for (let p = 0; p < n; p++) {
    const c = pointCluster[p];
    stability[c] += pointLambda[p] - birthLambda[c];
  }
  for (let c = 1; c < count; c++) stability[parent[c]] += (birthLambda[c] - birthLambda[parent[c]]) * birthSize[c];
  return {
    points: n,
    pointCluster,
    pointLambda,
    parent: Int32Array.from(parent),
    birthLambda: Float64Array.from(birthLambda),
    birthSize: Int32Array.from(birthSize),
    stability,
    children,
  };
}

/**
 * Excess-of-mass selection: bottom-up, a cluster is kept when its own stability is at least the summed stability of
 * the clusters selected below it, and then replaces them. Points take the label of their selected ancestor or are noise.
 */
export function selectClusters(
  condensed: CondensedTree,
  allowSingleCluster: boolean,
): Pick<HdbscanResult, 'labels' | 'probabilities' | 'outlierScores' | 'clusters'> {
  const n = condensed.points;
  const count = condensed.parent.length;
  const { parent, children, stability, pointCluster, pointLambda, birthLambda } = condensed;
  const selected = new Uint8Array(count);
  const subtree = new Float64Array(count);
  const deselectBelow = (c: number): void => {
    const stack = [...children[c]];
    while (stack.length > 0) {
      const x = stack.pop() as number;
      selected[x] = 0;
      for (const y of children[x]) stack.push(y);
    }
  };
  for (let c = count - 1; c >= 0; c--) {
    let childSum = 0;
    for (const child of children[c]) childSum += subtree[child];
    const eligible = c !== 0 || allowSingleCluster;
    if (eligible && (children[c].length === 0 || stability[c] >= childSum)) {
      selected[c] = 1;
      deselectBelow(c);
      subtree[c] = stability[c];
    } else {
      subtree[c] = childSum;
    }
  }
  // Highest lambda reached by any point in each cluster's subtree (children have higher ids than parents).
  const maxLambda = new Float64Array(count);
  for (let p = 0; p < n; p++) if (pointLambda[p] > maxLambda[pointCluster[p]]) maxLambda[pointCluster[p]] = pointLambda[p];
  for (let c = count - 1; c > 0; c--) if (maxLambda[c] > maxLambda[parent[c]]) maxLambda[parent[c]] = maxLambda[c];
  const selectedAncestor = new Int32Array(count);
  const labelOf = new Int32Array(count).fill(NOISE);
  let labels = 0;
  for (let c = 0; c < count; c++) {
    selectedAncestor[c] = selected[c] ? c : c === 0 ? -1 : selectedAncestor[parent[c]];
    if (selected[c]) labelOf[c] = labels++;
  }
  const pointLabels = new Int32Array(n).fill(NOISE);
  const probabilities = new Float64Array(n);
  const outlierScores = new Float64Array(n);
  const sizes = new Int32Array(labels);
  const probabilitySums = new Float64Array(labels);
  for (let p = 0; p < n; p++) {
    const own = pointCluster[p];
    const top = maxLambda[own];
    outlierScores[p] = top > 0 ? Math.max(0, (top - pointLambda[p]) / top) : 0;
    const ancestor = selectedAncestor[own];
    if (ancestor < 0) continue;
    const label = labelOf[ancestor];
    pointLabels[p] = label;
    const death = maxLambda[ancestor];
    probabilities[p] = death > 0 ? Math.min(pointLambda[p], death) / death : 1;
    sizes[label]++;
    probabilitySums[label] += probabilities[p];
  }
  const clusters: HdbscanCluster[] = [];
  for (let c = 0; c < count; c++) {
    if (!selected[c]) continue;
    const label = labelOf[c];
    const span = maxLambda[c] - birthLambda[c];
    const size = sizes[label];
    clusters.push({
      label,
      size,
      stability: stability[c],
      birthLambda: birthLambda[c],
      maxLambda: maxLambda[c],
      meanProbability: size > 0 ? probabilitySums[label] / size : 0,
      relativeStability: span > 0 && size > 0 ? Math.min(1, stability[c] / (size * span)) : 0,
    });
  }
  return { labels: pointLabels, probabilities, outlierScores, clusters };
}
