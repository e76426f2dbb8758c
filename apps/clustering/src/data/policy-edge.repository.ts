import type { EntityManager } from 'typeorm';

/** Traffic of one (client SGT, server SGT, protocol, server port) service, summed over the edges. */
export interface PolicyServiceRow {
  srcSgt: number;
  dstSgt: number;
  protocol: number;
  port: number;
  /** bigint sums as text. */
  flows: string;
  bytes: string;
  distinctSources: string;
  distinctDestinations: string;
  firstSeenAt: Date | null;
  lastSeenAt: Date | null;
}

/**
 * The observed policy matrix of the tenant bound to the transaction, aggregated in PostgreSQL from `endpoint_edges`
 * (already oriented client -> server). The SGT of each side follows @clarion/clustering-core resolveSgt: the tag the
 * exporter sent when there was one (0 is Unknown, not a tag, and -1 means none), else the endpoint's effective SGT
 * (its manual override, else the SGT bound to its cluster), else 0.
 */
export class PolicyEdgeRepository {
  constructor(private readonly manager: EntityManager) {}

  /** Services with at least `minFlows` flows, heaviest first within each (srcSgt, dstSgt) cell. */
  aggregateServices(minFlows: number): Promise<PolicyServiceRow[]> {
    return this.manager.query(
      `WITH effective AS (
         SELECT m.endpoint_key, COALESCE(m.override_sgt, s.value) AS sgt
         FROM endpoint_memberships m
         LEFT JOIN sgts s ON s.tenant_id = m.tenant_id AND s.cluster_id = m.cluster_id
         WHERE m.override_sgt IS NOT NULL OR s.value IS NOT NULL
       )
       SELECT CASE WHEN e.client_tag > 0 THEN e.client_tag ELSE COALESCE(ce.sgt, 0) END AS "srcSgt",
              CASE WHEN e.server_tag > 0 THEN e.server_tag ELSE COALESCE(se.sgt, 0) END AS "dstSgt",
              e.protocol::int AS protocol, e.port,
              sum(e.flows)::text AS flows, sum(e.bytes)::text AS bytes,
              count(DISTINCT e.client_key)::text AS "distinctSources", count(DISTINCT e.server_key)::text AS "distinctDestinations",
              min(e.first_seen_at) AS "firstSeenAt", max(e.last_seen_at) AS "lastSeenAt"
       FROM endpoint_edges e
       LEFT JOIN effective ce ON ce.endpoint_key = e.client_key
       LEFT JOIN effective se ON se.endpoint_key = e.server_key
       GROUP BY 1, 2, 3, 4
       HAVING sum(e.flows) >= $1
       ORDER BY 1, 2, sum(e.flows) DESC, sum(e.bytes) DESC, 3, 4`,
      [minFlows],
    );
  }
}
