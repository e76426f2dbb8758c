import type { EndpointProfileSummaryDto } from '@clarion/contracts';
import type { EntityManager } from 'typeorm';


/** The new state of one endpoint after a merge. */
export interface EndpointProfileUpdate {
  endpointKey: string;
  profile: Uint8Array;
  flows: number;
  firstSeenMs: number | null;
  lastSeenMs: number | null;
  /** Latest IP address seen for the endpoint in the batch, and when (end of that flow); null when none. */
  address: string | null;
  addressSeenMs: number | null;
  mac: string | null;
  /** The profile's summary in the API's form (EndpointProfileSummaryDto), stored for readers as JSON text. */
  apiSummary: EndpointProfileSummaryDto;
}

export interface EndpointProfileBytes {
  endpointKey: string;
  /** Encoded profile (@clarion/clustering-core encodeProfile). */
  profile: Buffer;
}

const iso = (ms: number | null): string | null => (ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

/**
 * Endpoint behaviour profiles of the tenant bound to the transaction (`endpoint_profiles`). Merges take row locks in
 * key order so that instances merging overlapping batches at the same time serialise instead of losing updates.
 */
export class EndpointProfileRepository {
  constructor(private readonly manager: EntityManager) {}

  /**
   * Inserts a row holding `emptyProfile` for each key not stored yet, so the lock that follows covers every key.
   * Keys are inserted in sorted order (lock order) to keep concurrent inserters from deadlocking.
   */
  async insertMissing(tenantId: string, endpointKeys: readonly string[], emptyProfile: Uint8Array): Promise<void> {
    if (endpointKeys.length === 0) return;
    await this.manager.query(
      `INSERT INTO endpoint_profiles (tenant_id, endpoint_key, profile)
       SELECT $1, k, $3 FROM unnest($2::text[]) AS k ORDER BY k
       ON CONFLICT (tenant_id, endpoint_key) DO NOTHING`,
      [tenantId, [...endpointKeys].sort(), Buffer.from(emptyProfile)],
    );
  }

  /** The stored profiles of `endpointKeys`, locked FOR UPDATE in key order until the transaction ends. */
  async lockByKeys(endpointKeys: readonly string[]): Promise<EndpointProfileBytes[]> {
    if (endpointKeys.length === 0) return [];
    return this.manager.query(
      `SELECT endpoint_key AS "endpointKey", profile
       FROM endpoint_profiles WHERE endpoint_key = ANY($1::text[]) ORDER BY endpoint_key FOR UPDATE`,
      [endpointKeys],
    );
  }

  /**
   * Writes merged profiles in one statement. The address is replaced only by one seen at least as late as the stored
   * last sighting, so a late (older) batch does not overwrite a newer address.
   */
  async updateMerged(updates: readonly EndpointProfileUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    await this.manager.query(
      `UPDATE endpoint_profiles AS p SET
         profile = u.profile,
         flows = u.flows,
         first_seen_at = u.first_seen,
         last_seen_at = u.last_seen,
         address = CASE
           WHEN u.address IS NULL THEN p.address
           WHEN p.address IS NULL OR p.last_seen_at IS NULL OR u.address_seen >= p.last_seen_at THEN u.address
           ELSE p.address END,
         mac = COALESCE(u.mac, p.mac),
         api_summary = u.api_summary,
         summary = NULL,
         updated_at = now()
       FROM unnest($1::text[], $2::bytea[], $3::bigint[], $4::timestamptz[], $5::timestamptz[], $6::inet[], $7::timestamptz[], $8::macaddr[], $9::json[])
            AS u(endpoint_key, profile, flows, first_seen, last_seen, address, address_seen, mac, api_summary)
       WHERE p.endpoint_key = u.endpoint_key`,
      [
        updates.map((u) => u.endpointKey),
        updates.map((u) => Buffer.from(u.profile)),
        updates.map((u) => u.flows),
        updates.map((u) => iso(u.firstSeenMs)),
        updates.map((u) => iso(u.lastSeenMs)),
        updates.map((u) => u.address),
        updates.map((u) => iso(u.addressSeenMs)),
        updates.map((u) => u.mac),
        updates.map((u) => JSON.stringify(u.apiSummary)),
      ],
    );
  }

  /** The stored profiles of `endpointKeys` (no lock). */
  findByKeys(endpointKeys: readonly string[]): Promise<EndpointProfileBytes[]> {
    if (endpointKeys.length === 0) return Promise.resolve([]);
    return this.manager.query(`SELECT endpoint_key AS "endpointKey", profile FROM endpoint_profiles WHERE endpoint_key = ANY($1::text[])`, [endpointKeys]);
  }
}
