import type { EntityManager } from 'typeorm';
import { returnedRows } from '@clarion/persistence';

/** A MAC recorded as a router interface, never a host's identity. */
export interface RouterInterfaceSighting {
  mac: string;
  /** 'external': seen in front of external addresses; 'addresses': seen with too many internal addresses. */
  reason: string;
  internalAddresses: number;
  lastSeenMs: number | null;
}

export interface RouterInterfaceRow {
  mac: string;
  reason: string;
  internalAddresses: number;
  firstSeenAt: Date;
  lastSeenAt: Date | null;
}

const iso = (ms: number | null): string | null => (ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

/** The router interfaces of the tenant bound to the transaction (`router_interfaces`). */
export class RouterInterfaceRepository {
  constructor(private readonly manager: EntityManager) {}

  async allMacs(): Promise<string[]> {
    const rows: Array<{ mac: string }> = await this.manager.query(`SELECT mac::text AS mac FROM router_interfaces`);
    return rows.map((r) => r.mac);
  }

  all(): Promise<RouterInterfaceRow[]> {
    return this.manager.query(
      `SELECT mac::text AS mac, reason, internal_addresses AS "internalAddresses", first_seen_at AS "firstSeenAt", last_seen_at AS "lastSeenAt"
       FROM router_interfaces ORDER BY mac`,
    );
  }

  /** Records each MAC (in MAC order, so concurrent writers lock alike), keeping the first reason and the largest count. */
  async record(tenantId: string, sightings: readonly RouterInterfaceSighting[]): Promise<void> {
    if (sightings.length === 0) return;
    const sorted = [...sightings].sort((a, b) => (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
    await this.manager.query(
      `INSERT INTO router_interfaces (tenant_id, mac, reason, internal_addresses, last_seen_at)
       SELECT $1, u.mac, u.reason, u.internal_addresses, u.last_seen
       FROM unnest($2::macaddr[], $3::text[], $4::integer[], $5::timestamptz[]) AS u(mac, reason, internal_addresses, last_seen)
       ON CONFLICT (tenant_id, mac) DO UPDATE SET
         internal_addresses = GREATEST(router_interfaces.internal_addresses, EXCLUDED.internal_addresses),
         last_seen_at = GREATEST(router_interfaces.last_seen_at, EXCLUDED.last_seen_at)`,
      [tenantId, sorted.map((s) => s.mac), sorted.map((s) => s.reason), sorted.map((s) => s.internalAddresses), sorted.map((s) => iso(s.lastSeenMs))],
    );
  }

  /**
   * Removes the endpoints keyed by router MACs (`mac:<mac>`, stored before the MAC was known as one): their profile,
   * membership and edges. Returns the number of profiles removed.
   */
  async removeMacEndpoints(macs: readonly string[]): Promise<number> {
    if (macs.length === 0) return 0;
    const keys = macs.map((mac) => `mac:${mac}`);
    await this.manager.query(`DELETE FROM endpoint_edges WHERE client_key = ANY($1::text[]) OR server_key = ANY($1::text[])`, [keys]);
    await this.manager.query(`DELETE FROM endpoint_memberships WHERE endpoint_key = ANY($1::text[])`, [keys]);
    const removed = returnedRows<{ k: string }>(
      await this.manager.query(`DELETE FROM endpoint_profiles WHERE endpoint_key = ANY($1::text[]) RETURNING endpoint_key AS k`, [keys]),
    );
    return removed.length;
  }
}
