import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsOmittable, TENANT_NAME_PATTERN, TENANT_SLUG_PATTERN, TENANT_STATUSES, type TenantDto, type TenantStatus } from '@clarion/contracts';
import { QueryInt } from '../endpoints/query-value.transform';
import { PageOf } from '../http/page.dto';

const NAME_MESSAGE = 'name must be 1-200 characters without control characters';

export class ListTenantsQueryDto {
  @ApiPropertyOptional({ maxLength: 200, pattern: '^[A-Za-z0-9_-]+$', description: '`nextCursor` of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
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

export class TenantIdParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id: string;
}

export class CreateTenantBodyDto {
  @ApiProperty({ pattern: TENANT_SLUG_PATTERN.source, example: 'acme', description: 'What users sign in with and INGEST_EXPORTER_TENANTS names; cannot be changed.' })
  @Matches(TENANT_SLUG_PATTERN, { message: 'slug must be 1-63 lower-case letters, digits or dashes, starting with a letter or digit' })
  slug: string;

  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Acme Corp' })
  @Matches(TENANT_NAME_PATTERN, { message: NAME_MESSAGE })
  name: string;
}

export class UpdateTenantBodyDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @IsOmittable()
  @Matches(TENANT_NAME_PATTERN, { message: NAME_MESSAGE })
  name?: string;

  @ApiPropertyOptional({ enum: TENANT_STATUSES, description: 'suspended: its sessions end, sign-ins and API keys are refused, its flows are not stored. Not for your own tenant.' })
  @IsOmittable()
  @IsIn(TENANT_STATUSES)
  status?: TenantStatus;
}

export class TenantResponse implements TenantDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  slug: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ enum: TENANT_STATUSES })
  status: TenantStatus;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class TenantPage extends PageOf(TenantResponse) {}
