import type { BaseServiceEnv } from '@clarion/config';
import { SERVICE_NAMES, type ServiceName } from '@clarion/contracts';
import { AuthEnv } from '../../apps/auth/src/auth.env';
import { ClusteringEnv } from '../../apps/clustering/src/clustering.env';
import { GatewayEnv } from '../../apps/gateway/src/gateway.env';
import { IngestEnv } from '../../apps/ingest/src/ingest.env';
import { RetentionEnv } from '../../apps/retention/src/retention.env';
import { MigrateEnv } from '../migrate/migrate.env';

/** A process that validates its environment with one env class: a service, or a tool such as `npm run migrate`. */
export interface EnvReader {
  name: string;
  envClass: new () => object;
}

/**
 * The env class of each service. It must cover ServiceName, so adding a service to SERVICE_NAMES does not compile
 * until its env class is listed here, and from then on docs/CONFIGURATION.md, the compose test and the k8s test
 * all cover it.
 */
export const SERVICE_ENV_CLASSES = {
  gateway: GatewayEnv,
  auth: AuthEnv,
  ingest: IngestEnv,
  clustering: ClusteringEnv,
  retention: RetentionEnv,
} satisfies Record<ServiceName, new () => BaseServiceEnv>;

/** Every process whose variables docs/CONFIGURATION.md documents, in the order its columns list them. */
export const ENV_READERS: readonly EnvReader[] = [
  ...SERVICE_NAMES.map((name) => ({ name, envClass: SERVICE_ENV_CLASSES[name] })),
  { name: 'migrate', envClass: MigrateEnv },
];
