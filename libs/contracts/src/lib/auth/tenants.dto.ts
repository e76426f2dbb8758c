import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsOmittable } from '../omittable';
import { ActorRequestDto, TENANT_SLUG_PATTERN } from './auth.dto';

/**
 * Tenants through the API (auth service, `tenants:manage`: superadmins). A tenant is created active; suspending it
 * ends its sessions, refuses its sign-ins and API keys, and makes ingest refuse its flows; resuming lifts that.
 */
export const TENANT_STATUSES = ['active', 'suspended'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];
/** Tenant display names: 1-200 characters, no control characters. */
export const TENANT_NAME_PATTERN = /^\P{Cc}{1,200}$/u;

/** `clarion.auth.tenants.list.v1`: every tenant, by slug. */
export class ListTenantsRequestDto extends ActorRequestDto {
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor must be a cursor from a previous page' })
  cursor?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

/** `clarion.auth.tenants.create.v1`: CONFLICT when the slug is taken. */
export class CreateTenantRequestDto extends ActorRequestDto {
  @Matches(TENANT_SLUG_PATTERN, { message: 'slug must be 1-63 lower-case letters, digits or dashes, starting with a letter or digit' })
  slug: string;

  @Matches(TENANT_NAME_PATTERN, { message: 'name must be 1-200 characters without control characters' })
  name: string;
}

/** `clarion.auth.tenants.get.v1` */
export class TenantRefRequestDto extends ActorRequestDto {
  @IsUUID()
  tenantId: string;
}

/** `clarion.auth.tenants.update.v1`: rename, suspend or resume (a superadmin cannot suspend their own tenant). */
export class UpdateTenantRequestDto extends TenantRefRequestDto {
  @IsOmittable()
  @Matches(TENANT_NAME_PATTERN, { message: 'name must be 1-200 characters without control characters' })
  name?: string;

  @IsOmittable()
  @IsIn(TENANT_STATUSES)
  status?: TenantStatus;
}

export interface TenantDto {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
  createdAt: string;
  updatedAt: string;
}

/**
 * Payload of `clarion.auth.tenants.changed.v1` (core NATS, best effort): a tenant was created, renamed, suspended or
 * resumed. Ingest applies it at once (a new tenant's exporters are accepted, a suspended tenant's refused).
 */
export interface TenantChangedEvent {
  tenantId: string;
  slug: string;
  status: TenantStatus;
  at: string;
}
