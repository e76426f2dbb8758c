import type { EndpointProfileSummaryDto } from '@clarion/contracts';
import type { EntityManager } from 'typeorm';

/** Sort orders of the endpoint list; each is made total by the endpoint key as the tie-breaker. */
export type EndpointSortColumn = 'id' | 'lastSeen' | 'flows' | 'confidence';

/**
 * The sort expressions. Each is NOT NULL (so a keyset comparison never meets a NULL) and its value travels in a cursor
 * as exact text: last-seen as epoch microseconds (a JS Date would drop the microseconds and skip or repeat rows),
 * confidence as `real` text (PostgreSQL 12+ prints the shortest text that reads back to the same value).
 */
const ENDPOINT_SORTS: Record<EndpointSortColumn, { expression: string; type: string }> = {
  id: { expression: 'p.endpoint_key', type: 'text' },
  lastSeen: { expression: `COALESCE((extract(epoch FROM p.last_seen_at) * 1000000)::bigint, -1)`, type: 'bigint' },
  flows: { expression: 'p.flows', type: 'bigint' },
  confidence: { expression: 'COALESCE(m.confidence, 0::real)', type: 'real' },
};

export interface EndpointListFilter {
  clusterId?: string;
  /** Effective SGT: the override, else the SGT bound to the endpoint's cluster. */
  sgt?: number;
  band?: string;
  unassigned?: boolean;
  overridden?: boolean;
  /** A LIKE pattern (metacharacters already escaped with `\`, lower case, ending in `%`). */
  searchPattern?: string;
  /** Exactly these endpoint keys. */
  keys?: readonly string[];
}

export interface EndpointPageRequest {
  filter: EndpointListFilter;
  sort: EndpointSortColumn;
  descending: boolean;
  /** Sort value and key of the last row of the previous page. */
  after?: { value: string; key: string };
  limit: number;
}

/**
 * A summary as older flow consumers stored it (`summary`): @clarion/clustering-core's EndpointProfileSummary, services
 * as the core's encoded keys. Rows merged since hold the API's EndpointProfileSummaryDto (`api_summary`), which the
 * page statement embeds as it is.
 */
export type LegacyProfileSummary = Omit<EndpointProfileSummaryDto, 'topServices'> & { topServices: Array<{ key: number; flows: number }> };

/** One endpoint of a page: the API's EndpointDto as JSON text, written by PostgreSQL. */
export interface EndpointPageRow {
  id: string;
  /** EndpointDto as JSON text; its `summary` is null when `needsSummary` (the reader computes it). */
  item: string;
  /** No summary in the API's form is stored: the row predates it (legacy summary) or has none (decode the profile). */
  needsSummary: boolean;
  /** Only when `needsSummary`: the legacy summary, if any. */
  legacySummary: LegacyProfileSummary | null;
  /** Only when `needsSummary` and there is no legacy summary: the encoded profile. */
  profile: Buffer | null;
  /** Flows (bigint as text), for a summary that cannot be computed. */
  flows: string;
  /** The row's sort value as text, for the next cursor. */
  sortValue: string;
}

/**
 * A JSON object as SQL text, written compactly as JSON.stringify writes it (json_build_object puts spaces around every
 * colon and comma, 10 % of a page). Keys are this file's constants; values go through to_json, which escapes them,
 * except members marked 'json', whose SQL is JSON text already (a nested object, a json column). SQL NULL is null.
 */
function jsonObject(members: ReadonlyArray<readonly [key: string, sql: string, form?: 'json']>): string {
  const parts = members.map(([key, sql, form], i) => {
    const value = form === 'json' ? `(${sql})::text` : `to_json(${sql})::text`;
    return `'${i === 0 ? '{' : ','}${JSON.stringify(key)}:' || COALESCE(${value}, 'null')`;
  });
  return `(${parts.join(' || ')} || '}')`;
}

/** A nested member: the object when `condition` holds, else null. */
const jsonObjectWhen = (key: string, condition: string, members: Parameters<typeof jsonObject>[0]): readonly [string, string, 'json'] => [
  key,
  `CASE WHEN ${condition} THEN ${jsonObject(members)} END`,
  'json',
];

/** A timestamp as JavaScript's Date#toISOString writes it (UTC, milliseconds truncated as a JS Date truncates them). */
const isoTime = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;


