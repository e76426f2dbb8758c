import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { CLUSTER_ID_PATTERN, SGT_NAME_PATTERN, type SgtDto, IsOmittable } from '@clarion/contracts';
import { QueryInt } from '../endpoints/query-value.transform';
import { PageOf } from '../http/page.dto';

const SGT_CATEGORIES = ['infrastructure', 'users', 'servers', 'devices', 'restricted', 'custom'] as const;

export class SgtValueParamsDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 65535, description: 'The 16-bit tag value.' })
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(65535)
  value: number;
}

export class CreateSgtBodyDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 2, maximum: 65519, description: "Allocated from the category's range when omitted." })
  @IsOmittable()
  @IsInt()
  @Min(2)
  @Max(65519)
  value?: number;

  @ApiProperty({ pattern: SGT_NAME_PATTERN.source, example: 'Printers' })
  @Matches(SGT_NAME_PATTERN, { message: 'name must be 1-32 letters, digits or underscores' })
  name: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ enum: SGT_CATEGORIES, default: 'custom' })
  @IsOmittable()
  @IsIn(SGT_CATEGORIES)
  category?: (typeof SGT_CATEGORIES)[number];

  @ApiPropertyOptional({ pattern: CLUSTER_ID_PATTERN.source, description: 'Bind the SGT to a cluster: its members get it unless overridden.' })
  @IsOmittable()
  @Matches(CLUSTER_ID_PATTERN, { message: 'clusterId must be a cluster id' })
  clusterId?: string;
}

export class UpdateSgtBodyDto {
  @ApiPropertyOptional({ pattern: SGT_NAME_PATTERN.source })
  @IsOmittable()
  @Matches(SGT_NAME_PATTERN, { message: 'name must be 1-32 letters, digits or underscores' })
  name?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ type: 'string', pattern: CLUSTER_ID_PATTERN.source, nullable: true, description: 'The cluster to bind; null unbinds.' })
  @IsOptional()
  @Matches(CLUSTER_ID_PATTERN, { message: 'clusterId must be a cluster id' })
  clusterId?: string | null;
}

export class SgtResponse implements SgtDto {
  @ApiProperty({ minimum: 0, maximum: 65535 })
  value: number;

  @ApiProperty()
  name: string;

  @ApiProperty({ type: 'string', nullable: true })
  description: string | null;

  @ApiProperty({ enum: SGT_CATEGORIES })
  category: string;

  @ApiProperty({ type: 'string', nullable: true })
  clusterId: string | null;

  @ApiProperty({ description: 'Endpoints carrying it, through the cluster or an override.' })
  members: number;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class SgtPage extends PageOf(SgtResponse) {}
