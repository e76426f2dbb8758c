import { ClusteringCoreError, ClusteringCoreErrorCode, invalidArgument } from './clustering-core.error';
import { type EndpointProfile } from './endpoint-profile';
import { FeatureSpace, type FeatureSpaceOptions, type IdentityContext } from './feature-extraction';
import { type FeatureMatrix } from './feature-matrix';
import { FeatureScaler, type FeatureScalerState } from './feature-scaler';
import { type HdbscanResult, NOISE } from './hdbscan';
import { SeededRandom } from './seeded-random';

export type ConfidenceBand = 'very_high' | 'high' | 'medium' | 'low' | 'very_low';

/** very high >= 0.9, high >= 0.75, medium >= 0.6, low >= 0.4, very low below. */
export function confidenceBand(confidence: number): ConfidenceBand {
  if (confidence >= 0.9) return 'very_high';
  if (confidence >= 0.75) return 'high';
  if (confidence >= 0.6) return 'medium';
  if (confidence >= 0.4) return 'low';
  return 'very_low';
}

/** What a model keeps per cluster to place new endpoints without re-running the clustering. */
export interface ClusterModelEntry {
  /** Stable cluster id (see matchClusterIds). */
  id: string;
  size: number;
  /** Mean of the members in the scaled space. */
  centroid: Float32Array;
  /** Representative members (row-major, `exemplarCount` rows): high-probability members spread over the cluster. */
  exemplars: Float32Array;
  exemplarCount: number;
  /** Largest distance of an exemplar from the centroid (for pruning). */
  radius: number;
  /** Median distance of a member to its nearest exemplar: "inside the cluster". */
  spread: number;
  /** 95th percentile of the same: the edge of the cluster. */
  reach: number;
  /** Assignment threshold: reach * thresholdFactor (capped by maxDistance when given). */
  threshold: number;
  /** Cluster quality in [0, 1]: mean membership probability and excess-of-mass persistence (see buildClusterModel). */
  quality: number;
}

export interface ClusterModel {
  featureSpace: FeatureSpace;
  scaler: FeatureScaler;
  clusters: ClusterModelEntry[];
}

export interface ClusterModelOptions {
  /** Exemplars kept per cluster (more: better fit for long clusters, slower assignment). */
  exemplarsPerCluster: number;
  /** A point is assignable up to reach * thresholdFactor from a cluster's nearest exemplar. */
  thresholdFactor: number;
  /** Absolute cap on the assignment distance in the scaled space (Infinity for none). */
  maxDistance: number;
  seed: number;
}

export const DEFAULT_CLUSTER_MODEL_OPTIONS: Readonly<ClusterModelOptions> = Object.freeze({
  exemplarsPerCluster: 24,
  thresholdFactor: 1.5,
  maxDistance: Number.POSITIVE_INFINITY,
  seed: 0,
});

const SAMPLE_LIMIT = 4000;

function distance(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, d: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) {
    const t = a[ao + c] - b[bo + c];
    s += t * t;
  }
  return Math.sqrt(s);
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
}

/**
 * Summarises a clustering run for incremental assignment: per cluster a centroid, exemplars (farthest-point sample of
 * the members with at least median membership probability, so they span the cluster's shape, not just its middle),
 * the distribution of member-to-exemplar distances (spread, reach) and a quality score. `clusterIds[label]` gives the
 * stable id of each HDBSCAN label.
 */
