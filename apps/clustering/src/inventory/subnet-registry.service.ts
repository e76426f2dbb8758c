import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode, type CreateSubnetRequestDto, type InventoryRefRequestDto, type ListSubnetsRequestDto, type Page, type SubnetDto, type UpdateSubnetRequestDto } from '@clarion/contracts';
import { Database } from '@clarion/persistence';
import { randomUUID } from 'node:crypto';
import { SiteRepository, SubnetRepository, type SubnetRecord } from '../data';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor } from '../query/shared/page-cursor';
import { requirePermission } from '../query/shared/query-access';
import { canonicalCidr, conflict, isUniqueViolation, notFound, toSubnetDto } from './inventory-rules';

const CIDR_TEXT = /^[0-9a-f.:]{2,45}\/\d{1,3}$/;

/** Subnets of a tenant: the networks of its sites, with their VLAN and purpose. Always internal. */
@Injectable()
export class SubnetRegistryService {
  constructor(private readonly db: Database) {}

  async list(request: ListSubnetsRequestDto): Promise<Page<SubnetDto>> {
    requirePermission(request.actor, 'inventory:read');
    const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, 'subnets:cidr', [CIDR_TEXT])[0];
    const limit = request.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.db.withTenant(request.actor.tenantId, (m) => new SubnetRepository(m).list(after, limit + 1, request.siteId));
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toSubnetDto), nextCursor: rows.length > limit && last !== undefined ? encodeCursor('subnets:cidr', [last.cidr]) : null };
  }

  async get(request: InventoryRefRequestDto): Promise<SubnetDto> {
    requirePermission(request.actor, 'inventory:read');
    const row = await this.db.withTenant(request.actor.tenantId, (m) => new SubnetRepository(m).findById(request.id));
    if (row === null) throw notFound('subnet');
    return toSubnetDto(row);
  }

  async create(request: CreateSubnetRequestDto): Promise<SubnetDto> {
    requirePermission(request.actor, 'inventory:write');
    const record: SubnetRecord = {
      cidr: canonicalCidr(request.cidr),
      name: request.name ?? null,
      siteId: request.siteId ?? null,
      vlan: request.vlan ?? null,
      purpose: request.purpose ?? null,
      description: request.description ?? null,
    };
    return this.write(request.actor.tenantId, async (subnets, sites) => {
      if ((await subnets.findIdByCidr(record.cidr)) !== null) throw conflict(`a subnet ${record.cidr} exists`, 'cidr');
      await checkSite(sites, record.siteId);
      const id = randomUUID();
      await subnets.insertMany(request.actor.tenantId, [{ ...record, id }]);
      return id;
    });
  }

  async update(request: UpdateSubnetRequestDto): Promise<SubnetDto> {
    requirePermission(request.actor, 'inventory:write');
    return this.write(request.actor.tenantId, async (subnets, sites) => {
      const current = await subnets.findById(request.id);
      if (current === null) throw notFound('subnet');
      const record: SubnetRecord = {
        cidr: request.cidr === undefined ? current.cidr : canonicalCidr(request.cidr),
        name: request.name === undefined ? current.name : request.name,
        siteId: request.siteId === undefined ? current.siteId : request.siteId,
        vlan: request.vlan === undefined ? current.vlan : request.vlan,
        purpose: request.purpose === undefined ? current.purpose : request.purpose,
        description: request.description === undefined ? current.description : request.description,
      };
      const holder = await subnets.findIdByCidr(record.cidr);
      if (holder !== null && holder !== current.id) throw conflict(`a subnet ${record.cidr} exists`, 'cidr');
      if (record.siteId !== current.siteId) await checkSite(sites, record.siteId);
      await subnets.updateMany([{ ...record, id: current.id }]);
      return current.id;
    });
  }

  async delete(request: InventoryRefRequestDto): Promise<SubnetDto> {
    requirePermission(request.actor, 'inventory:write');
    const { tenantId } = request.actor;
    const row = await this.db.withTenant(tenantId, async (m) => {
      await new SiteRepository(m).lockInventory(tenantId);
      const subnets = new SubnetRepository(m);
      const current = await subnets.findById(request.id);
      if (current === null) throw notFound('subnet');
      await subnets.delete(current.id);
      return current;
    });
    return toSubnetDto(row);
  }

  private async write(tenantId: string, change: (subnets: SubnetRepository, sites: SiteRepository) => Promise<string>): Promise<SubnetDto> {
    try {
      const row = await this.db.withTenant(tenantId, async (m) => {
        const sites = new SiteRepository(m);
        await sites.lockInventory(tenantId);
        const subnets = new SubnetRepository(m);
        return subnets.findById(await change(subnets, sites));
      });
      if (row === null) throw notFound('subnet');
      return toSubnetDto(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('a subnet for this network exists', 'cidr');
      throw err;
    }
  }
}

async function checkSite(sites: SiteRepository, siteId: string | null): Promise<void> {
  if (siteId !== null && (await sites.findById(siteId)) === null) {
    throw new DomainException(ErrorCode.NotFound, 'no such site', [{ field: 'siteId', message: 'no such site' }]);
  }
}
