import { IsOmittable } from '@clarion/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import type {
  BlockedServiceDto,
  ImpactReportDto,
  ImpactRiskName,
  PolicyCellDto,
  PolicyMatrixDto,
  PolicyProposalDto,
  PolicyServiceDto,
  SgaclDto,
  SgaclExportDto,
  SgaclRuleDto,
} from '@clarion/contracts';
import { QueryBoolean, QueryInt, QueryNumber } from '../endpoints/query-value.transform';

const ACTIONS = ['permit', 'deny'] as const;
const RISKS = ['critical', 'high', 'medium', 'low'] as const;

export class PolicyMatrixQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 1_000_000_000, description: 'Leave out services with fewer flows.' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  minFlows?: number;
}

/** Options of the SGACL derivation, as query parameters (export) or body fields (impact). */
class SgaclOptionsFields {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1_000_000_000, description: 'A service needs at least this many flows for a permit.' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  minFlows?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, description: "... and at least this share of its cell's flows." })
  @IsOptional()
  @QueryNumber()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  minShare?: number;

  @ApiPropertyOptional({ type: 'boolean', description: 'Log the final deny.' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  logDeny?: boolean;

  @ApiPropertyOptional({ enum: ACTIONS, description: 'What applies between groups with no SGACL.' })
  @IsOptional()
  @IsIn(ACTIONS)
  defaultAction?: 'permit' | 'deny';
}

export class SgaclExportQueryDto extends SgaclOptionsFields {
  @ApiProperty({ enum: ['cli', 'json'], description: '`cli`: Cisco configuration text (a text/plain download); `json`: the export as JSON.' })
  @IsIn(['cli', 'json'])
  format: 'cli' | 'json';
}

export class SgaclRuleBodyDto implements SgaclRuleDto {
  @ApiProperty({ enum: ACTIONS })
  @IsIn(ACTIONS)
  action: 'permit' | 'deny';

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 255, description: 'IANA protocol number; any IP protocol when omitted.' })
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(255)
  protocol?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 65535, description: 'Destination port; any when omitted.' })
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(65535)
  port?: number;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsBoolean()
  log?: boolean;
}

export class SgaclBodyDto implements SgaclDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 65535 })
  @IsInt()
  @Min(0)
  @Max(65535)
  srcSgt: number;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 65535 })
  @IsInt()
  @Min(0)
  @Max(65535)
  dstSgt: number;

  @ApiProperty({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'name must be letters, digits, `_`, `.` or `-`' })
  name: string;

  @ApiProperty({ type: [SgaclRuleBodyDto], maxItems: 256 })
  @IsArray()
  @ArrayMaxSize(256)
  @ValidateNested({ each: true })
  @Type(() => SgaclRuleBodyDto)
  rules: SgaclRuleBodyDto[];
}

export class PolicyProposalBodyDto implements PolicyProposalDto {
  @ApiProperty({ enum: ACTIONS })
  @IsIn(ACTIONS)
  defaultAction: 'permit' | 'deny';

  @ApiProperty({ type: [SgaclBodyDto], maxItems: 10_000 })
  @IsArray()
  @ArrayMaxSize(10_000)
  @ValidateNested({ each: true })
  @Type(() => SgaclBodyDto)
  sgacls: SgaclBodyDto[];
}

export class ImpactBodyDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1_000_000_000, description: 'Derivation option (when no proposal is given).' })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  minFlows?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, description: 'Derivation option (when no proposal is given).' })
  @IsOmittable()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  minShare?: number;

  @ApiPropertyOptional({ description: 'Derivation option (when no proposal is given).' })
  @IsOmittable()
  @IsBoolean()
  logDeny?: boolean;

  @ApiPropertyOptional({ enum: ACTIONS, description: 'Derivation option (when no proposal is given).' })
  @IsOmittable()
  @IsIn(ACTIONS)
  defaultAction?: 'permit' | 'deny';

  @ApiPropertyOptional({ type: PolicyProposalBodyDto, description: 'The policy to test; the derived one when omitted.' })
  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => PolicyProposalBodyDto)
  proposal?: PolicyProposalBodyDto;
}

