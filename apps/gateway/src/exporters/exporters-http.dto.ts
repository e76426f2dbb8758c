import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsIP, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { INVENTORY_NAME_PATTERN, IsOmittable, MAX_SAMPLING_RATE, type ExporterDomainDto, type ExporterDto } from '@clarion/contracts';
import { QueryInt } from '../endpoints/query-value.transform';
import { PageOf } from '../http/page.dto';

export class ListExportersQueryDto {
  @ApiPropertyOptional({ maxLength: 128, pattern: '^[A-Za-z0-9_-]+$', description: '`nextCursor` of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor must be a cursor from a previous page' })
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class ExporterAddressParamsDto {
  @ApiProperty({ description: 'IPv4 or IPv6 address of the exporter (URL-encoded).', example: '192.0.2.1' })
  @IsIP()
  address: string;
}

export class ExporterDomainResponse implements ExporterDomainDto {
  @ApiProperty({ enum: [5, 9, 10, 105], description: 'NetFlow version (10 is IPFIX; 105 is sFlow v5, whose domains are the agent\'s sub-agents).' })
  version: 5 | 9 | 10 | 105;

  @ApiProperty({ description: 'NetFlow v9 source id, IPFIX observation domain id, or sFlow sub-agent id.' })
  observationDomain: number;

  @ApiProperty()
  templates: number;

  @ApiProperty()
  optionsTemplates: number;

  @ApiProperty({ type: 'integer', nullable: true, description: '1-in-N sampling rate; null when unknown.' })
  samplingRate: number | null;

  @ApiProperty({ description: 'Records lost according to the sequence numbers.' })
  lostRecords: number;
}

export class ExporterResponse implements ExporterDto {
  @ApiProperty({ example: '192.0.2.1' })
  address: string;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, description: 'Null for a registered exporter that has sent nothing yet.' })
  firstSeenAt: string | null;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  lastSeenAt: string | null;

  @ApiProperty()
  packets: number;

  @ApiProperty()
  records: number;

  @ApiProperty()
  lostRecords: number;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'Rejected packets by decoder reason.' })
  decodeErrors: Record<string, number>;

  @ApiProperty({ type: 'integer', nullable: true })
  samplingRate: number | null;

  @ApiProperty({ type: [ExporterDomainResponse] })
  domains: ExporterDomainDto[];

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, description: 'When the tenant registered it; null for an exporter only seen (routed by the INGEST_EXPORTER_TENANTS configuration).' })
  registeredAt: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  name: string | null;

  @ApiProperty({ type: 'string', format: 'uuid', nullable: true, description: 'Its site in the network inventory.' })
  siteId: string | null;

  @ApiProperty({ type: 'integer', nullable: true, description: '1-in-N rate applied to its flows when it announces none (NetFlow v5 interval 0, v9/IPFIX without sampling options).' })
  samplingOverride: number | null;

  @ApiProperty({ description: 'A disabled exporter\'s packets are refused before they are decoded.' })
  enabled: boolean;
}

export class ExporterPage extends PageOf(ExporterResponse) {}

const NAME_MESSAGE = 'name must be 1-200 characters without control characters';

export class RegisterExporterBodyDto {
  @ApiProperty({ example: '192.0.2.1', description: 'The address its packets come from (one tenant per address across the platform).' })
  @IsIP()
  address: string;

  @ApiPropertyOptional({ type: 'string', nullable: true, minLength: 1, maxLength: 200, example: 'core-sw-1' })
  @IsOptional()
  @Matches(INVENTORY_NAME_PATTERN, { message: NAME_MESSAGE })
  name?: string | null;

  @ApiPropertyOptional({ type: 'string', format: 'uuid', nullable: true, description: 'A site of the network inventory.' })
  @IsOptional()
  @IsUUID()
  siteId?: string | null;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_SAMPLING_RATE, nullable: true, description: '1-in-N rate applied when the exporter announces none.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_SAMPLING_RATE)
  samplingOverride?: number | null;

  @ApiPropertyOptional({ default: true, description: "A disabled exporter's packets are refused before they are decoded." })
  @IsOmittable()
  @IsBoolean()
  enabled?: boolean;
}

export class UpdateExporterBodyDto {
  @ApiPropertyOptional({ type: 'string', nullable: true, minLength: 1, maxLength: 200 })
  @IsOptional()
  @Matches(INVENTORY_NAME_PATTERN, { message: NAME_MESSAGE })
  name?: string | null;

  @ApiPropertyOptional({ type: 'string', format: 'uuid', nullable: true })
  @IsOptional()
  @IsUUID()
  siteId?: string | null;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_SAMPLING_RATE, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_SAMPLING_RATE)
  samplingOverride?: number | null;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsBoolean()
  enabled?: boolean;
}
