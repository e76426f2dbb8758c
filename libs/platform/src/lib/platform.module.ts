import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { EnvClass } from '@clarion/config';
import { NatsConnectionHolder, RpcClient } from '@clarion/messaging';
import { ServiceMetrics } from '@clarion/observability';
import { Database, RedisClient } from '@clarion/persistence';
import { LoggerModule } from 'nestjs-pino';
import { ROOT_LOGGER, SERVICE_RUNTIME, type ServiceRuntime } from './runtime';
import { ServiceStatusService } from './service-status.service';

/**
 * Makes the process runtime injectable everywhere: the validated env (under its own class, so a service injects
 * `GatewayEnv` and gets typed config), the database, Redis, NATS, the RPC client, metrics and the logger.
 */
@Global()
@Module({})
export class PlatformModule {
  static register(runtime: ServiceRuntime, envClass: EnvClass): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger: runtime.logger,
            // The gateway logs each request itself with its route and outcome; pino-http's line would repeat it.
            autoLogging: false,
            quietReqLogger: true,
          },
          // No per-request pino-http middleware at all: it built a child logger (with redaction) for every request, a
          // tenth of a cached read's CPU, for nothing: log lines get the correlation and trace ids from RequestContext
          // (the logger's mixin), and Nest's own logger falls back to the root logger.
          forRoutes: [],
        }),
      ],
      providers: [
        { provide: SERVICE_RUNTIME, useValue: runtime },
        { provide: ROOT_LOGGER, useValue: runtime.logger },
        { provide: envClass, useValue: runtime.env },
        { provide: Database, useValue: runtime.database },
        { provide: RedisClient, useValue: runtime.redis },
        { provide: NatsConnectionHolder, useValue: runtime.nats },
        { provide: RpcClient, useValue: runtime.rpc },
        { provide: ServiceMetrics, useValue: runtime.metrics },
        ServiceStatusService,
      ],
      exports: [SERVICE_RUNTIME, ROOT_LOGGER, envClass, Database, RedisClient, NatsConnectionHolder, RpcClient, ServiceMetrics, ServiceStatusService],
    };
  }
}
