import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { CLUSTER_ID_PATTERN, ENDPOINT_ID_PATTERN, type ClusterDto, type ClusterServiceDto, type MembershipChangeResultDto, IsOmittable } from '@clarion/contracts';
import { ClusteringPageQueryDto, EndpointOrderQueryDto } from '../endpoints/endpoints-http.dto';
import { QueryBoolean } from '../endpoints/query-value.transform';
import { PageOf } from '../http/page.dto';

export class ListClustersQueryDto extends ClusteringPageQueryDto {
  @ApiPropertyOptional({ type: 'boolean', default: false, description: 'Include clusters retired by later runs.' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  includeRetired?: boolean;
}

/** A cluster's members: the endpoint list's paging and order. */
export class ClusterMembersQueryDto extends EndpointOrderQueryDto {}

export class ClusterIdParamsDto {
  @ApiProperty({ pattern: CLUSTER_ID_PATTERN.source, example: 'c-1a2b3c4d' })
  @Matches(CLUSTER_ID_PATTERN, { message: 'id must be a cluster id' })
  id: string;
}

export class ClusterServiceResponse implements ClusterServiceDto {
  @ApiProperty({ enum: ['client', 'server'] })
  role: 'client' | 'server';

  @ApiProperty()
  protocol: number;

  @ApiProperty()
  port: number;

  @ApiProperty()
  service: string;

  @ApiProperty()
  flows: number;

  @ApiProperty({ minimum: 0, maximum: 1, description: "Share of the cluster's members that use or offer it." })
  share: number;
}

export class ClusterResponse implements ClusterDto {
  @ApiProperty({ example: 'c-1a2b3c4d' })
  id: string;

  @ApiProperty({ example: 'Printers: 94 % use tcp/9100' })
  label: string;

  @ApiProperty({ description: 'Why these endpoints belong together.' })
  explanation: string;

  @ApiProperty()
  size: number;

  @ApiProperty({ minimum: 0, maximum: 1 })
  quality: number;

  @ApiProperty()
  stability: number;

  @ApiProperty({ type: 'integer', nullable: true })
  sgt: number | null;

  @ApiProperty({ type: 'string', nullable: true })
  sgtName: string | null;

  @ApiProperty({ type: [ClusterServiceResponse] })
  topServices: ClusterServiceDto[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  retiredAt: string | null;

  @ApiProperty({ type: 'string', format: 'uuid', nullable: true, description: 'The full run that last shaped the cluster.' })
  jobId: string | null;
}

export class ClusterPage extends PageOf(ClusterResponse) {}

const ENDPOINTS: ApiPropertyOptions = {
  type: [String],
  minItems: 1,
  maxItems: 1000,
  description: 'Endpoint ids (`mac:..` or `ip:..`).',
  example: ['ip:10.1.2.3'],
};

export class AssignMembershipBodyDto {
  @ApiProperty(ENDPOINTS)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @Matches(ENDPOINT_ID_PATTERN, { each: true, message: 'each endpoint must be an endpoint id (mac:.. or ip:..)' })
  endpoints: string[];

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 65535, description: 'A registered SGT value.' })
  @IsInt()
  @Min(1)
  @Max(65535)
  sgt: number;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class ClearMembershipBodyDto {
  @ApiProperty(ENDPOINTS)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @Matches(ENDPOINT_ID_PATTERN, { each: true, message: 'each endpoint must be an endpoint id (mac:.. or ip:..)' })
  endpoints: string[];
}

export class MembershipChangeResponse implements MembershipChangeResultDto {
  @ApiProperty({ description: 'Endpoints changed.' })
  updated: number;

  @ApiProperty({ type: [String], description: 'Endpoint ids the tenant has no profile for (nothing done for them).' })
  unknown: string[];
}
