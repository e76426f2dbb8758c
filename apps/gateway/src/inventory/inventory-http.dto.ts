import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsIP, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength, IsInt, Min, Max } from 'class-validator';
import {
  ADDRESS_SCOPES,
  INVENTORY_FORMATS,
  INVENTORY_IMPORT_MAX_CHARS,
  INVENTORY_NAME_PATTERN,
  IsCidr,
  IsOmittable,
  IsTimeZone,
  SITE_KINDS,
  SUBNET_PURPOSES,
  type AddressClassificationDto,
  type AddressScope,
  type AddressSpaceDto,
  type ClassificationBasis,
  type InventoryFormat,
  type InventoryImportResultDto,
  type SiteDto,
  type SiteKind,
  type SubnetDto,
  type SubnetPurpose,
} from '@clarion/contracts';
import { ClusteringPageQueryDto } from '../endpoints/endpoints-http.dto';
import { QueryBoolean } from '../endpoints/query-value.transform';
import { PageOf } from '../http/page.dto';

const NAME_MESSAGE = 'name must be 1-200 characters without control characters';
const NAME = { minLength: 1, maxLength: 200, description: 'Any text without control characters.' } as const;

export class InventoryIdParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id: string;
}

// ---------------------------------------------------------------- sites

export class CreateSiteBodyDto {
  @ApiProperty({ ...NAME, example: 'HQ Building 2' })
  @Matches(INVENTORY_NAME_PATTERN, { message: NAME_MESSAGE })
  name: string;

  @ApiProperty({ enum: SITE_KINDS, description: 'campus and branch are top-level; a building is in a campus or branch; a closet in a building, campus or branch.' })
  @IsIn(SITE_KINDS)
  kind: SiteKind;

  @ApiPropertyOptional({ type: 'string', format: 'uuid', nullable: true, description: 'The site it is in.' })
  @IsOptional()
  @IsUUID()
  parentId?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 64, example: 'Europe/Zurich', description: 'IANA time zone name.' })
  @IsOptional()
  @IsTimeZone()
  timeZone?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

export class UpdateSiteBodyDto {
  @ApiPropertyOptional(NAME)
  @IsOmittable()
  @Matches(INVENTORY_NAME_PATTERN, { message: NAME_MESSAGE })
  name?: string;

  @ApiPropertyOptional({ enum: SITE_KINDS })
  @IsOmittable()
  @IsIn(SITE_KINDS)
  kind?: SiteKind;

  @ApiPropertyOptional({ type: 'string', format: 'uuid', nullable: true, description: 'null: top-level.' })
  @IsOptional()
  @IsUUID()
  parentId?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 64 })
  @IsOptional()
  @IsTimeZone()
  timeZone?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

export class SiteResponse implements SiteDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ enum: SITE_KINDS })
  kind: SiteKind;

  @ApiProperty({ type: 'string', format: 'uuid', nullable: true })
  parentId: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  timeZone: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  description: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class SitePage extends PageOf(SiteResponse) {}

// ---------------------------------------------------------------- address spaces

export class CreateAddressSpaceBodyDto {
  @ApiProperty({ example: '10.200.0.0/16', maxLength: 64, description: 'A network in CIDR notation, host bits zero (a bare address is a host route).' })
  @IsCidr()
  cidr: string;

  @ApiProperty({ ...NAME, example: 'Partner VPN' })
  @Matches(INVENTORY_NAME_PATTERN, { message: NAME_MESSAGE })
  name: string;

  @ApiProperty({ enum: ADDRESS_SCOPES, description: "internal: the tenant's own hosts; external: a named destination (Internet, partner, SaaS)." })
  @IsIn(ADDRESS_SCOPES)
  kind: AddressScope;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

export class UpdateAddressSpaceBodyDto {
  @ApiPropertyOptional({ maxLength: 64 })
  @IsOmittable()
  @IsCidr()
  cidr?: string;

  @ApiPropertyOptional(NAME)
  @IsOmittable()
  @Matches(INVENTORY_NAME_PATTERN, { message: NAME_MESSAGE })
  name?: string;

  @ApiPropertyOptional({ enum: ADDRESS_SCOPES })
  @IsOmittable()
  @IsIn(ADDRESS_SCOPES)
  kind?: AddressScope;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

export class AddressSpaceResponse implements AddressSpaceDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: '10.200.0.0/16' })
  cidr: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ enum: ADDRESS_SCOPES })
  kind: AddressScope;

  @ApiProperty({ type: 'string', nullable: true })
  description: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class AddressSpacePage extends PageOf(AddressSpaceResponse) {}

// ---------------------------------------------------------------- subnets

export class ListSubnetsQueryDto extends ClusteringPageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only the subnets of this site.' })
  @IsOptional()
  @IsUUID()
  siteId?: string;
}

export class CreateSubnetBodyDto {
  @ApiProperty({ example: '10.1.20.0/24', maxLength: 64 })
  @IsCidr()
  cidr: string;

  @ApiPropertyOptional({ ...NAME, type: 'string', nullable: true })
  @IsOptional()
  @Matches(INVENTORY_NAME_PATTERN, { message: NAME_MESSAGE })
  name?: string | null;

  @ApiPropertyOptional({ type: 'string', format: 'uuid', nullable: true })
  @IsOptional()
  @IsUUID()
  siteId?: string | null;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 4094, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(4094)
  vlan?: number | null;

