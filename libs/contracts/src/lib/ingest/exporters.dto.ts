import { IsInt, IsIP, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ActorRequestDto } from '../auth/auth.dto';

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

export interface ExporterDto {
  address: string;
  firstSeenAt: string;
  lastSeenAt: string;
  packets: number;
  records: number;
  /** Records lost according to sequence numbers, all domains together, since the exporter was first seen. */
  lostRecords: number;
  /** Rejections by decoder reason (DecodeErrorReason names), since the exporter was first seen. */
  decodeErrors: Record<string, number>;
  /** The domain-wide sampling rate, when every domain that announces one agrees; else the largest; null when none. */
  samplingRate: number | null;
  domains: ExporterDomainDto[];
}
