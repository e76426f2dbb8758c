import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { AuditEventDto } from '@clarion/contracts';
import { PageOf } from '../http/page.dto';

const OUTCOMES = ['success', 'failure', 'denied'] as const;

export class AuditQueryParamsDto {
  @ApiPropertyOptional({ maxLength: 100, description: 'Exact action, e.g. `user.create` or `http.post.api.v1.api-keys`.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ maxLength: 64, description: 'User or API key id.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  actorId?: string;

  @ApiPropertyOptional({ enum: OUTCOMES })
  @IsOptional()
  @IsIn(OUTCOMES)
  outcome?: (typeof OUTCOMES)[number];

  @ApiPropertyOptional({ format: 'date-time', description: 'Events at or after this time.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events before this time.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ maxLength: 20, description: '`nextCursor` of the previous page.' })
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,19}$/, { message: 'cursor must be a cursor from a previous page' })
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class AuditEventResponse implements AuditEventDto {
  @ApiProperty({ description: 'Position in the tenant\'s hash-chained log; newest first.' })
  seq: number;

  @ApiProperty({ format: 'date-time' })
  occurredAt: string;

  @ApiProperty({ enum: ['user', 'api_key', 'system', 'anonymous'] })
  actorType: string;

  @ApiProperty({ type: 'string', nullable: true })
  actorId: string | null;

  @ApiProperty({ example: 'http.post.api.v1.api-keys' })
  action: string;

  @ApiProperty({ type: 'string', nullable: true })
  target: string | null;

  @ApiProperty({ enum: OUTCOMES })
  outcome: 'success' | 'failure' | 'denied';

  @ApiProperty({ type: 'string', nullable: true })
  sourceIp: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  userAgent: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  traceId: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true })
  details: Record<string, unknown>;
}

export class AuditPage extends PageOf(AuditEventResponse) {}
