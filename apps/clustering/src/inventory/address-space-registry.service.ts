import { Injectable } from '@nestjs/common';
import type { AddressSpaceDto, CreateAddressSpaceRequestDto, InventoryRefRequestDto, ListAddressSpacesRequestDto, Page, UpdateAddressSpaceRequestDto } from '@clarion/contracts';
import { Database } from '@clarion/persistence';
import { randomUUID } from 'node:crypto';
import { AddressSpaceRepository, SiteRepository, type AddressSpaceRecord } from '../data';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor } from '../query/shared/page-cursor';
import { requirePermission } from '../query/shared/query-access';
import { canonicalCidr, conflict, isUniqueViolation, notFound, toAddressSpaceDto } from './inventory-rules';

const CIDR_TEXT = /^[0-9a-f.:]{2,45}\/\d{1,3}$/;

/** Address spaces of a tenant: which networks are its own (internal) and which are named destinations (external). */
@Injectable()
export class AddressSpaceRegistryService {
  constructor(private readonly db: Database) {}

  async list(request: ListAddressSpacesRequestDto): Promise<Page<AddressSpaceDto>> {
    requirePermission(request.actor, 'inventory:read');
    const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, 'address-spaces:cidr', [CIDR_TEXT])[0];
    const limit = request.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.db.withTenant(request.actor.tenantId, (m) => new AddressSpaceRepository(m).list(after, limit + 1));
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toAddressSpaceDto), nextCursor: rows.length > limit && last !== undefined ? encodeCursor('address-spaces:cidr', [last.cidr]) : null };
  }

  async get(request: InventoryRefRequestDto): Promise<AddressSpaceDto> {
    requirePermission(request.actor, 'inventory:read');
    const row = await this.db.withTenant(request.actor.tenantId, (m) => new AddressSpaceRepository(m).findById(request.id));
    if (row === null) throw notFound('address space');
    return toAddressSpaceDto(row);
  }

  async create(request: CreateAddressSpaceRequestDto): Promise<AddressSpaceDto> {
    requirePermission(request.actor, 'inventory:write');
    const record: AddressSpaceRecord = { cidr: canonicalCidr(request.cidr), name: request.name, kind: request.kind, description: request.description ?? null };
    return this.write(request.actor.tenantId, async (spaces) => {
      if ((await spaces.findIdByCidr(record.cidr)) !== null) throw conflict(`an address space for ${record.cidr} exists`, 'cidr');
      const id = randomUUID();
      await spaces.insertMany(request.actor.tenantId, [{ ...record, id }]);
      return id;
    });
  }

  async update(request: UpdateAddressSpaceRequestDto): Promise<AddressSpaceDto> {
    requirePermission(request.actor, 'inventory:write');
    return this.write(request.actor.tenantId, async (spaces) => {
      const current = await spaces.findById(request.id);
      if (current === null) throw notFound('address space');
      const record: AddressSpaceRecord = {
        cidr: request.cidr === undefined ? current.cidr : canonicalCidr(request.cidr),
        name: request.name ?? current.name,
        kind: request.kind ?? current.kind,
        description: request.description === undefined ? current.description : request.description,
      };
      const holder = await spaces.findIdByCidr(record.cidr);
      if (holder !== null && holder !== current.id) throw conflict(`an address space for ${record.cidr} exists`, 'cidr');
      await spaces.updateMany([{ ...record, id: current.id }]);
      return current.id;
    });
  }

  async delete(request: InventoryRefRequestDto): Promise<AddressSpaceDto> {
    requirePermission(request.actor, 'inventory:write');
    const { tenantId } = request.actor;
    const row = await this.db.withTenant(tenantId, async (m) => {
      await new SiteRepository(m).lockInventory(tenantId);
      const spaces = new AddressSpaceRepository(m);
      const current = await spaces.findById(request.id);
      if (current === null) throw notFound('address space');
      await spaces.delete(current.id);
      return current;
    });
    return toAddressSpaceDto(row);
  }

  private async write(tenantId: string, change: (spaces: AddressSpaceRepository) => Promise<string>): Promise<AddressSpaceDto> {
    try {
      const row = await this.db.withTenant(tenantId, async (m) => {
        await new SiteRepository(m).lockInventory(tenantId);
        const spaces = new AddressSpaceRepository(m);
        return spaces.findById(await change(spaces));
      });
      if (row === null) throw notFound('address space');
      return toAddressSpaceDto(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('an address space for this network exists', 'cidr');
      throw err;
    }
  }
}
