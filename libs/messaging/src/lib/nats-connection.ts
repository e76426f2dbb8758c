import { inboxPrefixOf, type NatsIdentity } from '@clarion/contracts';
import { connect, nkeyAuthenticator, type ConnectionOptions, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import type { Logger } from 'pino';

export interface NatsClientIdentity {
  servers: string;
  name: string;
  /** The identity the server knows this client as: its replies come on that identity's inbox prefix. */
  identity?: NatsIdentity;
  /** The identity's nkey seed (`SU...`); the server holds only the public key and checks a signed nonce. */
  nkeySeed?: string;
  /** A shared token, for NATS servers that use one instead of per-identity nkeys (development only). */
  token?: string;
  /** Refuse a server that does not speak TLS. */
  tls?: boolean;
  /** PEM of the CA that signed the server's certificate (implies `tls`); the system's roots when absent. */
  tlsCa?: string;
}

/** Options shared by every NATS connection Clarion opens (its own and the Nest transport's). */
export function natsConnectionOptions(opts: NatsClientIdentity): ConnectionOptions {
  const seed = opts.nkeySeed?.trim();
  return {
    servers: opts.servers.split(',').map((s) => s.trim()),
    ...(seed ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)) } : { token: opts.token }),
    // Any tls object makes nats.js refuse a server that does not offer TLS.
    ...(opts.tlsCa ? { tls: { ca: opts.tlsCa } } : opts.tls ? { tls: {} } : {}),
    // Replies arrive under the identity's own prefix, the one inbox subject its NATS permissions let it read.
    ...(opts.identity ? { inboxPrefix: inboxPrefixOf(opts.identity) } : {}),
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
