import { Inject, Injectable } from '@nestjs/common';
import {
  DomainException,
  ErrorCode,
  type EndpointDto,
  type EndpointProfileSummaryDto,
  type EndpointSortField,
  type GetEndpointRequestDto,
  type ListEndpointsRequestDto,
  type Page,
} from '@clarion/contracts';
import { decodeProfile } from '@clarion/clustering-core';
import { JsonText } from '@clarion/messaging';
import { Database } from '@clarion/persistence';
import { endpointPageStatement, type EndpointListFilter, type EndpointPageRow } from '../../data';
import { ROOT_LOGGER } from '@clarion/platform';
import type { Logger } from 'pino';
import { BIGINT_TEXT, DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor } from '../shared/page-cursor';
import { requirePermission } from '../shared/query-access';
import { QueryMetrics } from '../shared/query-metrics';
import { apiSummaryOf } from '../shared/service-label';

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

/**
 * The endpoint list and detail: one statement per page, in one round trip, whose rows are the API's JSON (PostgreSQL
 * writes it); only rows stored before the API summary have theirs computed here.
 */
@Injectable()
export class EndpointQueryService {
  constructor(
    private readonly db: Database,
    private readonly metrics: QueryMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** One page as JSON text: the rows' JSON, written by PostgreSQL, joined without being parsed. */
  async list(request: ListEndpointsRequestDto): Promise<JsonText<Page<EndpointDto>>> {
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
    const rows = await this.db.readAsTenant<EndpointPageRow>(request.actor.tenantId, statement.text, statement.values);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(ordering, [last.sortValue, last.id]) : null;
    return new JsonText(`{"items":[${page.map((row) => this.itemText(row)).join(',')}],"nextCursor":${JSON.stringify(nextCursor)}}`);
  }

  async get(request: GetEndpointRequestDto): Promise<EndpointDto> {
    requirePermission(request.actor, 'endpoints:read');
    const statement = endpointPageStatement({ filter: { keys: [request.id] }, sort: 'id', descending: false, limit: 1 });
    const rows = await this.db.readAsTenant<EndpointPageRow>(request.actor.tenantId, statement.text, statement.values);
    if (rows.length === 0) throw new DomainException(ErrorCode.NotFound, 'no such endpoint');
    return JSON.parse(this.itemText(rows[0])) as EndpointDto;
  }

  /** The row's JSON; for a row without a stored API summary, with the summary computed here. */
  private itemText(row: EndpointPageRow): string {
    if (!row.needsSummary) return row.item;
    const item = JSON.parse(row.item) as EndpointDto;
    item.summary = this.summaryOf(row);
    return JSON.stringify(item);
  }

  private summaryOf(row: EndpointPageRow): EndpointProfileSummaryDto {
    try {
      // Rows stored before the API summary: the core's summary, or only the profile.
      return apiSummaryOf(row.legacySummary ?? decodeProfile(row.profile ?? Buffer.alloc(0)).summary());
    } catch (err) {
      // One damaged profile must not make the whole page fail; the endpoint still shows, with its stored flow count.
      this.metrics.corruptProfiles.inc();
      this.logger.warn({ endpoint: row.id, err: (err as Error).message }, 'endpoint profile could not be decoded');
      return { ...EMPTY_SUMMARY, flows: Number(row.flows) };
    }
  }
}