export class PolicyServiceResponse implements PolicyServiceDto {
  @ApiProperty()
  protocol: number;

  @ApiProperty()
  port: number;

  @ApiProperty({ example: 'https' })
  service: string;

  @ApiProperty()
  flows: number;

  @ApiProperty()
  bytes: number;

  @ApiProperty()
  distinctSources: number;

  @ApiProperty()
  distinctDestinations: number;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  firstSeenAt: string | null;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  lastSeenAt: string | null;
}

export class PolicyCellResponse implements PolicyCellDto {
  @ApiProperty()
  srcSgt: number;

  @ApiProperty()
  dstSgt: number;

  @ApiProperty()
  flows: number;

  @ApiProperty()
  bytes: number;

  @ApiProperty({ type: [PolicyServiceResponse] })
  services: PolicyServiceDto[];
}

export class SgtNameResponse {
  @ApiProperty()
  value: number;

  @ApiProperty({ example: 'Unknown' })
  name: string;
}

export class PolicyMatrixResponse implements PolicyMatrixDto {
  @ApiProperty({ format: 'date-time' })
  generatedAt: string;

  @ApiProperty({ type: [SgtNameResponse], description: 'Every SGT appearing in a cell, with its registry name.' })
  sgts: Array<{ value: number; name: string }>;

  @ApiProperty({ type: [PolicyCellResponse], description: 'Observed traffic per (source SGT, destination SGT).' })
  cells: PolicyCellDto[];
}

export class PolicyProposalResponse implements PolicyProposalDto {
  @ApiProperty({ enum: ACTIONS })
  defaultAction: 'permit' | 'deny';

  @ApiProperty({ type: [SgaclBodyDto] })
  sgacls: SgaclDto[];
}

export class SgaclExportResponse implements SgaclExportDto {
  @ApiProperty({ enum: ['cli', 'json'] })
  format: 'cli' | 'json';

  @ApiProperty({ format: 'date-time' })
  generatedAt: string;

  @ApiProperty({ type: PolicyProposalResponse, description: 'The proposal rendered (also the input shape of the impact analysis).' })
  proposal: PolicyProposalDto;

  @ApiPropertyOptional({ description: 'Cisco CLI text (format `cli`).' })
  cli?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The rendered JSON document (format `json`).' })
  json?: unknown;
}

export class BlockedServiceResponse implements BlockedServiceDto {
  @ApiProperty()
  srcSgt: number;

  @ApiProperty()
  dstSgt: number;

  @ApiProperty()
  protocol: number;

  @ApiProperty()
  port: number;

  @ApiProperty()
  service: string;

  @ApiProperty()
  flows: number;

  @ApiProperty()
  bytes: number;

  @ApiProperty()
  distinctSources: number;

  @ApiProperty()
  distinctDestinations: number;

  @ApiProperty({ enum: RISKS })
  risk: ImpactRiskName;

  @ApiProperty()
  reason: string;

  @ApiProperty({ description: 'The SGACL (or default action) that would block it.' })
  deniedBy: string;
}

export class BlockedByRiskResponse implements Record<ImpactRiskName, number> {
  @ApiProperty()
  critical: number;

  @ApiProperty()
  high: number;

  @ApiProperty()
  medium: number;

  @ApiProperty()
  low: number;
}

export class ImpactReportResponse implements ImpactReportDto {
  @ApiProperty({ format: 'date-time' })
  generatedAt: string;

  @ApiProperty()
  totalFlows: number;

  @ApiProperty()
  totalBytes: number;

  @ApiProperty()
  blockedFlows: number;

  @ApiProperty()
  blockedBytes: number;

  @ApiProperty({ type: BlockedByRiskResponse })
  blockedByRisk: Record<ImpactRiskName, number>;

  @ApiProperty({ type: [BlockedServiceResponse], description: 'Most severe first; at most 1,000 (the counts above are complete).' })
  blocked: BlockedServiceDto[];
}
