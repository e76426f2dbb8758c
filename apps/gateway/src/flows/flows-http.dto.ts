import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsIP, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { FLOW_CURSOR_PATTERN, FLOW_QUERY_DEFAULT_LIMIT, FLOW_QUERY_MAX_LIMIT, IsAddressOrBlock, type FlowDto } from '@clarion/contracts';
import { QueryInt } from '../endpoints/query-value.transform';
import { PageOf } from '../http/page.dto';
import { FLOW_EXPORT_FORMATS, type FlowExportFormat } from './flow-export.format';

/** Most rows one export writes; an export that matches more ends early and says so (Clarion-Export-Truncated). */
export const FLOW_EXPORT_MAX_ROWS = 1_000_000;

const ADDRESS_OR_BLOCK = { maxLength: 49, description: 'An IPv4/IPv6 address or a CIDR block.', example: '10.1.0.0/16' };

/** The filters of a flow query (list and export alike), combined with AND. */
export class FlowFilterQueryDto {
  @ApiProperty({ format: 'date-time', description: 'Flows that ended at or after this time. At most 31 days before `to`.' })
  @IsISO8601({ strict: true })
  from: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Flows that ended before this time; now when omitted.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional(ADDRESS_OR_BLOCK)
  @IsOptional()
  @IsString()
  @IsAddressOrBlock()
  srcAddress?: string;

  @ApiPropertyOptional(ADDRESS_OR_BLOCK)
  @IsOptional()
  @IsString()
  @IsAddressOrBlock()
  dstAddress?: string;

  @ApiPropertyOptional({ ...ADDRESS_OR_BLOCK, description: 'Source or destination: an IPv4/IPv6 address or a CIDR block.' })
  @IsOptional()
  @IsString()
  @IsAddressOrBlock()
  address?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 65535 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  srcPort?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 65535 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  dstPort?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 65535, description: 'Source or destination port.' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  port?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 255, description: 'IANA protocol number (6 TCP, 17 UDP).' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(255)
  protocol?: number;

  @ApiPropertyOptional({ description: 'Address of the exporter that reported the flow.', example: '192.0.2.1' })
  @IsOptional()
  @IsIP()
  exporter?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 65535, description: 'Source or destination group tag carried by the flow.' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  sgt?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'Flows of at least this many bytes.' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  minBytes?: number;
}

export class ListFlowsQueryDto extends FlowFilterQueryDto {
  @ApiPropertyOptional({ maxLength: 256, pattern: FLOW_CURSOR_PATTERN.source, description: '`nextCursor` of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  @Matches(FLOW_CURSOR_PATTERN, { message: 'cursor must be a cursor from a previous page' })
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: FLOW_QUERY_MAX_LIMIT, default: FLOW_QUERY_DEFAULT_LIMIT })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(FLOW_QUERY_MAX_LIMIT)
  limit?: number;
}

export class ExportFlowsQueryDto extends FlowFilterQueryDto {
  @ApiProperty({ enum: FLOW_EXPORT_FORMATS, description: '`csv` (RFC 4180, with a header row) or `ndjson` (one JSON flow per line).' })
  @IsIn(FLOW_EXPORT_FORMATS)
  format: FlowExportFormat;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: FLOW_EXPORT_MAX_ROWS, default: FLOW_EXPORT_MAX_ROWS, description: 'Stop after this many rows.' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(FLOW_EXPORT_MAX_ROWS)
  maxRows?: number;
}

export class FlowResponse implements FlowDto {
  @ApiProperty({ format: 'date-time' })
  startTime: string;

  @ApiProperty({ format: 'date-time' })
  endTime: string;

  @ApiProperty({ example: '192.0.2.1' })
  exporter: string;

  @ApiProperty({ description: 'NetFlow v9 source id, IPFIX observation domain, or sFlow sub-agent id.' })
  observationDomain: number;

  @ApiProperty({ enum: [5, 9, 10, 105], description: 'NetFlow version (10 is IPFIX; 105 is sFlow v5).' })
  version: number;

  @ApiProperty({ type: 'string', nullable: true })
  srcAddress: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  dstAddress: string | null;

  @ApiProperty()
  srcPort: number;

  @ApiProperty()
  dstPort: number;

  @ApiProperty()
  protocol: number;

  @ApiProperty()
  tcpFlags: number;

  @ApiProperty({ description: 'Bytes, scaled by the sampling rate.' })
  bytes: number;

  @ApiProperty({ description: 'Packets, scaled by the sampling rate.' })
  packets: number;

  @ApiProperty()
  samplingRate: number;

  @ApiProperty()
  inputInterface: number;

  @ApiProperty()
  outputInterface: number;

  @ApiProperty({ type: 'string', nullable: true })
  srcMac: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  dstMac: string | null;

  @ApiProperty({ type: 'integer', nullable: true })
  srcVlan: number | null;

  @ApiProperty({ type: 'integer', nullable: true })
  dstVlan: number | null;

  @ApiProperty({ type: 'integer', nullable: true, description: '0 ingress, 1 egress (IPFIX flowDirection).' })
  direction: number | null;

  @ApiProperty({ type: 'integer', nullable: true })
  srcSgt: number | null;

  @ApiProperty({ type: 'integer', nullable: true })
  dstSgt: number | null;
}

export class FlowPage extends PageOf(FlowResponse) {}