export function buildClusterModel(
  featureSpace: FeatureSpace,
  scaler: FeatureScaler,
  scaled: FeatureMatrix,
  result: Pick<HdbscanResult, 'labels' | 'probabilities' | 'clusters'>,
  clusterIds: readonly string[],
  options: Partial<ClusterModelOptions> = {},
): ClusterModel {
  const o = { ...DEFAULT_CLUSTER_MODEL_OPTIONS, ...options };
  if (!(o.exemplarsPerCluster >= 1) || !(o.thresholdFactor > 0)) throw invalidArgument('bad cluster model options');
  if (scaled.cols !== featureSpace.dimension || scaler.dimension !== featureSpace.dimension) {
    throw new ClusteringCoreError(ClusteringCoreErrorCode.DIMENSION_MISMATCH, 'scaled matrix, scaler and feature space differ in width');
  }
  if (clusterIds.length !== result.clusters.length) throw invalidArgument('one id per cluster label is required');
  const d = scaled.cols;
  const rng = new SeededRandom(o.seed ^ 0x3c1a55e5);
  const membersOf: number[][] = result.clusters.map(() => []);
  for (let i = 0; i < result.labels.length; i++) if (result.labels[i] !== NOISE) membersOf[result.labels[i]].push(i);
  const entries = result.clusters.map((cluster, label) => {
    const members = membersOf[label];
    const centroid = new Float32Array(d);
    for (const i of members) for (let c = 0; c < d; c++) centroid[c] += scaled.values[i * d + c];
    for (let c = 0; c < d; c++) centroid[c] /= Math.max(1, members.length);
    // Candidates: members at or above the median probability (the cluster's body), sampled down if many.
    const probabilities = members.map((i) => result.probabilities[i]).sort((a, b) => a - b);
    const median = probabilities.length > 0 ? probabilities[Math.floor(probabilities.length / 2)] : 0;
    let body = members.filter((i) => result.probabilities[i] >= median);
    if (body.length === 0) body = members.slice();
    if (body.length > SAMPLE_LIMIT) body = rng.shuffle(body.slice()).slice(0, SAMPLE_LIMIT);
    const exemplarIndices = farthestPointSample(scaled, body, centroid, Math.min(o.exemplarsPerCluster, body.length));
    const exemplars = new Float32Array(exemplarIndices.length * d);
    exemplarIndices.forEach((i, e) => exemplars.set(scaled.values.subarray(i * d, i * d + d), e * d));
    let radius = 0;
    for (let e = 0; e < exemplarIndices.length; e++) radius = Math.max(radius, distance(exemplars, e * d, centroid, 0, d));
    const isExemplar = new Set(exemplarIndices);
    const sample = members.length > SAMPLE_LIMIT ? rng.shuffle(members.slice()).slice(0, SAMPLE_LIMIT) : members;
    const nearest: number[] = [];
    for (const i of sample) {
      if (isExemplar.has(i) && exemplarIndices.length > 1) continue;
      let best = Number.POSITIVE_INFINITY;
      for (let e = 0; e < exemplarIndices.length; e++) best = Math.min(best, distance(scaled.values, i * d, exemplars, e * d, d));
      nearest.push(best);
    }
    const sorted = Float64Array.from(nearest).sort();
    const spread = quantile(sorted, 0.5);
    const reach = Math.max(quantile(sorted, 0.95), spread, 1e-6);
    return {
      id: clusterIds[label],
      size: members.length,
      centroid,
      exemplars,
      exemplarCount: exemplarIndices.length,
      radius,
      spread,
      reach,
      threshold: Math.min(reach * o.thresholdFactor, o.maxDistance),
      // Mean probability says how tightly members sit; relative stability how persistent the cluster is over density.
      quality: Math.min(1, Math.max(0, 0.5 * cluster.meanProbability + 0.5 * Math.sqrt(cluster.relativeStability))),
    };
  });
  return { featureSpace, scaler, clusters: entries };
}

function rowDistance(vector: Float64Array, rows: Float32Array, offset: number, d: number): number {
  return Math.sqrt(rowSquaredDistance(vector, rows, offset, d, Number.POSITIVE_INFINITY));
}

/** Squared distance from `vector` to the row at `offset`, abandoning early once it exceeds `bound`. */
function rowSquaredDistance(vector: Float64Array, rows: Float32Array, offset: number, d: number, bound: number): number {
  let s = 0;
  let c = 0;
  for (; c + 7 < d; c += 8) {
    for (let k = c; k < c + 8; k++) {
      const t = vector[k] - rows[offset + k];
      s += t * t;
    }
    if (s > bound) return s;
  }
  for (; c < d; c++) {
    const t = vector[c] - rows[offset + c];
    s += t * t;
  }
  return s;
}

/** Deterministic farthest-point sampling starting at the member nearest the centroid. */
function farthestPointSample(matrix: FeatureMatrix, candidates: readonly number[], centroid: Float32Array, count: number): number[] {
  const d = matrix.cols;
  if (candidates.length === 0 || count === 0) return [];
  let start = candidates[0];
  let startDistance = Number.POSITIVE_INFINITY;
  for (const i of candidates) {
    const dist = distance(matrix.values, i * d, centroid, 0, d);
    if (dist < startDistance) {
      startDistance = dist;
      start = i;
    }
  }
  const chosen = [start];
  const gap = new Float64Array(candidates.length).fill(Number.POSITIVE_INFINITY);
  let last = start;
  while (chosen.length < count) {
    let best = -1;
    let bestGap = -1;
    for (let c = 0; c < candidates.length; c++) {
      const g = Math.min(gap[c], distance(matrix.values, candidates[c] * d, matrix.values, last * d, d));
      gap[c] = g;
      if (g > bestGap) {
        bestGap = g;
        best = c;
      }
    }
    if (bestGap <= 0) break;
    last = candidates[best];
    chosen.push(last);
  }
  return chosen;
}

