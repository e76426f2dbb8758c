import { IsInt, IsIP, IsISO8601, IsOptional, IsString, isIP, Matches, Max, MaxLength, Min, ValidateBy, type ValidationOptions } from 'class-validator';
import { ActorRequestDto } from '../auth/auth.dto';

/** Longest time range one flow query may cover: a month of raw flows is already a scan of ~31 day partitions. */
export const FLOW_QUERY_MAX_SPAN_MS = 31 * 86_400_000;
export const FLOW_QUERY_DEFAULT_LIMIT = 100;
export const FLOW_QUERY_MAX_LIMIT = 1000;
export const FLOW_CURSOR_PATTERN = /^[A-Za-z0-9_-]+$/;

/** An IPv4/IPv6 address, or a CIDR block (`10.1.0.0/16`, `2001:db8::/32`). */
export function isAddressOrBlock(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 49) return false;
  const slash = value.indexOf('/');
  if (slash < 0) return isIP(value);
  const address = value.slice(0, slash);
  const prefix = value.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix)) return false;
  if (isIP(address, '4')) return Number(prefix) <= 32;
  return isIP(address, '6') && Number(prefix) <= 128;
}

export function IsAddressOrBlock(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    { name: 'isAddressOrBlock', validator: { validate: isAddressOrBlock, defaultMessage: (args) => `${args?.property ?? 'value'} must be an IP address or a CIDR block` } },
    options,
  );
}

/**
 * `clarion.ingest.flows.query.v1`: one page of the tenant's stored flows, newest first (by end time), with `from <= end
 * time < to` (at most FLOW_QUERY_MAX_SPAN_MS apart). Filters combine with AND; address filters take an address or a
 * CIDR block; the unsided ones (`address`, `port`, `sgt`) match either side of the flow. The gateway always sends `to`
 * (the time of the call when the client gave none), so the pages of one walk share a fixed upper bound.
 */
export class QueryFlowsRequestDto extends ActorRequestDto {
  @IsISO8601({ strict: true })
  from: string;

  @IsISO8601({ strict: true })
  to: string;

  @IsOptional()
  @IsAddressOrBlock()
  srcAddress?: string;

  @IsOptional()
  @IsAddressOrBlock()
  dstAddress?: string;

  @IsOptional()
  @IsAddressOrBlock()
  address?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  srcPort?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  dstPort?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  port?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(255)
  protocol?: number;

  @IsOptional()
  @IsIP()
  exporter?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  sgt?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  minBytes?: number;

  /** Opaque cursor from the previous page's `nextCursor`. */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  @Matches(FLOW_CURSOR_PATTERN, { message: 'cursor must be a cursor from a previous page' })
  cursor?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(FLOW_QUERY_MAX_LIMIT)
  limit?: number;
}

/** One stored flow record. Times are ISO-8601 (UTC, milliseconds), addresses text, counters already scaled by sampling. */
export interface FlowDto {
  startTime: string;
  endTime: string;
  exporter: string;
  observationDomain: number;
  /** NetFlow version the record came in: 5, 9 or 10 (IPFIX), or 105 for sFlow v5. */
  version: number;
  srcAddress: string | null;
  dstAddress: string | null;
  srcPort: number;
  dstPort: number;
  protocol: number;
  tcpFlags: number;
  bytes: number;
  packets: number;
  samplingRate: number;
  inputInterface: number;
  outputInterface: number;
  srcMac: string | null;
  dstMac: string | null;
  srcVlan: number | null;
  dstVlan: number | null;
  direction: number | null;
  srcSgt: number | null;
  dstSgt: number | null;
}

/** The columns of a flow, in the order the CSV export writes them. */
export const FLOW_FIELDS: ReadonlyArray<keyof FlowDto> = [
  'startTime',
  'endTime',
  'exporter',
  'observationDomain',
  'version',
  'srcAddress',
  'dstAddress',
  'srcPort',
  'dstPort',
  'protocol',
  'tcpFlags',
  'bytes',
  'packets',
  'samplingRate',
  'inputInterface',
  'outputInterface',
  'srcMac',
  'dstMac',
  'srcVlan',
  'dstVlan',
  'direction',
  'srcSgt',
  'dstSgt',
];
