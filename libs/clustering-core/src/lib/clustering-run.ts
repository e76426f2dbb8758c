import { invalidArgument } from './clustering-core.error';
import { buildClusterModel, memberConfidence, type ClusterModel, type ClusterModelOptions, type ConfidenceBand } from './cluster-model';
import { matchClusterIds, type PreviousCluster } from './cluster-identity';
import { labelCluster, summariseCluster, type ClusterLabel, type ClusterSummary } from './cluster-label';
import { type EndpointProfile } from './endpoint-profile';
import { FeatureSpace, type IdentityContext } from './feature-extraction';
import { type FeatureMatrix } from './feature-matrix';
import { FeatureScaler, type ScalerKind } from './feature-scaler';
import { hdbscan, NOISE, type HdbscanOptions, type HdbscanStage } from './hdbscan';

export type ClusteringStage = 'features' | 'scaling' | HdbscanStage | 'identity' | 'model' | 'labels';

export interface ClusteringRunOptions {
  /** Add identity features (only when identity was imported for the tenant). */
  useIdentity: boolean;
  /** 'auto' = max(15, 0.3 % of the endpoints). */
  minClusterSize: number | 'auto';
  minSamples: number;
  seed: number;
  scaler: ScalerKind;
  /** Scaled features are clipped to +-clip. */
  clip: number;
  hdbscan: Partial<Omit<HdbscanOptions, 'minClusterSize' | 'minSamples' | 'seed' | 'onStage'>>;
  model: Partial<ClusterModelOptions>;
}

export const DEFAULT_CLUSTERING_RUN_OPTIONS: Readonly<ClusteringRunOptions> = Object.freeze({
  useIdentity: false,
  minClusterSize: 'auto',
  minSamples: 10,
  seed: 1,
  scaler: 'standard',
  clip: 8,
  hdbscan: {},
  model: {},
});

export interface EndpointMembership {
  endpoint: string;
  clusterId: string | null;
  /** HDBSCAN membership probability (0 for noise). */
  probability: number;
  outlierScore: number;
  confidence: number;
  band: ConfidenceBand;
}

export interface ClusterOutcome {
  id: string;
  /** Id of the previous run's cluster it continues, null when new. */
  previousId: string | null;
  size: number;
  stability: number;
  quality: number;
  /** Member endpoint keys. */
  members: string[];
}

export interface FeatureClusteringResult {
  model: ClusterModel;
  memberships: EndpointMembership[];
  clusters: ClusterOutcome[];
  retiredIds: string[];
  noiseRate: number;
  minClusterSize: number;
  method: 'exact' | 'approximate';
}

export function autoMinClusterSize(endpoints: number): number {
  return Math.max(15, Math.round(endpoints * 0.003));
}

/**
 * The full re-clustering on raw (unscaled) feature vectors: fit the scaler, HDBSCAN in the scaled space, match the
 * clusters to the previous run's ids, build the assignment model. `endpoints[i]` names row i.
 */
export function clusterFeatures(
  endpoints: readonly string[],
  features: FeatureMatrix,
  featureSpace: FeatureSpace,
  previous: readonly PreviousCluster[] = [],
  options: Partial<ClusteringRunOptions> = {},
  onStage?: (stage: ClusteringStage) => void,
  reservedIds: Iterable<string> = [],
): FeatureClusteringResult {
  const o = { ...DEFAULT_CLUSTERING_RUN_OPTIONS, ...options };
  if (endpoints.length !== features.rows) throw invalidArgument('one endpoint key per feature row is required');
  const minClusterSize = o.minClusterSize === 'auto' ? autoMinClusterSize(features.rows) : o.minClusterSize;
  onStage?.('scaling');
  const scaler = FeatureScaler.fit(features, { kind: o.scaler, clip: o.clip, minScales: featureSpace.minScales, featureNames: featureSpace.names });
  const scaled = scaler.transform(features);
  const result = hdbscan(scaled, { ...o.hdbscan, minClusterSize, minSamples: o.minSamples, seed: o.seed, onStage });
  onStage?.('identity');
  const membersByLabel: string[][] = result.clusters.map(() => []);
  for (let i = 0; i < endpoints.length; i++) if (result.labels[i] !== NOISE) membersByLabel[result.labels[i]].push(endpoints[i]);
  const matching = matchClusterIds(previous, membersByLabel, { reservedIds });
  const ids = matching.matches.map((m) => m.id);
  onStage?.('model');
  const model = buildClusterModel(featureSpace, scaler, scaled, result, ids, { seed: o.seed, ...o.model });
  const memberships: EndpointMembership[] = endpoints.map((endpoint, i) => {
    const label = result.labels[i];
    if (label === NOISE) {
      return { endpoint, clusterId: null, probability: 0, outlierScore: result.outlierScores[i], confidence: 0, band: 'very_low' };
    }
    const { confidence, band } = memberConfidence(model.clusters[label], result.probabilities[i]);
    return { endpoint, clusterId: ids[label], probability: result.probabilities[i], outlierScore: result.outlierScores[i], confidence, band };
  });
  const clusters: ClusterOutcome[] = result.clusters.map((cluster, label) => ({
    id: ids[label],
    previousId: matching.matches[label].previousId,
    size: cluster.size,
    stability: cluster.stability,
    quality: model.clusters[label].quality,
    members: membersByLabel[label],
  }));
  let noise = 0;
  for (const l of result.labels) if (l === NOISE) noise++;
  return {
    model,
    memberships,
    clusters,
    retiredIds: matching.retiredIds,
    noiseRate: endpoints.length > 0 ? noise / endpoints.length : 0,
    minClusterSize,
    method: result.method,
  };
}

export interface EndpointInput {
  /** Endpoint key (mac:.. or ip:..). */
  endpoint: string;
  profile: EndpointProfile;
  identity?: IdentityContext | null;
}

export interface LabelledCluster extends ClusterOutcome {
  label: ClusterLabel;
  summary: ClusterSummary;
}

export interface ClusteringRunResult extends Omit<FeatureClusteringResult, 'clusters'> {
  clusters: LabelledCluster[];
}

/** The full re-clustering from profiles: features, clusterFeatures, then a label and explanation per cluster. */
export function runClustering(
  endpoints: readonly EndpointInput[],
  previous: readonly PreviousCluster[] = [],
  options: Partial<ClusteringRunOptions> = {},
  onStage?: (stage: ClusteringStage) => void,
  reservedIds: Iterable<string> = [],
): ClusteringRunResult {
  const useIdentity = options.useIdentity ?? DEFAULT_CLUSTERING_RUN_OPTIONS.useIdentity;
  const featureSpace = new FeatureSpace({ identity: useIdentity });
  onStage?.('features');
  const features = featureSpace.extractAll(
    endpoints.map((e) => e.profile),
    endpoints.map((e) => e.identity ?? null),
  );
  const keys = endpoints.map((e) => e.endpoint);
  const result = clusterFeatures(keys, features, featureSpace, previous, options, onStage, reservedIds);
  onStage?.('labels');
  const byKey = new Map(endpoints.map((e) => [e.endpoint, e]));
  const clusters = result.clusters.map((cluster) => {
    const members = cluster.members.map((k) => byKey.get(k) as EndpointInput);
    const summary = summariseCluster(
      members.map((m) => m.profile),
      members.map((m) => m.identity ?? null),
    );
    return { ...cluster, summary, label: labelCluster(summary) };
  });
  return { ...result, clusters };
}
