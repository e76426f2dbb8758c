import type { ClusterLabel, ClusterModelState, ClusteringStage, ConfidenceBand, IdentityContext, PreviousCluster } from '@clarion/clustering-core';
import type { StoredClusterSummary } from '../../data';

/** Options of one run, from the service configuration. */
export interface ClusteringWorkerOptions {
  /** 0 = automatic. */
  minClusterSize: number;
  minSamples: number;
  useIdentity: boolean;
}

/**
 * The one message the main thread sends: every profile's encoded bytes back to back in `profileBytes` (transferred,
 * not copied), `offsets[i]..offsets[i + 1]` delimiting endpoint i.
 */
export interface ClusteringWorkerInput {
  endpoints: string[];
  profileBytes: ArrayBuffer;
  offsets: Uint32Array;
  /** Aligned with `endpoints`; null where no identity was imported. */
  identities: Array<IdentityContext | null>;
  previous: PreviousCluster[];
  reservedIds: string[];
  options: ClusteringWorkerOptions;
}

export interface ClusteringWorkerCluster {
  id: string;
  previousId: string | null;
  size: number;
  stability: number;
  quality: number;
  label: ClusterLabel;
  summary: StoredClusterSummary;
}

export interface ClusteringWorkerResult {
  /** Endpoints clustered (those whose profile could not be decoded are left out and counted in `skipped`). */
  endpoints: string[];
  clusterIds: Array<string | null>;
  probabilities: Float32Array;
  confidences: Float32Array;
  bands: ConfidenceBand[];
  clusters: ClusteringWorkerCluster[];
  retiredIds: string[];
  noiseRate: number;
  minClusterSize: number;
  method: 'exact' | 'approximate';
  model: ClusterModelState;
  skipped: number;
}

export type ClusteringWorkerMessage =
  | { type: 'stage'; stage: ClusteringStage }
  | { type: 'result'; result: ClusteringWorkerResult }
  | { type: 'error'; message: string };
