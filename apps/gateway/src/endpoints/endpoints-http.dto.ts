import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  CLUSTER_ID_PATTERN,
  CONFIDENCE_BANDS,
  CURSOR_PATTERN,
  ENDPOINT_ID_PATTERN,
  ENDPOINT_SORT_FIELDS,
  type ConfidenceBandName,
  type EndpointDto,
  type EndpointProfileSummaryDto,
  type EndpointSortField,
  type IdentityDto,
  type MembershipEventDto,
  type ServiceUseDto,
} from '@clarion/contracts';
import { PageOf } from '../http/page.dto';
import { QueryBoolean, QueryInt } from './query-value.transform';

/** `cursor` and `limit` of the clustering service's lists. */
export class ClusteringPageQueryDto {
  @ApiPropertyOptional({ maxLength: 512, pattern: CURSOR_PATTERN.source, description: '`nextCursor` of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @Matches(CURSOR_PATTERN, { message: 'cursor must be a cursor from a previous page' })
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

/** A page of endpoints in a chosen order (the endpoint list and a cluster's members). */
export class EndpointOrderQueryDto extends ClusteringPageQueryDto {
  @ApiPropertyOptional({ enum: ENDPOINT_SORT_FIELDS, default: 'id' })
  @IsOptional()
  @IsIn(ENDPOINT_SORT_FIELDS)
  sort?: EndpointSortField;

  @ApiPropertyOptional({ enum: ['asc', 'desc'] })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}

export class ListEndpointsQueryDto extends EndpointOrderQueryDto {
  @ApiPropertyOptional({ pattern: CLUSTER_ID_PATTERN.source, description: 'Members of this cluster only.' })
  @IsOptional()
  @Matches(CLUSTER_ID_PATTERN, { message: 'clusterId must be a cluster id' })
  clusterId?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 65535, description: 'Effective SGT (a manual override, else the cluster\'s).' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  sgt?: number;

  @ApiPropertyOptional({ enum: CONFIDENCE_BANDS })
  @IsOptional()
  @IsIn(CONFIDENCE_BANDS)
  band?: ConfidenceBandName;

  @ApiPropertyOptional({ type: 'boolean', description: 'Only endpoints in no cluster (noise, or not assigned yet).' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  unassigned?: boolean;

  @ApiPropertyOptional({ type: 'boolean', description: 'Only endpoints with a manual SGT override.' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  overridden?: boolean;

  @ApiPropertyOptional({ maxLength: 64, description: 'Prefix of the endpoint id, its address or MAC (literal, case-insensitive).' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  search?: string;

}

export class EndpointIdParamsDto {
  @ApiProperty({ pattern: ENDPOINT_ID_PATTERN.source, description: 'Endpoint id, URL-encoded: `mac:<aa:bb:cc:dd:ee:ff>` or `ip:<address>`.', example: 'ip:10.1.2.3' })
  @Matches(ENDPOINT_ID_PATTERN, { message: 'id must be an endpoint id (mac:.. or ip:..)' })
  id: string;
}

export class ServiceUseResponse implements ServiceUseDto {
  @ApiProperty({ enum: ['client', 'server'], description: '`server`: the endpoint offers it; `client`: it uses it.' })
  role: 'client' | 'server';

  @ApiProperty()
  protocol: number;

  @ApiProperty()
  port: number;

  @ApiProperty({ example: 'https' })
  service: string;

  @ApiProperty()
  flows: number;
}

export class EndpointProfileSummaryResponse implements EndpointProfileSummaryDto {
  @ApiProperty()
  flows: number;

  @ApiProperty()
  flowsAsClient: number;

  @ApiProperty()
  flowsAsServer: number;

  @ApiProperty()
  bytesIn: number;

  @ApiProperty()
  bytesOut: number;

  @ApiProperty()
  packetsIn: number;

  @ApiProperty()
  packetsOut: number;

  @ApiProperty({ description: 'Estimated (HyperLogLog).' })
  distinctPeers: number;

  @ApiProperty()
  distinctClientServices: number;

  @ApiProperty()
  distinctServerServices: number;

  @ApiProperty({ description: 'Hours of the week (of 168) with activity.' })
  activeHoursOfWeek: number;

  @ApiProperty({ type: [ServiceUseResponse] })
  topServices: ServiceUseDto[];
}

export class IdentityResponse implements IdentityDto {
  @ApiProperty({ type: 'string', nullable: true })
  deviceType: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  user: string | null;

  @ApiProperty({ type: [String] })
  groups: string[];

  @ApiProperty({ format: 'date-time' })
  importedAt: string;
}

export class EndpointOverrideResponse {
  @ApiProperty()
  sgt: number;

  @ApiProperty({ description: 'Who set it.' })
  by: string;

  @ApiProperty({ type: 'string', nullable: true })
  reason: string | null;

  @ApiProperty({ format: 'date-time' })
  at: string;
}

export class EndpointResponse implements EndpointDto {
  @ApiProperty({ example: 'mac:00:1b:44:11:3a:b7' })
  id: string;

  @ApiProperty({ type: 'string', nullable: true })
  address: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  mac: string | null;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  firstSeenAt: string | null;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  lastSeenAt: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  clusterId: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  clusterLabel: string | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Effective SGT: the manual override, else the cluster\'s.' })
  sgt: number | null;

  @ApiProperty({ type: 'string', nullable: true })
  sgtName: string | null;

  @ApiProperty({ minimum: 0, maximum: 1 })
  confidence: number;

  @ApiProperty({ enum: CONFIDENCE_BANDS })
  band: ConfidenceBandName;

  @ApiProperty({ type: 'string', enum: ['clustering', 'assignment'], nullable: true })
  assignedBy: 'clustering' | 'assignment' | null;

  @ApiProperty({ type: EndpointOverrideResponse, nullable: true })
  override: EndpointOverrideResponse | null;

  @ApiProperty({ type: EndpointProfileSummaryResponse })
  summary: EndpointProfileSummaryDto;

  @ApiProperty({ type: IdentityResponse, nullable: true })
  identity: IdentityDto | null;
}

export class EndpointPage extends PageOf(EndpointResponse) {}

export class MembershipEventResponse implements MembershipEventDto {
  @ApiProperty()
  id: string;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ enum: ['clustering', 'assignment', 'override', 'override_cleared'] })
  kind: 'clustering' | 'assignment' | 'override' | 'override_cleared';

  @ApiProperty({ type: 'string', nullable: true })
  clusterId: string | null;

  @ApiProperty({ type: 'integer', nullable: true })
  sgt: number | null;

  @ApiProperty({ description: '`system` for clustering runs and assignments, else the user or API key id.' })
  actor: string;

  @ApiProperty({ type: 'string', nullable: true })
  reason: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  jobId: string | null;
}

export class MembershipEventPage extends PageOf(MembershipEventResponse) {}
