import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode, type CreateSiteRequestDto, type InventoryRefRequestDto, type ListSitesRequestDto, type Page, type SiteDto, type SiteKind, type UpdateSiteRequestDto } from '@clarion/contracts';
import { Database } from '@clarion/persistence';
import { randomUUID } from 'node:crypto';
import { SiteRepository, SubnetRepository, type SiteRecord, type SiteRow } from '../data';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor } from '../query/shared/page-cursor';
import { requirePermission } from '../query/shared/query-access';
import { conflict, isForeignKeyViolation, isUniqueViolation, notFound, siteParentDefect, toSiteDto } from './inventory-rules';

const ANY_TEXT = /^[\s\S]{1,200}$/;

/** Sites of a tenant: campus, branch, building, closet, nested by rank (inventory-rules.ts). */
@Injectable()
export class SiteRegistryService {
  constructor(private readonly db: Database) {}

  async list(request: ListSitesRequestDto): Promise<Page<SiteDto>> {
    requirePermission(request.actor, 'inventory:read');
    const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, 'sites:name', [ANY_TEXT])[0];
    const limit = request.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.db.withTenant(request.actor.tenantId, (m) => new SiteRepository(m).list(after, limit + 1));
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toSiteDto), nextCursor: rows.length > limit && last !== undefined ? encodeCursor('sites:name', [last.name]) : null };
  }

  async get(request: InventoryRefRequestDto): Promise<SiteDto> {
    requirePermission(request.actor, 'inventory:read');
    const row = await this.db.withTenant(request.actor.tenantId, (m) => new SiteRepository(m).findById(request.id));
    if (row === null) throw notFound('site');
    return toSiteDto(row);
  }

  async create(request: CreateSiteRequestDto): Promise<SiteDto> {
    requirePermission(request.actor, 'inventory:write');
    const { tenantId } = request.actor;
    const record: SiteRecord = {
      name: request.name,
      kind: request.kind,
      parentId: request.parentId ?? null,
      timeZone: request.timeZone ?? null,
      description: request.description ?? null,
    };
    return this.write(tenantId, async (sites) => {
      if ((await sites.findIdByName(record.name)) !== null) throw conflict(`a site named ${record.name} exists`, 'name');
      await this.checkParent(sites, record, null);
      const id = randomUUID();
      await sites.insertMany(tenantId, [{ ...record, id }]);
      return id;
    });
  }

  async update(request: UpdateSiteRequestDto): Promise<SiteDto> {
    requirePermission(request.actor, 'inventory:write');
    return this.write(request.actor.tenantId, async (sites) => {
      const current = await sites.findById(request.id);
      if (current === null) throw notFound('site');
      const record: SiteRecord = {
        name: request.name ?? current.name,
        kind: request.kind ?? current.kind,
        parentId: request.parentId === undefined ? current.parentId : request.parentId,
        timeZone: request.timeZone === undefined ? current.timeZone : request.timeZone,
        description: request.description === undefined ? current.description : request.description,
      };
      if (record.name !== current.name && (await sites.findIdByName(record.name)) !== null) throw conflict(`a site named ${record.name} exists`, 'name');
      await this.checkParent(sites, record, current.id);
      if (record.kind !== current.kind) {
        // The children must still fit under the new kind.
        for (const childKind of await sites.childKinds(current.id)) {
          const defect = siteParentDefect(`a ${childKind} inside it`, childKind as SiteKind, { name: record.name, kind: record.kind as SiteKind });
          if (defect !== undefined) throw conflict(`${record.name} cannot become a ${record.kind}: ${defect}`, 'kind');
        }
      }
      await sites.updateMany([{ ...record, id: current.id }]);
      return current.id;
    });
  }

  /** Refused while sites, subnets or exporters are in the site; answers the site as it was. */
  async delete(request: InventoryRefRequestDto): Promise<SiteDto> {
    requirePermission(request.actor, 'inventory:write');
    const { tenantId } = request.actor;
    try {
      const row = await this.db.withTenant(tenantId, async (m) => {
        const sites = new SiteRepository(m);
        await sites.lockInventory(tenantId);
        const current = await sites.findById(request.id);
        if (current === null) throw notFound('site');
        const children = await sites.countChildren(current.id);
        if (children > 0) throw conflict(`${children} sites are inside ${current.name}; move or delete them first`, 'id');
        const subnets = await new SubnetRepository(m).countOfSite(current.id);
        if (subnets > 0) throw conflict(`${subnets} subnets belong to ${current.name}; move or delete them first`, 'id');
        await sites.delete(current.id);
        return current;
      });
      return toSiteDto(row);
    } catch (err) {
      // The exporters registry (the ingest service's) references sites too: the database refuses the delete.
      if (isForeignKeyViolation(err)) throw conflict('exporters are assigned to the site; assign them elsewhere first', 'id');
      throw err;
    }
  }

  /** The parent exists, is not the site itself, and ranks above it. */
  private async checkParent(sites: SiteRepository, record: SiteRecord, ownId: string | null): Promise<void> {
    if (record.parentId === null) return;
    if (record.parentId === ownId) throw conflict('a site cannot be its own parent', 'parentId');
    const parent = await sites.findById(record.parentId);
    if (parent === null) throw new DomainException(ErrorCode.NotFound, 'no such parent site', [{ field: 'parentId', message: 'no such site' }]);
    // Rank alone rules out cycles: a parent ranks strictly above its child.
    const defect = siteParentDefect(record.name, record.kind as SiteKind, { name: parent.name, kind: parent.kind as SiteKind });
    if (defect !== undefined) throw conflict(defect, 'parentId');
  }

  /** Runs a change under the tenant's inventory lock and answers the site it names. */
  private async write(tenantId: string, change: (sites: SiteRepository) => Promise<string>): Promise<SiteDto> {
    try {
      const row: SiteRow | null = await this.db.withTenant(tenantId, async (m) => {
        const sites = new SiteRepository(m);
        await sites.lockInventory(tenantId);
        return sites.findById(await change(sites));
      });
      if (row === null) throw notFound('site');
      return toSiteDto(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('a site with this name exists', 'name');
      throw err;
    }
  }
}
