import { JetStreamServiceEnv } from '@clarion/config';

/** Configuration of the clustering service (endpoint profiles, clusters, SGTs and policy). */
export class ClusteringEnv extends JetStreamServiceEnv {
  override OPS_PORT = 9403;

  // ---- flow-batch consumer and profiles (apps/clustering/src/profiles)

  // ---- full re-clustering jobs (apps/clustering/src/jobs)

  // ---- gateway-facing queries (apps/clustering/src/query)
}
