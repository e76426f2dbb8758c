import {
  DomainException,
  ErrorCode,
  formatNetwork,
  parseCidr,
  type AddressScope,
  type AddressSpaceDto,
  type SiteDto,
  type SiteKind,
  type SubnetDto,
  type SubnetPurpose,
} from '@clarion/contracts';
import type { AddressSpaceRow, SiteRow, SubnetRow } from '../data';

/**
 * The rules of the network inventory, in one place for the single-record routes and the import alike.
 *
 * Sites nest by rank: a campus or a branch is a top-level site, a building sits in a campus or branch, a closet in a
 * building (or straight in a campus or branch, for small sites without buildings). Any site may also stand alone.
 * Since a parent always ranks strictly above its child, the hierarchy can have no cycle.
 */
export const SITE_RANK: Record<SiteKind, number> = { campus: 0, branch: 0, building: 1, closet: 2 };

/** Why a site of `kind` cannot be inside a site of `parentKind` (undefined when it can, or has no parent). */
export function siteParentDefect(name: string, kind: SiteKind, parent: { name: string; kind: SiteKind } | null): string | undefined {
  if (parent === null) return undefined;
  if (SITE_RANK[kind] === 0) return `${name} is a ${kind}, a top-level site: it cannot be inside ${parent.name}`;
  if (SITE_RANK[parent.kind] >= SITE_RANK[kind]) return `${name} is a ${kind} and cannot be inside ${parent.name}, a ${parent.kind}`;
  return undefined;
}

/** The canonical text of a CIDR the DTO validation or an import accepted (`2001:DB8::/32` -> `2001:db8::/32`). */
export function canonicalCidr(cidr: string): string {
  const verdict = parseCidr(cidr);
  if ('error' in verdict) throw new DomainException(ErrorCode.ValidationFailed, verdict.error, [{ field: 'cidr', message: verdict.error }]);
  return formatNetwork(verdict.network);
}

export const conflict = (message: string, field: string): DomainException => new DomainException(ErrorCode.Conflict, message, [{ field, message }]);
export const notFound = (what: string): DomainException => new DomainException(ErrorCode.NotFound, `no such ${what}`);

/** PostgreSQL's unique_violation: a concurrent writer (or another tenant's registration) took the key first. */
export const isUniqueViolation = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === '23505';
/** PostgreSQL's foreign_key_violation: the row is still referenced (or references nothing). */
export const isForeignKeyViolation = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === '23503';

export function toSiteDto(row: SiteRow): SiteDto {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as SiteKind,
    parentId: row.parentId,
    timeZone: row.timeZone,
    description: row.description,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toAddressSpaceDto(row: AddressSpaceRow): AddressSpaceDto {
  return {
    id: row.id,
    cidr: row.cidr,
    name: row.name,
    kind: row.kind as AddressScope,
    description: row.description,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toSubnetDto(row: SubnetRow): SubnetDto {
  return {
    id: row.id,
    cidr: row.cidr,
    name: row.name,
    siteId: row.siteId,
    vlan: row.vlan,
    purpose: row.purpose as SubnetPurpose | null,
    description: row.description,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
