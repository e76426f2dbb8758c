import type { BaseServiceEnv } from '@clarion/config';
import type { ServiceName } from '@clarion/contracts';
import type { CallerSigner, CallerVerifier, NatsConnectionHolder, RpcClient } from '@clarion/messaging';
import type { OpsServer, Readiness, ServiceMetrics } from '@clarion/observability';
import type { Database, RedisClient } from '@clarion/persistence';
import type { Logger } from 'pino';

/** Everything a service process owns outside Nest, created before Nest boots and closed after it stops. */
export interface ServiceRuntime<E extends BaseServiceEnv = BaseServiceEnv> {
  service: ServiceName;
  version: string;
  instanceId: string;
  startedAt: number;
  env: E;
  logger: Logger;
  metrics: ServiceMetrics;
  readiness: Readiness;
  ops: OpsServer;
  database: Database;
  redis: RedisClient;
  nats: NatsConnectionHolder;
  rpc: RpcClient;
  /**
   * This service's caller-assertion keys: the signer of its requests and stream messages (RPC_SIGNING_KEY) and the
   * verifier of what it receives (RPC_TRUSTED_KEYS).
   */
  callers: { signer?: CallerSigner; verifier: CallerVerifier };
}

/** Injection token of the ServiceRuntime. */
export const SERVICE_RUNTIME = Symbol('SERVICE_RUNTIME');
/** Injection token of the service's pino root logger. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
