import type { INestApplication, INestMicroservice, ModuleMetadata, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Transport, type NatsOptions } from '@nestjs/microservices';
import type { BaseServiceEnv } from '@clarion/config';
import { queueGroupOf, type ServiceName } from '@clarion/contracts';
import { JsonTextSerializer, NatsConnectionHolder, RpcClient, applyRpcConventions, natsConnectionOptions } from '@clarion/messaging';
import { OpsServer, Readiness, ServiceMetrics, createLogger } from '@clarion/observability';
import { shutdownTracing } from '@clarion/observability/tracing';
import { Database, RedisClient } from '@clarion/persistence';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { hostname } from 'node:os';
import { callerKeysOf } from './caller-keys';
import { loadEnvOrExit } from './load-env';
import { PlatformModule } from './platform.module';
import type { ServiceRuntime } from './runtime';
import { readWorkspaceVersion } from './version';

export interface ServiceDefinition<E extends BaseServiceEnv> {
  service: ServiceName;
  envClass: new () => E;
  module: Type<unknown>;
  /** Request/reply handlers over the NestJS NATS transport, in the service's queue group. */
  rpc?: boolean;
  /** A public HTTP API (the gateway): Fastify on the port this returns, configured by `configure`. */
  http?: {
    port: (env: E) => { port: number; host: string };
    adapterOptions?: (env: E) => ConstructorParameters<typeof FastifyAdapter>[0];
    configure?: (app: NestFastifyApplication, runtime: ServiceRuntime<E>) => void | Promise<void>;
  };
  /** Called after Nest is up; for service-specific background work (consumers, listeners). */
  afterStart?: (app: INestApplication | INestMicroservice, runtime: ServiceRuntime<E>) => Promise<void>;
}

/**
 * Starts one Clarion service process:
 * 1. validate config (exit 1 naming every bad variable);
 * 2. open the ops port (/healthz, /readyz, /metrics) so probes answer from the first second;
 * 3. connect PostgreSQL, Redis and NATS in the background (a missing dependency makes the service not-ready,
 *    never crashes it);
 * 4. boot Nest (HTTP for the gateway, the NATS transport in the service's queue group for the others);
 * 5. on SIGTERM/SIGINT: fail readiness, drain, close everything, flush traces, exit 0 (bounded by SHUTDOWN_GRACE_MS).
 */
export async function runService<E extends BaseServiceEnv>(def: ServiceDefinition<E>): Promise<void> {
  const env = loadEnvOrExit(def.envClass, def.service);
  const logger = createLogger(def.service, env.LOG_LEVEL);
  const metrics = new ServiceMetrics(def.service);
  const readiness = new Readiness(env.READINESS_TIMEOUT_MS, (name) => metrics.dependencyUp.inc({ dependency: name }));
  const instanceId = `${hostname()}-${process.pid}`;
  const natsOptions = natsConnectionOptions({
    servers: env.NATS_URL,
    name: `clarion-${def.service}-${process.pid}`,
    identity: def.service,
    nkeySeed: env.NATS_NKEY_SEED,
    token: env.NATS_TOKEN,
    tls: env.NATS_TLS,
    tlsCa: env.NATS_TLS_CA,
  });

  const callers = callerKeysOf(env, def.service, logger, def.rpc === true);

  const runtime: ServiceRuntime<E> = {
    service: def.service,
    version: readWorkspaceVersion(),
    instanceId,
    startedAt: Date.now(),
    env,
    logger,
    metrics,
    readiness,
    ops: new OpsServer({ service: def.service, metrics, readiness, logger }),
    database: new Database(
      { url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE, statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS, applicationName: `clarion-${def.service}` },
      logger,
      metrics,
    ),
    redis: new RedisClient(env.REDIS_URL, `clarion-${def.service}`, logger),
    nats: new NatsConnectionHolder(natsOptions, logger),
    rpc: new RpcClient({ ...natsOptions }, env.RPC_TIMEOUT_MS, metrics, callers.signer),
    callers,
  };

  let rpcListening = !def.rpc;
  readiness.register({ name: 'postgres', check: () => runtime.database.check() });
  readiness.register({
    name: 'nats',
    check: async () => {
      await runtime.nats.check();
      if (!rpcListening) throw new Error('NATS request handlers not subscribed yet');
    },
  });
  readiness.register({ name: 'redis', check: () => runtime.redis.check() });

  try {
    const opsPort = await runtime.ops.listen(env.OPS_PORT, env.OPS_HOST);
    logger.info({ port: opsPort }, 'ops endpoints listening (/healthz /readyz /metrics)');
  } catch (err) {
    logger.fatal({ err, port: env.OPS_PORT }, 'cannot open the ops port');
    process.exit(1);
  }

  void runtime.database.start();
  runtime.redis.start();
  void runtime.nats.start().catch(() => undefined);

  const rootModule: ModuleMetadata = { imports: [PlatformModule.register(runtime, def.envClass), def.module] };
  class ServiceRootModule {}
  const root = { module: ServiceRootModule, ...rootModule };

  let app: INestApplication | INestMicroservice;
  if (def.http) {
    const httpApp = await NestFactory.create<NestFastifyApplication>(root, new FastifyAdapter(def.http.adapterOptions?.(env)), {
      bufferLogs: true,
    });
    httpApp.useLogger(httpApp.get(PinoNestLogger));
    await def.http.configure?.(httpApp, runtime);
    const { port, host } = def.http.port(env);
    await httpApp.listen(port, host);
    logger.info({ port, host }, 'HTTP API listening');
    app = httpApp;
  } else {
    const micro = await NestFactory.createMicroservice<NatsOptions>(
      root,
      { transport: Transport.NATS, options: { ...natsOptions, queue: queueGroupOf(def.service), serializer: new JsonTextSerializer() }, bufferLogs: true },
    );
    micro.useLogger(micro.get(PinoNestLogger));
    applyRpcConventions(micro, { service: def.service, metrics, logger, callers: callers.verifier });
    await micro.init();
    app = micro;
  }
  if (def.rpc) {
    // Resolves once NATS is reachable and the handlers are subscribed; until then /readyz names NATS.
    void (app as INestMicroservice)
      .listen()
      .then(() => {
        rpcListening = true;
        logger.info({ queue: queueGroupOf(def.service) }, 'NATS request handlers subscribed');
      })
      .catch((err: unknown) => logger.error({ err }, 'NATS transport failed'));
  }
  await def.afterStart?.(app, runtime);
  logger.info({ version: runtime.version, instanceId }, `${def.service} started`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    runtime.ops.markShuttingDown();
    const force = setTimeout(() => {
      logger.error({ graceMs: env.SHUTDOWN_GRACE_MS }, 'shutdown grace period exceeded; exiting');
      process.exit(1);
    }, env.SHUTDOWN_GRACE_MS);
    force.unref();
    const step = async (name: string, work: () => Promise<unknown>) => {
      const started = performance.now();
      await work();
      logger.debug({ step: name, durationMs: Math.round(performance.now() - started) }, 'shutdown step done');
    };
    try {
      await step('nest', () => app.close());
      await step('rpc-client', () => runtime.rpc.close().catch(() => undefined));
      await step('connections', () => Promise.allSettled([runtime.database.close(), runtime.redis.close(), runtime.nats.close()]));
      await step('traces', () => shutdownTracing());
      await step('ops', () => runtime.ops.close());
      logger.info('stopped');
      logger.flush?.();
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
