import Redis from 'ioredis';
import type { Logger } from 'pino';

/**
 * The service's Redis client. Commands fail fast while Redis is down (no offline queue) instead of piling up;
 * reconnection continues in the background.
 */
export class RedisClient {
  readonly client: Redis;

  constructor(url: string, name: string, logger: Logger) {
    this.client = new Redis(url, {
      connectionName: name,
      // No CLIENT SETINFO: the ACL users are not granted it (it would be refused, and logged in ACL LOG, on every
      // connection) and Redis 7.0 does not know it; the connection name says who the client is.
      disableClientInfo: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      lazyConnect: true,
      // Commands issued in the same tick share one write: under concurrent requests (rate limits, caches) this turns
      // many small socket writes into a few.
      enableAutoPipelining: true,
      retryStrategy: (times) => Math.min(2000, 100 * times),
    });
    let lastError = '';
    this.client.on('error', (err: Error) => {
      // Log each distinct failure once, not every reconnect attempt.
      if (err.message !== lastError) logger.warn({ err: err.message }, 'Redis error');
      lastError = err.message;
    });
    this.client.on('ready', () => {
      lastError = '';
      logger.info('connected to Redis');
    });
  }

  start(): void {
    this.client.connect().catch(() => undefined);
  }

  async check(): Promise<void> {
    const answer = await this.client.ping();
    if (answer !== 'PONG') throw new Error(`unexpected PING answer ${answer}`);
  }

  async close(): Promise<void> {
    // QUIT only makes sense on a live connection; while reconnecting it would wait for a connection that may never come.
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return;
    }
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
