import type { ActorDto, Permission } from '@clarion/contracts';

/** What the live stream pushes, and the permission a client needs to receive each kind. */
export const STREAM_MESSAGE_PERMISSIONS = {
  'clusters.updated': 'clusters:read',
  'job.progress': 'clusters:read',
  'ingest.rates': 'exporters:read',
} as const satisfies Record<string, Permission>;

export type StreamMessageType = keyof typeof STREAM_MESSAGE_PERMISSIONS;

/** One frame on the wire: `{ type, at, data }` as JSON text. */
export interface StreamFrame {
  type: StreamMessageType | 'hello';
  at: string;
  data: unknown;
}

/** The part of a WebSocket the hub needs (ws's WebSocket satisfies it). */
export interface StreamSocket {
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface StreamClient {
  readonly socket: StreamSocket;
  readonly actor: ActorDto;
}

export interface StreamHubOptions {
  /** A client whose unsent data exceeds this is too slow: frames for it are dropped (and counted). */
  maxBufferedBytes: number;
  onDropped?: (type: StreamMessageType) => void;
  onSent?: (type: StreamMessageType) => void;
}

/**
 * Rooms of live-stream clients, one per tenant: a frame for a tenant goes only to that tenant's clients holding the
 * frame kind's permission. A slow client loses frames rather than growing the gateway's memory; clients treat
 * frames as hints to refresh (every frame names what changed), so a lost one costs a delayed refresh, not wrong data.
 */
export class StreamHub {
  private readonly rooms = new Map<string, Set<StreamClient>>();

  constructor(private readonly options: StreamHubOptions) {}

  join(client: StreamClient): void {
    let room = this.rooms.get(client.actor.tenantId);
    if (!room) {
      room = new Set();
      this.rooms.set(client.actor.tenantId, room);
    }
    room.add(client);
  }

  leave(client: StreamClient): void {
    const room = this.rooms.get(client.actor.tenantId);
    if (!room) return;
    room.delete(client);
    if (room.size === 0) this.rooms.delete(client.actor.tenantId);
  }

  get size(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.size;
    return n;
  }

  clientsOf(tenantId: string): number {
    return this.rooms.get(tenantId)?.size ?? 0;
  }

  /** Sends a frame to the tenant's room; returns how many clients got it. */
  publish(tenantId: string, type: StreamMessageType, data: unknown, at: Date = new Date()): number {
    const room = this.rooms.get(tenantId);
    if (!room) return 0;
    const permission = STREAM_MESSAGE_PERMISSIONS[type];
    const text = JSON.stringify({ type, at: at.toISOString(), data } satisfies StreamFrame);
    let sent = 0;
    for (const client of room) {
      if (!client.actor.permissions.includes(permission)) continue;
      if (client.socket.bufferedAmount > this.options.maxBufferedBytes) {
        this.options.onDropped?.(type);
        continue;
      }
      try {
        client.socket.send(text);
        sent++;
        this.options.onSent?.(type);
      } catch {
        // A socket closing under us: its close handler removes it.
        this.options.onDropped?.(type);
      }
    }
    return sent;
  }

  /** Every client, e.g. to close them all at shutdown. */
  *clients(): Iterable<StreamClient> {
    for (const room of this.rooms.values()) yield* room;
  }
}
