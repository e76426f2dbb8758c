import './instrument';
import { runService } from '@clarion/platform';
import { randomUUID } from 'node:crypto';
import { configureHttp } from './http/configure-http';
import { startHttpsRedirect, tlsOf } from './http/https-redirect';
import { GatewayEnv } from './gateway.env';
import { GatewayModule } from './gateway.module';

void runService({
  service: 'gateway',
  envClass: GatewayEnv,
  module: GatewayModule,
  http: {
    // With a certificate the API listens on HTTPS_PORT and HTTP_PORT only redirects; without one, plain HTTP_PORT.
    port: (env) => ({ port: tlsOf(env) ? env.HTTPS_PORT : env.HTTP_PORT, host: env.HTTP_HOST }),
    adapterOptions: (env) => ({
      ...(tlsOf(env) ? { https: tlsOf(env) } : {}),
      bodyLimit: env.HTTP_BODY_LIMIT_BYTES,
      trustProxy: env.HTTP_TRUST_PROXY,
      requestTimeout: env.HTTP_REQUEST_TIMEOUT_MS,
      // Correlation ids: keep a caller's X-Correlation-Id when it is sane, otherwise make one.
      genReqId: (req) => {
        const given = req.headers['x-correlation-id'];
        return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
      },
    }),
    configure: async (app, runtime) => {
      await configureHttp(app, runtime);
      if (tlsOf(runtime.env)) await startHttpsRedirect(app, runtime.env, runtime.logger);
    },
  },
});
