import { Injectable } from '@nestjs/common';
import {
  DomainException,
  ErrorCode,
  type ExporterDomainDto,
  type ExporterDto,
  type GetExporterRequestDto,
  type ListExportersRequestDto,
  type Page,
} from '@clarion/contracts';
import { Database } from '@clarion/persistence';
import { ExporterRepository, type ExporterRow } from '../data';
import { isIP } from 'node:net';

const DEFAULT_PAGE = 50;

/** Cursor: the last address of a page, base64url, so clients treat it as opaque. */
export function encodeExporterCursor(address: string): string {
  return Buffer.from(address, 'utf8').toString('base64url');
}

export function decodeExporterCursor(cursor: string): string {
  const address = Buffer.from(cursor, 'base64url').toString('utf8');
  if (isIP(address) === 0) {
    throw new DomainException(ErrorCode.ValidationFailed, 'the cursor is not valid', [{ field: 'cursor', message: 'not a cursor from a previous page' }]);
  }
  return address;
}

export function toExporterDto(row: ExporterRow): ExporterDto {
  return {
    address: row.address,
    firstSeenAt: row.firstSeenAt?.toISOString() ?? null,
    lastSeenAt: row.lastSeenAt?.toISOString() ?? null,
    packets: Number(row.packets),
    records: Number(row.records),
    lostRecords: Number(row.lostRecords),
    decodeErrors: row.decodeErrors,
    samplingRate: row.samplingRate,
    domains: row.domains as ExporterDomainDto[],
    registeredAt: row.registeredAt?.toISOString() ?? null,
    name: row.name,
    siteId: row.siteId,
    samplingOverride: row.samplingOverride,
    enabled: row.enabled,
  };
}

/** The exporter registry as the tenant sees it (read side of `exporters`, written by the collector). */
@Injectable()
export class ExporterQueryService {
  constructor(private readonly db: Database) {}

  async list(request: ListExportersRequestDto): Promise<Page<ExporterDto>> {
    const limit = request.limit ?? DEFAULT_PAGE;
    const after = request.cursor === undefined ? undefined : decodeExporterCursor(request.cursor);
    const rows = await this.db.withTenant(request.actor.tenantId, (m) => new ExporterRepository(m).list(after, limit + 1));
    const items = rows.slice(0, limit).map(toExporterDto);
    const nextCursor = rows.length > limit ? encodeExporterCursor(items[items.length - 1].address) : null;
    return { items, nextCursor };
  }

  async get(request: GetExporterRequestDto): Promise<ExporterDto> {
    const row = await this.db.withTenant(request.actor.tenantId, (m) => new ExporterRepository(m).findByAddress(request.address));
    if (row === null) throw new DomainException(ErrorCode.NotFound, 'no such exporter');
    return toExporterDto(row);
  }
}
