// The worker thread of a full re-clustering run: decodes the profiles, runs clustering-core's runClustering (seconds of
// CPU for tens of thousands of endpoints) and posts the stages and the result back, so the service's event loop keeps
// answering RPCs and consuming flows meanwhile. Loaded from dist as a sibling .js file (the build rewrites
// @clarion/* to relative paths, so it needs no path hooks).
import { parentPort } from 'node:worker_threads';
import {
  decodeProfile,
  runClustering,
  serialiseClusterModel,
  type ClusterSummary,
  type EndpointInput,
  type ServiceUse,
} from '@clarion/clustering-core';
import type { StoredClusterService, StoredClusterSummary } from '../../data';
import type { ClusteringWorkerInput, ClusteringWorkerMessage, ClusteringWorkerResult } from './clustering-worker.protocol';

/** Services kept per role in a stored summary, and in `topServices`: enough for any view, bounded in size. */
const SERVICES_PER_ROLE = 20;
const TOP_SERVICES = 10;

const port = parentPort;
if (port === null) throw new Error('clustering-run.worker must run as a worker thread');

function post(message: ClusteringWorkerMessage, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

function storedSummary(summary: ClusterSummary, flows: number, basis: 'identity' | 'behaviour', category: string): StoredClusterSummary {
  const service = (role: 'client' | 'server') => (u: ServiceUse): StoredClusterService => ({
    role,
    protocol: u.protocol,
    port: u.port,
    service: u.service,
    flows: Math.round(u.flowShare * flows),
    share: u.memberShare,
  });
  const topServices = [...summary.served.map(service('server')), ...summary.used.map(service('client'))]
    .sort((a, b) => b.share - a.share || b.flows - a.flows || a.port - b.port)
    .slice(0, TOP_SERVICES);
  return {
    ...summary,
    served: summary.served.slice(0, SERVICES_PER_ROLE),
    used: summary.used.slice(0, SERVICES_PER_ROLE),
    flows,
    basis,
    category,
    topServices,
  };
}

function run(input: ClusteringWorkerInput): ClusteringWorkerResult {
  const bytes = new Uint8Array(input.profileBytes);
  const endpoints: EndpointInput[] = [];
  let skipped = 0;
  post({ type: 'stage', stage: 'features' });
  for (let i = 0; i < input.endpoints.length; i++) {
    try {
      const profile = decodeProfile(bytes.subarray(input.offsets[i], input.offsets[i + 1]));
      endpoints.push({ endpoint: input.endpoints[i], profile, identity: input.identities[i] });
    } catch {
      // A profile that does not decode must not sink the tenant's whole run; the host reports the count.
      skipped++;
    }
  }
  if (endpoints.length === 0) throw new Error('no endpoint profile to cluster');
  const result = runClustering(
    endpoints,
    input.previous,
    {
      useIdentity: input.options.useIdentity,
      minClusterSize: input.options.minClusterSize === 0 ? 'auto' : Math.min(input.options.minClusterSize, Math.max(2, endpoints.length)),
      minSamples: input.options.minSamples,
    },
    (stage) => post({ type: 'stage', stage }),
    input.reservedIds,
  );
  const flowsOf = new Map(endpoints.map((e) => [e.endpoint, e.profile.flows]));
  const n = result.memberships.length;
  const probabilities = new Float32Array(n);
  const confidences = new Float32Array(n);
  result.memberships.forEach((m, i) => {
    probabilities[i] = m.probability;
    confidences[i] = m.confidence;
  });
  return {
    endpoints: result.memberships.map((m) => m.endpoint),
    clusterIds: result.memberships.map((m) => m.clusterId),
    probabilities,
    confidences,
    bands: result.memberships.map((m) => m.band),
    clusters: result.clusters.map((c) => {
      let flows = 0;
      for (const member of c.members) flows += flowsOf.get(member) ?? 0;
      return {
        id: c.id,
        previousId: c.previousId,
        size: c.size,
        stability: c.stability,
        quality: c.quality,
        label: c.label,
        summary: storedSummary(c.summary, flows, c.label.basis, c.label.category),
      };
    }),
    retiredIds: result.retiredIds,
    noiseRate: result.noiseRate,
    minClusterSize: result.minClusterSize,
    method: result.method,
    model: serialiseClusterModel(result.model),
    skipped,
  };
}

port.once('message', (input: ClusteringWorkerInput) => {
  try {
    const result = run(input);
    post({ type: 'result', result }, [result.probabilities.buffer as ArrayBuffer, result.confidences.buffer as ArrayBuffer]);
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
});