export interface ClusterRow {
  id: string;
  label: string;
  explanation: string;
  size: number;
  quality: number;
  stability: number;
  summary: unknown;
  jobId: string | null;
  createdAt: Date;
  updatedAt: Date;
  retiredAt: Date | null;
  sgt: number | null;
  sgtName: string | null;
  /** Flows of the current members' profiles (bigint as text). */
  memberFlows: string;
}


/**
 * The endpoint page as one statement and its values: the page is chosen on profiles + memberships (+ the cluster's
 * SGT, to filter on the effective SGT) alone; labels, names and identities are joined to the chosen rows only. Each
 * row comes back as the API's JSON, built by PostgreSQL (the service joins the rows' texts into the page without
 * parsing them). Run for the tenant with `Database.readAsTenant` (one round trip, a prepared statement per filter
 * combination).
 */
export function endpointPageStatement(request: EndpointPageRequest): { text: string; values: unknown[] } {
  const sort = ENDPOINT_SORTS[request.sort];
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const where: string[] = [];
  const f = request.filter;
  if (f.keys !== undefined) where.push(`p.endpoint_key = ANY(${param(f.keys)}::text[])`);
  if (f.clusterId !== undefined) where.push(`m.cluster_id = ${param(f.clusterId)}`);
  if (f.sgt !== undefined) where.push(`COALESCE(m.override_sgt, cs.value) = ${param(f.sgt)}`);
  if (f.band !== undefined) where.push(`COALESCE(m.band, 'very_low') = ${param(f.band)}`);
  if (f.unassigned !== undefined) where.push(f.unassigned ? 'm.cluster_id IS NULL' : 'm.cluster_id IS NOT NULL');
  if (f.overridden !== undefined) where.push(f.overridden ? 'm.override_sgt IS NOT NULL' : 'm.override_sgt IS NULL');
  if (f.searchPattern !== undefined) {
    const pattern = param(f.searchPattern);
    where.push(`(lower(p.endpoint_key) LIKE ${pattern} ESCAPE '\\' OR host(p.address) LIKE ${pattern} ESCAPE '\\' OR p.mac::text LIKE ${pattern} ESCAPE '\\')`);
  }
  const direction = request.descending ? 'DESC' : 'ASC';
  if (request.after !== undefined) {
    const comparison = request.descending ? '<' : '>';
    where.push(
      request.sort === 'id'
        ? `p.endpoint_key ${comparison} ${param(request.after.key)}`
        : `(${sort.expression}, p.endpoint_key) ${comparison} (${param(request.after.value)}::${sort.type}, ${param(request.after.key)}::text)`,
    );
  }
  const limit = param(request.limit);
  return {
    text: `WITH page AS (
       SELECT p.endpoint_key, p.address, p.mac, p.api_summary,
              CASE WHEN p.api_summary IS NULL THEN p.summary END AS legacy_summary,
              CASE WHEN p.api_summary IS NULL AND p.summary IS NULL THEN p.profile END AS profile,
              p.flows, p.first_seen_at, p.last_seen_at,
              m.cluster_id, m.confidence, m.band, m.assigned_by, m.override_sgt, m.override_by, m.override_reason, m.override_at,
              COALESCE(m.override_sgt, cs.value) AS sgt,
              ${sort.expression} AS sort_value
       FROM endpoint_profiles p
       LEFT JOIN endpoint_memberships m ON m.tenant_id = p.tenant_id AND m.endpoint_key = p.endpoint_key
       LEFT JOIN sgts cs ON cs.tenant_id = m.tenant_id AND cs.cluster_id = m.cluster_id
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY sort_value ${direction}, p.endpoint_key ${direction}
       LIMIT ${limit}
     )
     SELECT page.endpoint_key AS id,
            ${jsonObject([
              ['id', 'page.endpoint_key'],
              ['address', 'host(page.address)'],
              ['mac', 'page.mac::text'],
              ['firstSeenAt', isoTime('page.first_seen_at')],
              ['lastSeenAt', isoTime('page.last_seen_at')],
              ['clusterId', 'page.cluster_id'],
              ['clusterLabel', 'c.label'],
              ['sgt', 'page.sgt'],
              ['sgtName', 's.name'],
              ['confidence', 'COALESCE(page.confidence, 0)'],
              ['band', "COALESCE(page.band, 'very_low')"],
              ['assignedBy', 'page.assigned_by'],
              jsonObjectWhen('override', 'page.override_sgt IS NOT NULL', [
                ['sgt', 'page.override_sgt'],
                ['by', "COALESCE(page.override_by, 'unknown')"],
                ['reason', 'page.override_reason'],
                ['at', isoTime("COALESCE(page.override_at, 'epoch'::timestamptz)")],
              ]),
              ['summary', 'page.api_summary', 'json'],
              jsonObjectWhen('identity', 'ident.imported_at IS NOT NULL', [
                ['deviceType', 'ident.device_type'],
                ['user', 'ident.user_name'],
                ['groups', "COALESCE(ident.groups, '{}'::text[])"],
                ['importedAt', isoTime('ident.imported_at')],
              ]),
            ])} AS item,
            page.api_summary IS NULL AS "needsSummary",
            page.legacy_summary AS "legacySummary",
            page.profile,
            page.flows::text AS flows,
            page.sort_value::text AS "sortValue"
     FROM page
     LEFT JOIN clusters c ON c.id = page.cluster_id
     LEFT JOIN sgts s ON s.value = page.sgt
     LEFT JOIN LATERAL (
       -- An identity imported for the endpoint's own key wins over one imported for its last IP address.
       SELECT i.device_type, i.user_name, i.groups, i.imported_at
       FROM endpoint_identities i
       WHERE i.endpoint_key = page.endpoint_key OR (page.address IS NOT NULL AND i.endpoint_key = 'ip:' || host(page.address))
       ORDER BY i.endpoint_key = page.endpoint_key DESC
       LIMIT 1
     ) ident ON true
     ORDER BY page.sort_value ${direction}, page.endpoint_key ${direction}`,
    values: params,
  };
}