export interface ClusterAssignment {
  /** Cluster the endpoint joins, or null when no cluster is close enough (it waits as unassigned). */
  clusterId: string | null;
  /** Nearest cluster even when too far to join. */
  nearestClusterId: string | null;
  /** Distance to the nearest exemplar of the nearest cluster, in the scaled space. */
  distance: number;
  /** That cluster's assignment threshold. */
  threshold: number;
  /** In [0, 1]; 0 when unassigned. */
  confidence: number;
  band: ConfidenceBand;
  /** The factors of the confidence, for explanations. */
  factors: ConfidenceFactors;
}

export interface ConfidenceFactors {
  /** Estimated membership probability: distance relative to the cluster's spread, discounted by ambiguity. */
  membership: number;
  /** 1 when the second-nearest cluster is much farther than the cluster's spread, 0.5 when equidistant. */
  separation: number;
  quality: number;
  /** size / (size + 10): a cluster of 10 endpoints is half as trustworthy as a large one. */
  sizeFactor: number;
}

/**
 * Combines membership, cluster quality and cluster size: confidence = membership * (0.75 + 0.25 * quality *
 * sizeFactor). A typical member of a large, persistent cluster scores >= 0.9; a point on the cluster's edge or between
 * two clusters drops to medium or low; quality and size can cost at most a quarter.
 */
export function combineConfidence(membership: number, quality: number, size: number): { confidence: number; sizeFactor: number } {
  const sizeFactor = size / (size + 10);
  const confidence = Math.min(1, Math.max(0, membership)) * (0.75 + 0.25 * quality * sizeFactor);
  return { confidence, sizeFactor };
}

/** Membership estimated from distance: 1 up to the median member distance, 0.7 at the 95th percentile, then fading. */
export function proximityMembership(distanceToCluster: number, spread: number, reach: number): number {
  const u = Math.max(0, (distanceToCluster - spread) / Math.max(reach - spread, 1e-9));
  return Math.exp(-0.35 * u * u);
}

/**
 * Places new or changed endpoints into the clusters of a model: nearest cluster by distance to its exemplars in the
 * scaled space (clusters are pruned by centroid distance minus radius), joined only within the cluster's threshold.
 * Allocation-free per call apart from the result object.
 */
export class ClusterAssigner {
  private readonly scaledBuffer: Float64Array;
  private readonly rawBuffer: Float64Array;
  private readonly lowerBounds: Float64Array;
  private readonly order: Int32Array;

  constructor(readonly model: ClusterModel) {
    const d = model.featureSpace.dimension;
    this.scaledBuffer = new Float64Array(d);
    this.rawBuffer = new Float64Array(d);
    this.lowerBounds = new Float64Array(model.clusters.length);
    this.order = new Int32Array(model.clusters.length);
  }

  assignProfile(profile: EndpointProfile, identity?: IdentityContext | null): ClusterAssignment {
    this.model.featureSpace.extract(profile, identity ?? null, this.rawBuffer);
    return this.assignFeatures(this.rawBuffer);
  }

  /** Raw (unscaled) features in the model's feature space. */
  assignFeatures(features: ArrayLike<number>): ClusterAssignment {
    this.checkWidth(features.length);
    this.model.scaler.transformVector(features, this.scaledBuffer);
    return this.assignScaled(this.scaledBuffer);
  }

