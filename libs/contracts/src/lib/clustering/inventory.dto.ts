import { IsBoolean, IsIn, IsInt, IsIP, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { ActorRequestDto } from '../auth/auth.dto';
import { ADDRESS_SCOPES, type AddressScope, type ClassificationBasis } from '../network/address-classification';
import { IsCidr, IsTimeZone } from '../network/network-validators';
import { IsOmittable } from '../omittable';
import { CURSOR_PATTERN } from './clustering.dto';

/**
 * The network inventory of a tenant (clustering service, subjects `Subjects.clustering.sites*`, `addressSpaces*`,
 * `subnets*`, `inventory*`): sites in a hierarchy, address spaces that say which networks are the tenant's own and
 * which are named destinations, and subnets with their site, VLAN and purpose. Permissions `inventory:read` and
 * `inventory:write`. Optional fields of an update: left out = unchanged, `null` = cleared.
 */

/** Campus and branch are roots; a building is in a campus or branch; a closet in a building (or directly in a campus or branch). */
export const SITE_KINDS = ['campus', 'branch', 'building', 'closet'] as const;
export type SiteKind = (typeof SITE_KINDS)[number];
export const SUBNET_PURPOSES = ['user', 'server', 'iot', 'guest', 'voice', 'management'] as const;
export type SubnetPurpose = (typeof SUBNET_PURPOSES)[number];
/** What an import or export is about. */
export const INVENTORY_KINDS = ['sites', 'address-spaces', 'subnets'] as const;
export type InventoryKind = (typeof INVENTORY_KINDS)[number];
export const INVENTORY_FORMATS = ['csv', 'json'] as const;
export type InventoryFormat = (typeof INVENTORY_FORMATS)[number];
/** At most this many characters per import (one NATS message) and this many records. */
export const INVENTORY_IMPORT_MAX_CHARS = 800_000;
export const INVENTORY_IMPORT_MAX_RECORDS = 20_000;

/** Site names, subnet and address space names: printable, no line breaks. */
export const INVENTORY_NAME_PATTERN = /^\P{Cc}{1,200}$/u;
const NAME_MESSAGE = 'name must be 1-200 characters without control characters';

class InventoryPageRequestDto extends ActorRequestDto {
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @Matches(CURSOR_PATTERN, { message: 'cursor must be a cursor from a previous page' })
  cursor?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

/** `clarion.clustering.sites.get.v1`, `...delete.v1` and the same for address spaces and subnets. */
export class InventoryRefRequestDto extends ActorRequestDto {
  @IsUUID()
  id: string;
}

// ---------------------------------------------------------------- sites

/** `clarion.clustering.sites.list.v1`: by name. */
export class ListSitesRequestDto extends InventoryPageRequestDto {}

/** `clarion.clustering.sites.create.v1` */
export class CreateSiteRequestDto extends ActorRequestDto {
  @Matches(INVENTORY_NAME_PATTERN, { message: NAME_MESSAGE })
  name: string;

  @IsIn(SITE_KINDS)
  kind: SiteKind;

  @IsOptional()
  @IsUUID()
  parentId?: string | null;

  @IsOptional()
  @IsTimeZone()
  timeZone?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

/** `clarion.clustering.sites.update.v1` */
export class UpdateSiteRequestDto extends ActorRequestDto {
  @IsUUID()
  id: string;

  @IsOmittable()
  @Matches(INVENTORY_NAME_PATTERN, { message: NAME_MESSAGE })
  name?: string;

  @IsOmittable()
  @IsIn(SITE_KINDS)
  kind?: SiteKind;

  @IsOptional()
  @IsUUID()
  parentId?: string | null;

  @IsOptional()
  @IsTimeZone()
  timeZone?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

export interface SiteDto {
  id: string;
  name: string;
  kind: SiteKind;
  parentId: string | null;
  /** IANA name; null: the parent's (or unknown). */
  timeZone: string | null;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

// ---------------------------------------------------------------- address spaces

/** `clarion.clustering.address-spaces.list.v1`: by CIDR. */
export class ListAddressSpacesRequestDto extends InventoryPageRequestDto {}

/** `clarion.clustering.address-spaces.create.v1` */
export class CreateAddressSpaceRequestDto extends ActorRequestDto {
  @IsCidr()
  cidr: string;

  @Matches(INVENTORY_NAME_PATTERN, { message: NAME_MESSAGE })
  name: string;

  @IsIn(ADDRESS_SCOPES)
  kind: AddressScope;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

/** `clarion.clustering.address-spaces.update.v1` */
export class UpdateAddressSpaceRequestDto extends ActorRequestDto {
  @IsUUID()
  id: string;

  @IsOmittable()
  @IsCidr()
  cidr?: string;

  @IsOmittable()
  @Matches(INVENTORY_NAME_PATTERN, { message: NAME_MESSAGE })
  name?: string;

  @IsOmittable()
  @IsIn(ADDRESS_SCOPES)
  kind?: AddressScope;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

export interface AddressSpaceDto {
  id: string;
  cidr: string;
  name: string;
  kind: AddressScope;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

// ---------------------------------------------------------------- subnets

/** `clarion.clustering.subnets.list.v1`: by CIDR, optionally of one site. */
export class ListSubnetsRequestDto extends InventoryPageRequestDto {
  @IsOptional()
  @IsUUID()
  siteId?: string;
}

/** `clarion.clustering.subnets.create.v1` */
export class CreateSubnetRequestDto extends ActorRequestDto {
  @IsCidr()
  cidr: string;

  @IsOptional()
  @Matches(INVENTORY_NAME_PATTERN, { message: NAME_MESSAGE })
  name?: string | null;

  @IsOptional()
  @IsUUID()
  siteId?: string | null;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(4094)
  vlan?: number | null;

  @IsOptional()
  @IsIn(SUBNET_PURPOSES)
  purpose?: SubnetPurpose | null;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

/** `clarion.clustering.subnets.update.v1` */
export class UpdateSubnetRequestDto extends ActorRequestDto {
  @IsUUID()
  id: string;

  @IsOmittable()
  @IsCidr()
  cidr?: string;

  @IsOptional()
  @Matches(INVENTORY_NAME_PATTERN, { message: NAME_MESSAGE })
  name?: string | null;

  @IsOptional()
  @IsUUID()
  siteId?: string | null;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(4094)
  vlan?: number | null;

  @IsOptional()
  @IsIn(SUBNET_PURPOSES)
  purpose?: SubnetPurpose | null;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

export interface SubnetDto {
  id: string;
  cidr: string;
  name: string | null;
  siteId: string | null;
  vlan: number | null;
  purpose: SubnetPurpose | null;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

// ---------------------------------------------------------------- import, export, classification

/**
 * `clarion.clustering.inventory.import.v1`: upserts by key (a site by name, an address space or subnet by CIDR), all
 * or nothing: any rejected record and nothing is written. `dryRun` answers the same without writing.
 */
export class InventoryImportRequestDto extends ActorRequestDto {
  @IsIn(INVENTORY_KINDS)
  kind: InventoryKind;

  @IsIn(INVENTORY_FORMATS)
  format: InventoryFormat;

  @IsString()
  @MinLength(1)
  @MaxLength(INVENTORY_IMPORT_MAX_CHARS)
  content: string;

  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

export interface InventoryImportResultDto {
  /** What was imported: an inventory kind, or exporters (the ingest service's registrations, in the same shape). */
  kind: InventoryKind | 'exporters';
  dryRun: boolean;
  /** Whether the records were written: false on a dry run or when any record was rejected. */
  applied: boolean;
  records: number;
  created: number;
  updated: number;
  unchanged: number;
  /** The first 100 rejected records: the 1-based CSV line or the 0-based JSON index, and why. */
  rejected: Array<{ at: number; reason: string }>;
  rejectedCount: number;
}

/** `clarion.clustering.inventory.export.v1`: every record of the kind, in the import's format (an export imports back unchanged). */
export class InventoryExportRequestDto extends ActorRequestDto {
  @IsIn(INVENTORY_KINDS)
  kind: InventoryKind;

  @IsIn(INVENTORY_FORMATS)
  format: InventoryFormat;
}

export interface InventoryExportDto {
  kind: InventoryKind | 'exporters';
  format: InventoryFormat;
  records: number;
  content: string;
}

/** `clarion.clustering.inventory.classify.v1`: how the tenant's inventory classifies one address. */
export class ClassifyAddressRequestDto extends ActorRequestDto {
  @IsIP()
  address: string;
}

export interface AddressClassificationDto {
  address: string;
  scope: AddressScope;
  /** What decided: a defined address space, a subnet (internal), a default private network, or nothing (external). */
  basis: ClassificationBasis;
  addressSpace: Pick<AddressSpaceDto, 'id' | 'cidr' | 'name' | 'kind'> | null;
  subnet: Pick<SubnetDto, 'id' | 'cidr' | 'name' | 'siteId' | 'vlan' | 'purpose'> | null;
  site: Pick<SiteDto, 'id' | 'name' | 'kind'> | null;
}