/** The read side of endpoints and clusters for the tenant bound to the transaction. */
export class EndpointQueryRepository {
  constructor(private readonly manager: EntityManager) {}

  /** Those of `keys` the tenant has a profile for. */
  async existingKeys(keys: readonly string[]): Promise<string[]> {
    const rows: Array<{ key: string }> = await this.manager.query(
      `SELECT endpoint_key AS key FROM endpoint_profiles WHERE endpoint_key = ANY($1::text[])`,
      [keys],
    );
    return rows.map((r) => r.key);
  }

  /**
   * One page of clusters, largest first (ties by id), after (size, id) of the previous page's last row. Retired
   * clusters only when asked for.
   */
  async listClusters(includeRetired: boolean, after: { size: number; id: string } | undefined, limit: number): Promise<ClusterRow[]> {
    const params: unknown[] = [includeRetired, limit];
    let keyset = '';
    if (after !== undefined) {
      params.push(after.size, after.id);
      keyset = 'AND (c.size < $3 OR (c.size = $3 AND c.id > $4))';
    }
    return this.manager.query(
      `WITH page AS (
         SELECT c.* FROM clusters c
         WHERE ($1::boolean OR c.retired_at IS NULL) ${keyset}
         ORDER BY c.size DESC, c.id ASC
         LIMIT $2
       )
       ${CLUSTER_SELECT}
       ORDER BY page.size DESC, page.id ASC`,
      params,
    );
  }

  async findCluster(id: string): Promise<ClusterRow | null> {
    const rows: ClusterRow[] = await this.manager.query(
      `WITH page AS (SELECT c.* FROM clusters c WHERE c.id = $1)
       ${CLUSTER_SELECT}`,
      [id],
    );
    return rows[0] ?? null;
  }
}

const CLUSTER_SELECT = `
  SELECT page.id, page.label, page.explanation, page.size, page.quality, page.stability, page.summary, page.job_id AS "jobId",
         page.created_at AS "createdAt", page.updated_at AS "updatedAt", page.retired_at AS "retiredAt",
         s.value AS sgt, s.name AS "sgtName",
         (SELECT COALESCE(sum(p.flows), 0)
          FROM endpoint_memberships m
          JOIN endpoint_profiles p ON p.tenant_id = m.tenant_id AND p.endpoint_key = m.endpoint_key
          WHERE m.tenant_id = page.tenant_id AND m.cluster_id = page.id)::text AS "memberFlows"
  FROM page
  LEFT JOIN sgts s ON s.tenant_id = page.tenant_id AND s.cluster_id = page.id`;
