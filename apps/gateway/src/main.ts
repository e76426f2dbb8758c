import './instrument';
import { runService } from '@clarion/platform';
import { randomUUID } from 'node:crypto';
import { configureHttp } from './http/configure-http';
import { GatewayEnv } from './gateway.env';
import { GatewayModule } from './gateway.module';

void runService({
  service: 'gateway',
  envClass: GatewayEnv,
  module: GatewayModule,
  http: {
    port: (env) => ({ port: env.HTTP_PORT, host: env.HTTP_HOST }),
    adapterOptions: (env) => ({
      bodyLimit: env.HTTP_BODY_LIMIT_BYTES,
      trustProxy: env.HTTP_TRUST_PROXY,
      requestTimeout: env.HTTP_REQUEST_TIMEOUT_MS,
      // Correlation ids: keep a caller's X-Correlation-Id when it is sane, otherwise make one.
      genReqId: (req) => {
        const given = req.headers['x-correlation-id'];
        return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
      },
    }),
    configure: configureHttp,
  },
});
