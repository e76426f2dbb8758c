import { Injectable } from '@nestjs/common';
import {
  DomainException,
  ErrorCode,
  type ClusterDto,
  type ClusterServiceDto,
  type GetClusterRequestDto,
  type ListClustersRequestDto,
  type Page,
} from '@clarion/contracts';
import { Database } from '@clarion/persistence';
import { EndpointQueryRepository, type ClusterRow } from '../../data';
import { BIGINT_TEXT, DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor } from '../shared/page-cursor';
import { requirePermission } from '../shared/query-access';
import { serviceLabel } from '../shared/service-label';

/** Services listed per cluster: enough to explain it, few enough for a list view. */
const TOP_SERVICES = 8;
const CLUSTER_ID_TEXT = /^[A-Za-z0-9_-]{1,40}$/;

interface StoredServiceUse {
  protocol: number;
  port: number;
  memberShare: number;
  flowShare: number;
}

function storedServices(value: unknown): StoredServiceUse[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (s): s is StoredServiceUse =>
      typeof s === 'object' &&
      s !== null &&
      Number.isInteger((s as StoredServiceUse).protocol) &&
      Number.isInteger((s as StoredServiceUse).port) &&
      typeof (s as StoredServiceUse).memberShare === 'number' &&
      typeof (s as StoredServiceUse).flowShare === 'number',
  );
}

/**
 * The services of a cluster from its stored ClusterSummary (@clarion/clustering-core summariseCluster): `served` are
 * offered by members, `used` used by them; `share` is the share of members for which the service matters. The summary
 * keeps shares, not counts, so flows are the service's share of the current members' flows.
 */
export function topServicesOf(summary: unknown, memberFlows: number): ClusterServiceDto[] {
  const s = (typeof summary === 'object' && summary !== null ? summary : {}) as { served?: unknown; used?: unknown };
  const all = [
    ...storedServices(s.served).map((u) => ({ u, role: 'server' as const })),
    ...storedServices(s.used).map((u) => ({ u, role: 'client' as const })),
  ];
  all.sort((a, b) => b.u.memberShare - a.u.memberShare || b.u.flowShare - a.u.flowShare || a.u.protocol - b.u.protocol || a.u.port - b.u.port);
  return all.slice(0, TOP_SERVICES).map(({ u, role }) => ({
    role,
    protocol: u.protocol,
    port: u.port,
    service: serviceLabel(u.protocol, u.port),
    flows: Math.round(u.flowShare * memberFlows),
    share: u.memberShare,
  }));
}

function toDto(row: ClusterRow): ClusterDto {
  return {
    id: row.id,
    label: row.label,
    explanation: row.explanation,
    size: row.size,
    quality: row.quality,
    stability: row.stability,
    sgt: row.sgt,
    sgtName: row.sgtName,
    topServices: topServicesOf(row.summary, Number(row.memberFlows)),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    retiredAt: row.retiredAt?.toISOString() ?? null,
    jobId: row.jobId,
  };
}

/** Clusters as the last full run (and incremental assignment) left them, with the SGT bound to each. */
@Injectable()
export class ClusterQueryService {
  constructor(private readonly db: Database) {}

  async list(request: ListClustersRequestDto): Promise<Page<ClusterDto>> {
    requirePermission(request.actor, 'clusters:read');
    const ordering = `clusters:${request.includeRetired === true ? 'all' : 'current'}`;
    let after: { size: number; id: string } | undefined;
    if (request.cursor !== undefined) {
      const [size, id] = decodeCursor(request.cursor, ordering, [BIGINT_TEXT, CLUSTER_ID_TEXT]);
      after = { size: Number(size), id };
    }
    const limit = request.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.db.withTenant(request.actor.tenantId, (m) =>
      new EndpointQueryRepository(m).listClusters(request.includeRetired === true, after, limit + 1),
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toDto), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(ordering, [last.size, last.id]) : null };
  }

  async get(request: GetClusterRequestDto): Promise<ClusterDto> {
    requirePermission(request.actor, 'clusters:read');
    const row = await this.db.withTenant(request.actor.tenantId, (m) => new EndpointQueryRepository(m).findCluster(request.id));
    if (row === null) throw new DomainException(ErrorCode.NotFound, 'no such cluster');
    return toDto(row);
  }
}
