import { connect, type ConnectionOptions, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import type { Logger } from 'pino';

/** Options shared by every NATS connection Clarion opens (its own and the Nest transport's). */
export function natsConnectionOptions(opts: { servers: string; token?: string; name: string }): ConnectionOptions {
  return {
    servers: opts.servers.split(',').map((s) => s.trim()),
    token: opts.token,
    name: opts.name,
    // Start even when NATS is down: the service reports not-ready and connects as soon as NATS is back.
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    pingInterval: 10_000,
  };
}

/**
 * The service's own NATS connection (JetStream publishing and consuming, health). Connects in the background so
 * a missing NATS never blocks start-up; `whenConnected()` waits for it.
 */
export class NatsConnectionHolder {
  private nc?: NatsConnection;
  private connecting?: Promise<NatsConnection>;
  private closed = false;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly logger: Logger,
  ) {}

  start(): Promise<NatsConnection> {
    if (!this.connecting) {
      this.connecting = connect(this.options).then((nc) => {
        this.nc = nc;
        this.logger.info({ server: nc.getServer() }, 'connected to NATS');
        void (async () => {
          for await (const s of nc.status()) {
            if (s.type === 'disconnect' || s.type === 'reconnect') this.logger.warn({ event: s.type, data: s.data }, 'NATS connection status');
          }
        })().catch(() => undefined);
        if (this.closed) void nc.close();
        return nc;
      });
      this.connecting.catch((err: unknown) => this.logger.error({ err }, 'NATS connection failed'));
    }
    return this.connecting;
  }

  whenConnected(): Promise<NatsConnection> {
    return this.start();
  }

  get connection(): NatsConnection | undefined {
    return this.nc;
  }

  async jetstream(): Promise<JetStreamClient> {
    return (await this.whenConnected()).jetstream();
  }

  async jetstreamManager(): Promise<JetStreamManager> {
    return (await this.whenConnected()).jetstreamManager();
  }

  /** Readiness: a round trip to the server. */
  async check(): Promise<void> {
    const nc = this.nc;
    if (!nc || nc.isClosed()) throw new Error('not connected to NATS');
    await nc.flush();
  }

  async close(): Promise<void> {
    this.closed = true;
    const nc = this.nc;
    if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
  }
}