  /** A vector already in the scaled space. */
  assignScaled(scaledVector: ArrayLike<number>): ClusterAssignment {
    this.checkWidth(scaledVector.length);
    // One monomorphic (float64 against float32 rows) distance loop below: copy the input into the own buffer.
    const vector = this.scaledBuffer;
    if (scaledVector !== vector) for (let c = 0; c < vector.length; c++) vector[c] = scaledVector[c];
    const clusters = this.model.clusters;
    const d = this.model.featureSpace.dimension;
    const count = clusters.length;
    for (let c = 0; c < count; c++) {
      this.lowerBounds[c] = Math.max(0, rowDistance(vector, clusters[c].centroid, 0, d) - clusters[c].radius);
      this.order[c] = c;
    }
    const bounds = this.lowerBounds;
    const order = this.order;
    // Insertion sort by lower bound: cluster counts are small.
    for (let a = 1; a < count; a++) {
      const v = order[a];
      let b = a - 1;
      while (b >= 0 && bounds[order[b]] > bounds[v]) {
        order[b + 1] = order[b];
        b--;
      }
      order[b + 1] = v;
    }
    let best = -1;
    let bestDistance = Number.POSITIVE_INFINITY;
    let secondDistance = Number.POSITIVE_INFINITY;
    for (let r = 0; r < count; r++) {
      const c = order[r];
      if (bounds[c] >= secondDistance) break;
      const entry = clusters[c];
      let nearest = Number.POSITIVE_INFINITY; // squared until the loop ends
      for (let e = 0; e < entry.exemplarCount; e++) {
        const dist = rowSquaredDistance(vector, entry.exemplars, e * d, d, nearest);
        if (dist < nearest) nearest = dist;
      }
      nearest = Math.sqrt(nearest);
      if (nearest < bestDistance) {
        secondDistance = bestDistance;
        bestDistance = nearest;
        best = c;
      } else if (nearest < secondDistance) {
        secondDistance = nearest;
      }
    }
    if (best < 0) {
      return {
        clusterId: null,
        nearestClusterId: null,
        distance: Number.POSITIVE_INFINITY,
        threshold: 0,
        confidence: 0,
        band: 'very_low',
        factors: { membership: 0, separation: 0, quality: 0, sizeFactor: 0 },
      };
    }
    const entry = clusters[best];
    const proximity = proximityMembership(bestDistance, entry.spread, entry.reach);
    const separation = Number.isFinite(secondDistance)
      ? 0.5 + 0.5 * Math.min(1, (secondDistance - bestDistance) / Math.max(entry.spread, 1e-9))
      : 1;
    const membership = proximity * separation;
    const { confidence, sizeFactor } = combineConfidence(membership, entry.quality, entry.size);
    const joins = bestDistance <= entry.threshold;
    return {
      clusterId: joins ? entry.id : null,
      nearestClusterId: entry.id,
      distance: bestDistance,
      threshold: entry.threshold,
      confidence: joins ? confidence : 0,
      band: joins ? confidenceBand(confidence) : 'very_low',
      factors: { membership, separation, quality: entry.quality, sizeFactor },
    };
  }

  private checkWidth(width: number): void {
    if (width !== this.model.featureSpace.dimension) {
      throw new ClusteringCoreError(
        ClusteringCoreErrorCode.DIMENSION_MISMATCH,
        `vector has ${width} features, the model ${this.model.featureSpace.dimension}`,
      );
    }
  }
}

/** Confidence of an endpoint placed by the full clustering: its HDBSCAN membership probability in place of distance. */
export function memberConfidence(entry: Pick<ClusterModelEntry, 'quality' | 'size'>, probability: number): { confidence: number; band: ConfidenceBand } {
  const { confidence } = combineConfidence(probability, entry.quality, entry.size);
  return { confidence, band: confidenceBand(confidence) };
}

/** JSON-safe form of a model, vectors as base64 of little-endian float32. */
export interface ClusterModelState {
  version: 1;
  featureSpace: FeatureSpaceOptions;
  scaler: FeatureScalerState;
  clusters: Array<Omit<ClusterModelEntry, 'centroid' | 'exemplars'> & { centroid: string; exemplars: string }>;
}

function toBase64(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

function fromBase64(text: string, expected: number): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== expected * 4) throw new ClusteringCoreError(ClusteringCoreErrorCode.CORRUPT_ENCODING, 'vector length mismatch');
  const out = new Float32Array(expected);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function serialiseClusterModel(model: ClusterModel): ClusterModelState {
  return {
    version: 1,
    featureSpace: { ...model.featureSpace.options },
    scaler: model.scaler.toJSON(),
    clusters: model.clusters.map((c) => ({ ...c, centroid: toBase64(c.centroid), exemplars: toBase64(c.exemplars) })),
  };
}

export function deserialiseClusterModel(state: ClusterModelState): ClusterModel {
  if (state.version !== 1) throw new ClusteringCoreError(ClusteringCoreErrorCode.CORRUPT_ENCODING, 'unsupported cluster model version');
  const featureSpace = new FeatureSpace(state.featureSpace);
  const scaler = FeatureScaler.fromJSON(state.scaler);
  const d = featureSpace.dimension;
  if (scaler.dimension !== d) throw new ClusteringCoreError(ClusteringCoreErrorCode.CORRUPT_ENCODING, 'scaler does not match the feature space');
  return {
    featureSpace,
    scaler,
    clusters: state.clusters.map((c) => ({
      ...c,
      centroid: fromBase64(c.centroid, d),
      exemplars: fromBase64(c.exemplars, c.exemplarCount * d),
    })),
  };
}
