import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DomainException, EventSubjects, type ActorDto } from '@clarion/contracts';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@clarion/platform';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Counter, Gauge } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import { CredentialVerifierService } from '../auth/credential-verifier.service';
import { RevokedSessions } from '../auth/revoked-sessions.service';
import { GatewayEvents } from '../events/gateway-events.service';
import type { GatewayEnv } from '../gateway.env';
import { clientAddressOf } from '../http/trust-proxy';
import { principalSubject, RateLimitService, type RateLimitBucket } from '../rate-limit/rate-limit.service';
import { StreamHub, type StreamClient, type StreamMessageType } from './stream-hub';

export const STREAM_PATH = '/api/v1/stream';
/** Subprotocol a browser offers, with `bearer.<access token>` next to it (browsers cannot set headers on a WebSocket). */
export const STREAM_PROTOCOL = 'clarion.v1';
const BEARER_PROTOCOL = /^bearer\.([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

/** Close codes in the private range: the client should sign in again / may reconnect later. */
export const CLOSE_CREDENTIAL_EXPIRED = 4401;
export const CLOSE_SHUTTING_DOWN = 1001;

/** `exp` (seconds) of a JWT already verified by the credential verifier. */
function jwtExpiryMs(token: string): number | null {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}

function rejectUpgrade(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ type: 'about:blank', title: reason, status });
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`,
  );
}

interface Credential {
  headers: Record<string, string | undefined>;
  /** Set when the credential is an access token (JWT). */
  token?: string;
}

/**
 * `GET /api/v1/stream` upgraded to a WebSocket: authenticated at connect (Bearer token or X-API-Key header, or the
 * `clarion.v1, bearer.<token>` subprotocols for browsers; never a token in the URL, which would end up in logs), one
 * room per tenant, pushing cluster updates, clustering job progress and ingest rates to the clients whose permissions
 * allow each kind. Upgrades count in the same rate-limit buckets as requests: the client address's before anything
 * else, the principal's once the credential is verified (429 with Retry-After). A browser's Origin must be in the CORS
 * allow-list. The credential is checked again every minute
 * (a revoked API key or a disabled user is disconnected), a connection whose session ends closes at once, and an
 * access token's connection closes when the token expires (4401: reconnect with a fresh token).
 */
@Injectable()
export class LiveStreamService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 4096,
    handleProtocols: (protocols) => (protocols.has(STREAM_PROTOCOL) ? STREAM_PROTOCOL : false),
  });
  private readonly hub: StreamHub;
  private readonly connections: Gauge;
  private readonly frames: Counter;
  private readonly refused: Counter;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly clientAddress: (request: IncomingMessage) => string;
  private started = false;

  constructor(
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime<GatewayEnv>,
    private readonly adapterHost: HttpAdapterHost,
    private readonly credentials: CredentialVerifierService,
    private readonly events: GatewayEvents,
    private readonly revoked: RevokedSessions,
    private readonly rateLimits: RateLimitService,
  ) {
    this.clientAddress = clientAddressOf(runtime.env.HTTP_TRUST_PROXY);
    const registry = runtime.metrics.registry;
    this.connections = new Gauge({ name: 'clarion_gateway_stream_connections', help: 'Open live-stream WebSocket connections.', registers: [registry] });
    this.frames = new Counter({
      name: 'clarion_gateway_stream_frames_total',
      help: 'Live-stream frames by kind and outcome (sent, or dropped for a slow client).',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    });
    this.refused = new Counter({
      name: 'clarion_gateway_stream_refused_total',
      help: 'Live-stream connections refused, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.hub = new StreamHub({
      maxBufferedBytes: runtime.env.STREAM_MAX_BUFFERED_BYTES,
      onSent: (type) => this.frames.inc({ type, outcome: 'sent' }),
      onDropped: (type) => this.frames.inc({ type, outcome: 'dropped' }),
    });
  }

  onApplicationBootstrap(): void {
    if (this.started) return;
    this.started = true;
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.upgrade(request, socket, head);
    });
    const forward =
      (type: StreamMessageType) =>
      (event: { tenantId: string }): void => {
        this.hub.publish(event.tenantId, type, event);
      };
    this.events.on(EventSubjects.clustersUpdated, forward('clusters.updated'));
    this.events.on(EventSubjects.clusteringJobProgress, forward('job.progress'));
    this.events.on(EventSubjects.ingestRates, forward('ingest.rates'));
    // A session that ends (logout, revocation, a disabled user) loses its live stream at once.
    this.revoked.onRevoked((sessionIds) => {
      const ended = new Set(sessionIds);
      for (const client of this.hub.clients()) {
        if (client.actor.sessionId !== undefined && ended.has(client.actor.sessionId)) client.socket.close(CLOSE_CREDENTIAL_EXPIRED, 'session ended');
      }
    });
    const ping = setInterval(() => this.pingAll(), this.runtime.env.STREAM_PING_INTERVAL_S * 1000);
    ping.unref();
    this.timers.add(ping);
  }

  beforeApplicationShutdown(): void {
    for (const t of this.timers) clearInterval(t);
    for (const client of this.hub.clients()) client.socket.close(CLOSE_SHUTTING_DOWN, 'server shutting down');
    this.wss.close();
  }

  /** Open connections (for tests and the status page). */
  get openConnections(): number {
    return this.hub.size;
  }

  private credentialOf(request: IncomingMessage): Credential | null {
    const authorization = typeof request.headers.authorization === 'string' ? request.headers.authorization : undefined;
    const apiKey = typeof request.headers['x-api-key'] === 'string' ? request.headers['x-api-key'] : undefined;
    if (authorization || apiKey) {
      const token = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
      return { headers: { authorization, 'x-api-key': apiKey }, token: token && !token.startsWith('clr_') ? token : undefined };
    }
    const offered = String(request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    if (!offered.includes(STREAM_PROTOCOL)) return null;
    for (const protocol of offered) {
      const token = protocol.match(BEARER_PROTOCOL)?.[1];
      if (token) return { headers: { authorization: `Bearer ${token}` }, token };
    }
    return null;
  }

  private originAllowed(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (origin === undefined) return true; // not a browser
    const allowed = this.runtime.env.CORS_ORIGINS;
    return allowed.includes('*') || allowed.includes(origin);
  }

  /** Counts the upgrade in a bucket; true when it is refused (answered 429 with Retry-After and counted). */
  private async rateLimited(socket: Duplex, bucket: RateLimitBucket, subject: string): Promise<boolean> {
    const decision = await this.rateLimits.hit(bucket, subject);
    if (!decision || decision.allowed) return false;
    this.refused.inc({ reason: 'rate_limited' });
    rejectUpgrade(socket, 429, 'Too Many Requests', { 'Retry-After': String(decision.retryAfterSeconds) });
    return true;
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const address = this.clientAddress(request);
    // Before anything else, as for a request: a flood of upgrades must not buy credential checks.
    if (await this.rateLimited(socket, 'ip', address)) return;
    const path = (request.url ?? '').split('?')[0];
    if (path !== STREAM_PATH) {
      this.refused.inc({ reason: 'not_found' });
      return rejectUpgrade(socket, 404, 'Not Found');
    }
    if (!this.originAllowed(request)) {
      this.refused.inc({ reason: 'origin' });
      return rejectUpgrade(socket, 403, 'Forbidden');
    }
    const credential = this.credentialOf(request);
    if (!credential) {
      this.refused.inc({ reason: 'unauthenticated' });
      return rejectUpgrade(socket, 401, 'Unauthorized');
    }
    let actor: ActorDto;
    try {
      actor = await this.credentials.verify(credential.headers, { sourceIp: address, userAgent: request.headers['user-agent'] });
    } catch (err) {
      this.refused.inc({ reason: err instanceof DomainException ? 'unauthenticated' : 'error' });
      return rejectUpgrade(socket, err instanceof DomainException ? 401 : 503, err instanceof DomainException ? 'Unauthorized' : 'Service Unavailable');
    }
    if (await this.rateLimited(socket, 'principal', principalSubject(actor))) return;
    if (this.hub.clientsOf(actor.tenantId) >= this.runtime.env.STREAM_MAX_CONNECTIONS_PER_TENANT) {
      this.refused.inc({ reason: 'tenant_limit' });
      return rejectUpgrade(socket, 429, 'Too Many Requests');
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, actor, credential));
  }

  private accept(ws: WebSocket, actor: ActorDto, credential: Credential): void {
    const client: StreamClient & { alive: boolean } = { socket: ws, actor, alive: true };
    this.hub.join(client);
    this.connections.set(this.hub.size);
    const timers: NodeJS.Timeout[] = [];
    const expiry = credential.token ? jwtExpiryMs(credential.token) : null;
    if (expiry !== null) {
      const t = setTimeout(() => ws.close(CLOSE_CREDENTIAL_EXPIRED, 'access token expired'), Math.max(0, expiry - Date.now()));
      t.unref();
      timers.push(t);
    }
    const recheck = setInterval(() => {
      this.credentials.verify(credential.headers, {}).catch((err: unknown) => {
        if (err instanceof DomainException) ws.close(CLOSE_CREDENTIAL_EXPIRED, 'credential no longer valid');
      });
    }, this.runtime.env.STREAM_RECHECK_INTERVAL_S * 1000);
    recheck.unref();
    timers.push(recheck);
    ws.on('pong', () => (client.alive = true));
    // The stream is one-way; anything a client sends is ignored (maxPayload bounds it).
    ws.on('message', () => undefined);
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      for (const t of timers) clearTimeout(t);
      this.hub.leave(client);
      this.connections.set(this.hub.size);
    });
    (ws as WebSocket & { clarion?: typeof client }).clarion = client;
    ws.send(
      JSON.stringify({
        type: 'hello',
        at: new Date().toISOString(),
        data: { tenantId: actor.tenantId, kinds: ['clusters.updated', 'job.progress', 'ingest.rates'], credentialExpiresAt: expiry ? new Date(expiry).toISOString() : null },
      }),
    );
  }

  /** Pings every client; one that did not answer the previous ping is gone (half-open TCP) and is terminated. */
  private pingAll(): void {
    for (const ws of this.wss.clients) {
      const client = (ws as WebSocket & { clarion?: StreamClient & { alive: boolean } }).clarion;
      if (!client) continue;
      if (!client.alive) {
        ws.terminate();
        continue;
      }
      client.alive = false;
      ws.ping();
    }
  }
}
