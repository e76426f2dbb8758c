import { IsBoolean, IsIn, IsInt, IsIP, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { ActorRequestDto } from '../auth/auth.dto';
import { INVENTORY_FORMATS, INVENTORY_IMPORT_MAX_CHARS, INVENTORY_NAME_PATTERN, type InventoryFormat } from '../clustering/inventory.dto';
import { IsOmittable } from '../omittable';

/** `clarion.ingest.exporters.list.v1`: the tenant's exporters, ordered by address, one page at a time. */
export class ListExportersRequestDto extends ActorRequestDto {
  /** Opaque cursor from the previous page's `nextCursor`. */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor must be a cursor from a previous page' })
  cursor?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

/** `clarion.ingest.exporters.get.v1`: one exporter of the tenant by address; NOT_FOUND when the tenant has none such. */
export class GetExporterRequestDto extends ActorRequestDto {
  @IsIP()
  address: string;
}

/** One (version, source id / observation domain / sFlow sub-agent) of an exporter, as the collector last saw it. */
export interface ExporterDomainDto {
  /** NetFlow version (10: IPFIX), or 105 for sFlow v5 (no templates; the domain is the agent's sub-agent). */
  version: 5 | 9 | 10 | 105;
  observationDomain: number;
  templates: number;
  optionsTemplates: number;
  /** 1-in-N sampling rate announced for the domain (or configured); null when unknown. */
  samplingRate: number | null;
  /** Records lost according to the sequence numbers (v9: estimated from lost packets; sFlow: lost flow samples). */
  lostRecords: number;
}

/** The largest sampling interval an exporter can announce (IPFIX samplingPacketInterval is 32 bits; NetFlow fewer). */
export const MAX_SAMPLING_RATE = 2_147_483_647;

/**
 * `clarion.ingest.exporters.register.v1`: the tenant claims an exporter address (one tenant per address across the
 * platform: CONFLICT when another tenant registered it or INGEST_EXPORTER_TENANTS maps it to another tenant). Registering
 * an address that is registered already updates it. Ingest applies it within a second, on every instance.
 */
export class RegisterExporterRequestDto extends ActorRequestDto {
  @IsIP()
  address: string;

  @IsOptional()
  @Matches(INVENTORY_NAME_PATTERN, { message: 'name must be 1-200 characters without control characters' })
  name?: string | null;

  /** A site of the tenant's inventory (NOT_FOUND when it has none such). */
  @IsOptional()
  @IsUUID()
  siteId?: string | null;

  /** 1-in-N rate applied to the exporter's flows when it announces none (NetFlow v5 interval 0, v9/IPFIX without sampling options). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_SAMPLING_RATE)
  samplingOverride?: number | null;

  /** A disabled exporter's packets are refused before they are decoded (counted as exporter_disabled). */
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

/** `clarion.ingest.exporters.update.v1`: NOT_FOUND unless the tenant registered the address. Left out = unchanged, null = cleared. */
export class UpdateExporterRequestDto extends ActorRequestDto {
  @IsIP()
  address: string;

  @IsOptional()
  @Matches(INVENTORY_NAME_PATTERN, { message: 'name must be 1-200 characters without control characters' })
  name?: string | null;

  @IsOptional()
  @IsUUID()
  siteId?: string | null;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_SAMPLING_RATE)
  samplingOverride?: number | null;

  @IsOmittable()
  @IsBoolean()
  enabled?: boolean;
}

/** `clarion.ingest.exporters.unregister.v1`: the registration goes; counters of an exporter that sent flows stay. */
export class UnregisterExporterRequestDto extends ActorRequestDto {
  @IsIP()
  address: string;
}

/** `clarion.ingest.exporters.import.v1`: registrations upserted by address, all or nothing (as the inventory import). */
export class ExporterImportRequestDto extends ActorRequestDto {
  @IsIn(INVENTORY_FORMATS)
  format: InventoryFormat;

  @IsString()
  @MinLength(1)
  @MaxLength(INVENTORY_IMPORT_MAX_CHARS)
  content: string;

  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

/** `clarion.ingest.exporters.export.v1`: every registered exporter in the import's format. */
export class ExporterExportRequestDto extends ActorRequestDto {
  @IsIn(INVENTORY_FORMATS)
  format: InventoryFormat;
}

/**
 * Payload of `clarion.ingest.exporters.changed.v1` (core NATS, from the ingest instance that made the change to every
 * instance): the registration of `address` as it now is, or null when it was removed.
 */
export interface ExporterChangedEvent {
  tenantId: string;
  address: string;
  registration: { enabled: boolean; samplingOverride: number | null } | null;
  at: string;
}

export interface ExporterDto {
  address: string;
  /** Null for a registered exporter that has sent nothing yet. */
  firstSeenAt: string | null;
  lastSeenAt: string | null;
  packets: number;
  records: number;
  /** Records lost according to sequence numbers, all domains together, since the exporter was first seen. */
  lostRecords: number;
  /** Rejections by decoder reason (DecodeErrorReason names), since the exporter was first seen. */
  decodeErrors: Record<string, number>;
  /** The domain-wide sampling rate, when every domain that announces one agrees; else the largest; null when none. */
  samplingRate: number | null;
  domains: ExporterDomainDto[];
  /** When the tenant registered it; null for an exporter only seen (routed by INGEST_EXPORTER_TENANTS). */
  registeredAt: string | null;
  name: string | null;
  siteId: string | null;
  samplingOverride: number | null;
  enabled: boolean;
}
