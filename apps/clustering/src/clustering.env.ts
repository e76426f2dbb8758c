import { JetStreamServiceEnv } from '@clarion/config';

/** Configuration of the clustering service (endpoint profiles, clusters, SGTs and policy). */
export class ClusteringEnv extends JetStreamServiceEnv {
  override OPS_PORT = 9403;
}
