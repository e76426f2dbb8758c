import type { EntityManager } from 'typeorm';

/** Traffic of one batch between two endpoints for one (protocol, server port, flow tags), client to server. */
export interface EndpointEdgeDelta {
  clientKey: string;
  serverKey: string;
  protocol: number;
  /** Server-side port (0 for protocols without ports). */
  port: number;
  /** TrustSec tags the flows carried for the client / server side; -1 when none. */
  clientTag: number;
  serverTag: number;
  flows: number;
  bytes: number;
  packets: number;
  firstSeenMs: number | null;
  lastSeenMs: number | null;
}

export interface EndpointEdgeRow extends Omit<EndpointEdgeDelta, 'flows' | 'bytes' | 'packets' | 'firstSeenMs' | 'lastSeenMs'> {
  flows: string;
  bytes: string;
  packets: string;
  firstSeenAt: Date | null;
  lastSeenAt: Date | null;
}

const iso = (ms: number | null): string | null => (ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

/** Endpoint-to-endpoint traffic of the tenant bound to the transaction (`endpoint_edges`). */
export class EndpointEdgeRepository {
  constructor(private readonly manager: EntityManager) {}

  /**
   * Adds each delta's counters to its edge (creating it) and widens its first/last seen, in one statement. Deltas
   * must be unique per edge key; they are written in key order so concurrent writers lock edges in the same order.
   */
  async addTraffic(tenantId: string, deltas: readonly EndpointEdgeDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    const sorted = [...deltas].sort(
      (a, b) =>
        compare(a.clientKey, b.clientKey) ||
        compare(a.serverKey, b.serverKey) ||
        a.protocol - b.protocol ||
        a.port - b.port ||
        a.clientTag - b.clientTag ||
        a.serverTag - b.serverTag,
    );
    await this.manager.query(
      `INSERT INTO endpoint_edges AS e (tenant_id, client_key, server_key, protocol, port, client_tag, server_tag, flows, bytes, packets,
                                        first_seen_at, last_seen_at)
       SELECT $1, d.client_key, d.server_key, d.protocol, d.port, d.client_tag, d.server_tag, d.flows, d.bytes, d.packets, d.first_seen, d.last_seen
       FROM unnest($2::text[], $3::text[], $4::smallint[], $5::integer[], $6::integer[], $7::integer[], $8::bigint[], $9::bigint[], $10::bigint[],
                   $11::timestamptz[], $12::timestamptz[]) WITH ORDINALITY
            AS d(client_key, server_key, protocol, port, client_tag, server_tag, flows, bytes, packets, first_seen, last_seen, n)
       ORDER BY d.n
       ON CONFLICT (tenant_id, client_key, server_key, protocol, port, client_tag, server_tag) DO UPDATE SET
         flows = e.flows + EXCLUDED.flows,
         bytes = e.bytes + EXCLUDED.bytes,
         packets = e.packets + EXCLUDED.packets,
         first_seen_at = LEAST(e.first_seen_at, EXCLUDED.first_seen_at),
         last_seen_at = GREATEST(e.last_seen_at, EXCLUDED.last_seen_at)`,
      [
        tenantId,
        sorted.map((d) => d.clientKey),
        sorted.map((d) => d.serverKey),
        sorted.map((d) => d.protocol),
        sorted.map((d) => d.port),
        sorted.map((d) => d.clientTag),
        sorted.map((d) => d.serverTag),
        sorted.map((d) => d.flows),
        sorted.map((d) => d.bytes),
        sorted.map((d) => d.packets),
        sorted.map((d) => iso(d.firstSeenMs)),
        sorted.map((d) => iso(d.lastSeenMs)),
      ],
    );
  }

  /** Every edge touching `endpointKey` (as client or server), in key order. */
  findByEndpoint(endpointKey: string): Promise<EndpointEdgeRow[]> {
    return this.manager.query(
      `SELECT client_key AS "clientKey", server_key AS "serverKey", protocol, port, client_tag AS "clientTag", server_tag AS "serverTag",
              flows, bytes, packets, first_seen_at AS "firstSeenAt", last_seen_at AS "lastSeenAt"
       FROM endpoint_edges WHERE client_key = $1 OR server_key = $1
       ORDER BY client_key, server_key, protocol, port, client_tag, server_tag`,
      [endpointKey],
    );
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
