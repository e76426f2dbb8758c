import { Injectable } from '@nestjs/common';
import {
  DomainException,
  ErrorCode,
  type CreateSgtRequestDto,
  type ListSgtsRequestDto,
  type Page,
  type SgtDto,
  type SgtRefRequestDto,
  type UpdateSgtRequestDto,
} from '@clarion/contracts';
import { allocateSgt, SGT_RANGES, SgtCategory } from '@clarion/clustering-core';
import { Database } from '@clarion/persistence';
import { SgtRepository, type SgtRow } from '../../data';
import { BIGINT_TEXT, DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor } from '../shared/page-cursor';
import { ClustersUpdatedPublisher } from '../shared/clusters-updated.publisher';
import { requirePermission } from '../shared/query-access';

/**
 * Where an SGT of each API category is allocated when no value is given. The conventional ranges (users 2-9, servers
 * 10-19, devices 20-29, special 30-39) have no infrastructure or restricted range: both are "special" groups.
 * Custom SGTs take the lowest free value above the conventional ranges.
 */
const CATEGORY_RANGE: Record<string, SgtCategory | null> = {
  users: SgtCategory.USERS,
  servers: SgtCategory.SERVERS,
  devices: SgtCategory.DEVICES,
  infrastructure: SgtCategory.SPECIAL,
  restricted: SgtCategory.SPECIAL,
  custom: null,
};
const CUSTOM_RANGE: readonly [number, number] = [SGT_RANGES[SgtCategory.SPECIAL][1] + 1, 65519];

function toDto(row: SgtRow): SgtDto {
  return {
    value: row.value,
    name: row.name,
    description: row.description,
    category: row.category,
    clusterId: row.clusterId,
    members: Number(row.members),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const conflict = (message: string, field: string) => new DomainException(ErrorCode.Conflict, message, [{ field, message }]);

/**
 * The SGT registry: stable names and values, optionally bound to a cluster (whose members then carry the SGT unless
 * overridden). Every change runs under a per-tenant lock so its checks and the write see the same registry.
 */
@Injectable()
export class SgtRegistryService {
  constructor(
    private readonly db: Database,
    private readonly events: ClustersUpdatedPublisher,
  ) {}

  async list(request: ListSgtsRequestDto): Promise<Page<SgtDto>> {
    requirePermission(request.actor, 'sgts:read');
    const after = request.cursor === undefined ? undefined : Number(decodeCursor(request.cursor, 'sgts:value', [BIGINT_TEXT])[0]);
    const limit = request.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.db.withTenant(request.actor.tenantId, (m) => new SgtRepository(m).list(after, limit + 1));
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toDto), nextCursor: rows.length > limit && last !== undefined ? encodeCursor('sgts:value', [last.value]) : null };
  }

  async get(request: SgtRefRequestDto): Promise<SgtDto> {
    requirePermission(request.actor, 'sgts:read');
    const row = await this.db.withTenant(request.actor.tenantId, (m) => new SgtRepository(m).findByValue(request.value));
    if (row === null) throw new DomainException(ErrorCode.NotFound, 'no such SGT');
    return toDto(row);
  }

  async create(request: CreateSgtRequestDto): Promise<SgtDto> {
    requirePermission(request.actor, 'sgts:write');
    const { tenantId } = request.actor;
    const category = request.category ?? 'custom';
    const row = await this.db.withTenant(tenantId, async (m) => {
      const sgts = new SgtRepository(m);
      await sgts.lockRegistry(tenantId);
      if ((await sgts.findValueByName(request.name)) !== null) throw conflict(`an SGT named ${request.name} exists`, 'name');
      if (request.clusterId !== undefined) await this.checkBindable(sgts, request.clusterId, null);
      let value = request.value;
      if (value === undefined) {
        value = (await this.allocate(sgts, category)) ?? undefined;
        if (value === undefined) throw conflict(`no free SGT value left for category ${category}`, 'category');
      } else if ((await sgts.findByValue(value)) !== null) {
        throw conflict(`SGT ${value} exists`, 'value');
      }
      const inserted = await sgts.insert(tenantId, {
        value,
        name: request.name,
        description: request.description ?? null,
        category,
        clusterId: request.clusterId ?? null,
        createdBy: request.actor.id,
      });
      if (!inserted) throw conflict('the SGT registry changed concurrently; try again', 'value');
      return this.require(sgts, value);
    });
    this.events.publish(tenantId, 'sgt');
    return toDto(row);
  }

  async update(request: UpdateSgtRequestDto): Promise<SgtDto> {
    requirePermission(request.actor, 'sgts:write');
    const { tenantId } = request.actor;
    const row = await this.db.withTenant(tenantId, async (m) => {
      const sgts = new SgtRepository(m);
      await sgts.lockRegistry(tenantId);
      const current = await sgts.findByValue(request.value);
      if (current === null) throw new DomainException(ErrorCode.NotFound, 'no such SGT');
      if (request.name !== undefined && request.name !== current.name) {
        if ((await sgts.findValueByName(request.name)) !== null) throw conflict(`an SGT named ${request.name} exists`, 'name');
      }
      if (request.clusterId !== undefined && request.clusterId !== null && request.clusterId !== current.clusterId) {
        await this.checkBindable(sgts, request.clusterId, request.value);
      }
      await sgts.update(request.value, { name: request.name, description: request.description, clusterId: request.clusterId });
      return this.require(sgts, request.value);
    });
    this.events.publish(tenantId, 'sgt');
    return toDto(row);
  }

  /** Deletes the SGT (its cluster binding goes with it); refused while endpoints carry it as a manual override. */
  async delete(request: SgtRefRequestDto): Promise<SgtDto> {
    requirePermission(request.actor, 'sgts:write');
    const { tenantId } = request.actor;
    const row = await this.db.withTenant(tenantId, async (m) => {
      const sgts = new SgtRepository(m);
      await sgts.lockRegistry(tenantId);
      const current = await sgts.findByValue(request.value);
      if (current === null) throw new DomainException(ErrorCode.NotFound, 'no such SGT');
      const overrides = await sgts.countOverrides(request.value);
      if (overrides > 0) throw conflict(`${overrides} endpoints carry SGT ${request.value} as a manual override; clear those first`, 'value');
      await sgts.delete(request.value);
      return current;
    });
    this.events.publish(tenantId, 'sgt');
    return toDto(row);
  }

  /** The cluster must exist, not be retired, and carry no SGT other than `ownValue`. */
  private async checkBindable(sgts: SgtRepository, clusterId: string, ownValue: number | null): Promise<void> {
    const state = await sgts.clusterState(clusterId);
    if (state !== 'active') throw new DomainException(ErrorCode.NotFound, state === 'retired' ? `cluster ${clusterId} is retired` : `no cluster ${clusterId}`);
    const bound = await sgts.findValueByCluster(clusterId);
    if (bound !== null && bound !== ownValue) throw conflict(`cluster ${clusterId} is bound to SGT ${bound}`, 'clusterId');
  }

  private async allocate(sgts: SgtRepository, category: string): Promise<number | null> {
    const range = CATEGORY_RANGE[category] ?? null;
    if (range === null) return sgts.lowestFreeValueFrom(CUSTOM_RANGE[0], CUSTOM_RANGE[1]);
    const [lo, hi] = SGT_RANGES[range];
    return allocateSgt(range, await sgts.valuesBetween(lo, hi));
  }

  private async require(sgts: SgtRepository, value: number): Promise<SgtRow> {
    const row = await sgts.findByValue(value);
    if (row === null) throw new DomainException(ErrorCode.Internal, 'the SGT vanished during its own transaction');
    return row;
  }
}
