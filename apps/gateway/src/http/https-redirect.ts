import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServer } from 'node:http';
import type { Logger } from 'pino';
import type { GatewayEnv } from '../gateway.env';

/** The certificate and key of the HTTPS listener, when both are configured. */
export const tlsOf = (env: GatewayEnv): { cert: string; key: string } | undefined =>
  env.HTTPS_CERT && env.HTTPS_KEY ? { cert: env.HTTPS_CERT, key: env.HTTPS_KEY } : undefined;

const HOST = /^([A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}$|^\[[0-9A-Fa-f:.]+\]$/;

/**
 * While the API is served over HTTPS, HTTP_PORT answers every request with 308 to the same URL on https (308 keeps the
 * method and body). A Host header that is not a host name is refused rather than echoed into a Location header.
 * Closed with the app.
 */
export async function startHttpsRedirect(app: NestFastifyApplication, env: GatewayEnv, logger: Logger): Promise<void> {
  const server = createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!HOST.test(host)) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad Host header\n');
      return;
    }
    const port = env.HTTPS_PORT === 443 ? '' : `:${env.HTTPS_PORT}`;
    res.writeHead(308, { location: `https://${host}${port}${req.url ?? '/'}`, 'cache-control': 'no-store' }).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.HTTP_PORT, env.HTTP_HOST, () => resolve());
  });
  logger.info({ port: env.HTTP_PORT, httpsPort: env.HTTPS_PORT }, 'HTTP redirects to HTTPS');
  app.getHttpAdapter().getInstance().addHook('onClose', (_instance, done) => {
    server.closeAllConnections();
    server.close(() => done());
  });
}