  @ApiPropertyOptional({ enum: SUBNET_PURPOSES, nullable: true })
  @IsOptional()
  @IsIn(SUBNET_PURPOSES)
  purpose?: SubnetPurpose | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

export class UpdateSubnetBodyDto {
  @ApiPropertyOptional({ maxLength: 64 })
  @IsOmittable()
  @IsCidr()
  cidr?: string;

  @ApiPropertyOptional({ ...NAME, type: 'string', nullable: true })
  @IsOptional()
  @Matches(INVENTORY_NAME_PATTERN, { message: NAME_MESSAGE })
  name?: string | null;

  @ApiPropertyOptional({ type: 'string', format: 'uuid', nullable: true })
  @IsOptional()
  @IsUUID()
  siteId?: string | null;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 4094, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(4094)
  vlan?: number | null;

  @ApiPropertyOptional({ enum: SUBNET_PURPOSES, nullable: true })
  @IsOptional()
  @IsIn(SUBNET_PURPOSES)
  purpose?: SubnetPurpose | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

export class SubnetResponse implements SubnetDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: '10.1.20.0/24' })
  cidr: string;

  @ApiProperty({ type: 'string', nullable: true })
  name: string | null;

  @ApiProperty({ type: 'string', format: 'uuid', nullable: true })
  siteId: string | null;

  @ApiProperty({ type: 'integer', nullable: true })
  vlan: number | null;

  @ApiProperty({ enum: SUBNET_PURPOSES, nullable: true })
  purpose: SubnetPurpose | null;

  @ApiProperty({ type: 'string', nullable: true })
  description: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class SubnetPage extends PageOf(SubnetResponse) {}

// ---------------------------------------------------------------- import, export, classification

export class InventoryImportBodyDto {
  @ApiProperty({ enum: INVENTORY_FORMATS })
  @IsIn(INVENTORY_FORMATS)
  format: InventoryFormat;

  @ApiProperty({ minLength: 1, maxLength: INVENTORY_IMPORT_MAX_CHARS, description: 'CSV with a header naming its columns, or a JSON array of records (at most 20,000).' })
  @IsString()
  @MinLength(1)
  @MaxLength(INVENTORY_IMPORT_MAX_CHARS)
  content: string;

  @ApiPropertyOptional({ default: false, description: 'Check and count without writing.' })
  @IsOmittable()
  @IsBoolean()
  dryRun?: boolean;
}

export class InventoryImportQueryDto {
  @ApiPropertyOptional({ type: 'boolean', description: 'Check and count without writing (for a CSV sent as the body itself).' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  dryRun?: boolean;
}

export class InventoryRejectedRecordResponse {
  @ApiProperty({ description: '1-based CSV line or 0-based JSON index.' })
  at: number;

  @ApiProperty()
  reason: string;
}

export class InventoryImportResponse implements InventoryImportResultDto {
  @ApiProperty({ enum: ['sites', 'address-spaces', 'subnets', 'exporters'] })
  kind: InventoryImportResultDto['kind'];

  @ApiProperty()
  dryRun: boolean;

  @ApiProperty({ description: 'Whether the records were written: false on a dry run or when any record was rejected (all or nothing).' })
  applied: boolean;

  @ApiProperty()
  records: number;

  @ApiProperty()
  created: number;

  @ApiProperty()
  updated: number;

  @ApiProperty()
  unchanged: number;

  @ApiProperty({ type: [InventoryRejectedRecordResponse], description: 'The first 100 rejected records and why.' })
  rejected: Array<{ at: number; reason: string }>;

  @ApiProperty()
  rejectedCount: number;
}

export class InventoryExportQueryDto {
  @ApiPropertyOptional({ enum: INVENTORY_FORMATS, default: 'csv' })
  @IsOptional()
  @IsIn(INVENTORY_FORMATS)
  format?: InventoryFormat;
}

export class ClassifyAddressQueryDto {
  @ApiProperty({ example: '10.1.2.3', description: 'An IPv4 or IPv6 address.' })
  @IsIP()
  address: string;
}

class ClassifiedSpaceResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty()
  cidr: string;
  @ApiProperty()
  name: string;
  @ApiProperty({ enum: ADDRESS_SCOPES })
  kind: AddressScope;
}

class ClassifiedSubnetResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty()
  cidr: string;
  @ApiProperty({ type: 'string', nullable: true })
  name: string | null;
  @ApiProperty({ type: 'string', format: 'uuid', nullable: true })
  siteId: string | null;
  @ApiProperty({ type: 'integer', nullable: true })
  vlan: number | null;
  @ApiProperty({ enum: SUBNET_PURPOSES, nullable: true })
  purpose: SubnetPurpose | null;
}

class ClassifiedSiteResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty()
  name: string;
  @ApiProperty({ enum: SITE_KINDS })
  kind: SiteKind;
}

export class AddressClassificationResponse implements AddressClassificationDto {
  @ApiProperty()
  address: string;

  @ApiProperty({ enum: ADDRESS_SCOPES })
  scope: AddressScope;

  @ApiProperty({
    enum: ['address_space', 'subnet', 'default', 'none'],
    description: 'What decided: the most specific address space, a subnet (internal), a default private network (RFC 1918, 100.64.0.0/10, fc00::/7), or nothing (external).',
  })
  basis: ClassificationBasis;

  @ApiProperty({ type: ClassifiedSpaceResponse, nullable: true })
  addressSpace: ClassifiedSpaceResponse | null;

  @ApiProperty({ type: ClassifiedSubnetResponse, nullable: true })
  subnet: ClassifiedSubnetResponse | null;

  @ApiProperty({ type: ClassifiedSiteResponse, nullable: true })
  site: ClassifiedSiteResponse | null;
}
