import { Inject, Injectable } from '@nestjs/common';
import {
  DomainException,
  ErrorCode,
  type ConfidenceBandName,
  type EndpointDto,
  type EndpointProfileSummaryDto,
  type EndpointSortField,
  type GetEndpointRequestDto,
  type ListEndpointsRequestDto,
  type Page,
} from '@clarion/contracts';
import { decodeProfile } from '@clarion/clustering-core';
import { Database, endpointPageStatement, type EndpointListFilter, type EndpointRow } from '@clarion/persistence';
import { ROOT_LOGGER } from '@clarion/platform';
import type { Logger } from 'pino';
import { BIGINT_TEXT, DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor } from '../shared/page-cursor';
import { requirePermission } from '../shared/query-access';
import { QueryMetrics } from '../shared/query-metrics';
import { serviceUseOf } from '../shared/service-label';

/** Patterns of each sort's cursor value (the endpoint key is checked as well). */
const SORT_VALUE_PATTERN: Record<EndpointSortField, RegExp> = {
  id: /^[\s\S]{1,60}$/,
  lastSeen: BIGINT_TEXT,
  flows: BIGINT_TEXT,
  confidence: /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i,
};
const ENDPOINT_KEY_TEXT = /^[\s\S]{1,60}$/;

const EMPTY_SUMMARY: EndpointProfileSummaryDto = {
  flows: 0,
  flowsAsClient: 0,
  flowsAsServer: 0,
  bytesIn: 0,
  bytesOut: 0,
  packetsIn: 0,
  packetsOut: 0,
  distinctPeers: 0,
  distinctClientServices: 0,
  distinctServerServices: 0,
  activeHoursOfWeek: 0,
  topServices: [],
};

/** A literal, case-insensitive prefix as a LIKE pattern: `%`, `_` and the escape character itself match only themselves. */
export function prefixPattern(search: string): string {
  return `${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The endpoint list and detail: one statement per page, in one round trip; only the page's profiles are decoded. */
@Injectable()
export class EndpointQueryService {
  constructor(
    private readonly db: Database,
    private readonly metrics: QueryMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async list(request: ListEndpointsRequestDto): Promise<Page<EndpointDto>> {
    requirePermission(request.actor, 'endpoints:read');
    const sort = request.sort ?? 'id';
    const descending = request.order === 'desc';
    const ordering = `endpoints:${sort}:${descending ? 'desc' : 'asc'}`;
    let after: { value: string; key: string } | undefined;
    if (request.cursor !== undefined) {
      const [value, key] = decodeCursor(request.cursor, ordering, [SORT_VALUE_PATTERN[sort], ENDPOINT_KEY_TEXT]);
      after = { value, key };
    }
    const filter: EndpointListFilter = {
      clusterId: request.clusterId,
      sgt: request.sgt,
      band: request.band,
      unassigned: request.unassigned,
      overridden: request.overridden,
      searchPattern: request.search !== undefined && request.search !== '' ? prefixPattern(request.search) : undefined,
    };
    const limit = request.limit ?? DEFAULT_PAGE_SIZE;
    const statement = endpointPageStatement({ filter, sort, descending, after, limit: limit + 1 });
    const rows = await this.db.readAsTenant<EndpointRow>(request.actor.tenantId, statement.text, statement.values);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => this.toDto(row)),
      nextCursor: rows.length > limit && last !== undefined ? encodeCursor(ordering, [last.sortValue, last.id]) : null,
    };
  }

  async get(request: GetEndpointRequestDto): Promise<EndpointDto> {
    requirePermission(request.actor, 'endpoints:read');
    const statement = endpointPageStatement({ filter: { keys: [request.id] }, sort: 'id', descending: false, limit: 1 });
    const rows = await this.db.readAsTenant<EndpointRow>(request.actor.tenantId, statement.text, statement.values);
    if (rows.length === 0) throw new DomainException(ErrorCode.NotFound, 'no such endpoint');
    return this.toDto(rows[0]);
  }

  private toDto(row: EndpointRow): EndpointDto {
    return {
      id: row.id,
      address: row.address,
      mac: row.mac,
      firstSeenAt: row.firstSeenAt?.toISOString() ?? null,
      lastSeenAt: row.lastSeenAt?.toISOString() ?? null,
      clusterId: row.clusterId,
      clusterLabel: row.clusterLabel,
      sgt: row.sgt,
      sgtName: row.sgtName,
      confidence: row.confidence ?? 0,
      band: (row.band ?? 'very_low') as ConfidenceBandName,
      assignedBy: row.assignedBy,
      override:
        row.overrideSgt === null
          ? null
          : { sgt: row.overrideSgt, by: row.overrideBy ?? 'unknown', reason: row.overrideReason, at: (row.overrideAt ?? new Date(0)).toISOString() },
      summary: this.summaryOf(row),
      identity:
        row.importedAt === null ? null : { deviceType: row.deviceType, user: row.userName, groups: row.groups ?? [], importedAt: row.importedAt.toISOString() },
    };
  }

  private summaryOf(row: EndpointRow): EndpointProfileSummaryDto {
    try {
      // The consumer stores the summary with every merge; rows written before it have only the profile.
      const s = row.summary ?? decodeProfile(row.profile ?? Buffer.alloc(0)).summary();
      return {
        flows: s.flows,
        flowsAsClient: s.flowsAsClient,
        flowsAsServer: s.flowsAsServer,
        bytesIn: s.bytesIn,
        bytesOut: s.bytesOut,
        packetsIn: s.packetsIn,
        packetsOut: s.packetsOut,
        distinctPeers: s.distinctPeers,
        distinctClientServices: s.distinctClientServices,
        distinctServerServices: s.distinctServerServices,
        activeHoursOfWeek: s.activeHoursOfWeek,
        topServices: s.topServices.map((t) => serviceUseOf(t.key, t.flows)),
      };
    } catch (err) {
      // One damaged profile must not make the whole page fail; the endpoint still shows, with its stored flow count.
      this.metrics.corruptProfiles.inc();
      this.logger.warn({ endpoint: row.id, err: (err as Error).message }, 'endpoint profile could not be decoded');
      return { ...EMPTY_SUMMARY, flows: Number(row.flows) };
    }
  }
}
