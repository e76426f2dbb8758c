import { Injectable } from '@nestjs/common';
import {
  DomainException,
  ErrorCode,
  type AssignMembershipRequestDto,
  type ClearMembershipRequestDto,
  type MembershipChangeResultDto,
  type MembershipEventDto,
  type MembershipHistoryRequestDto,
  type Page,
} from '@clarion/contracts';
import { Database } from '@clarion/persistence';
import { EndpointQueryRepository, MembershipOverrideRepository, SgtRepository } from '../../data';
import { ClustersUpdatedPublisher } from '../shared/clusters-updated.publisher';
import { BIGINT_TEXT, DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor } from '../shared/page-cursor';
import { requirePermission } from '../shared/query-access';

/**
 * Manual SGT overrides: they win over clustering and a re-run never changes them. Endpoints the tenant has no profile
 * for are reported back rather than created, so a typo cannot invent an endpoint.
 */
@Injectable()
export class MembershipService {
  constructor(
    private readonly db: Database,
    private readonly events: ClustersUpdatedPublisher,
  ) {}

  async assign(request: AssignMembershipRequestDto): Promise<MembershipChangeResultDto> {
    requirePermission(request.actor, 'clusters:write');
    const { tenantId } = request.actor;
    const keys = [...new Set(request.endpoints)];
    const result = await this.db.withTenant(tenantId, async (m) => {
      if ((await new SgtRepository(m).findByValue(request.sgt)) === null) {
        throw new DomainException(ErrorCode.NotFound, `SGT ${request.sgt} is not in the registry`, [{ field: 'sgt', message: 'no such SGT' }]);
      }
      const known = new Set(await new EndpointQueryRepository(m).existingKeys(keys));
      const changed = known.size === 0 ? [] : await new MembershipOverrideRepository(m).upsertOverrides(tenantId, [...known], request.sgt, request.actor.id, request.reason ?? null);
      return { updated: changed.length, unknown: keys.filter((k) => !known.has(k)) };
    });
    if (result.updated > 0) this.events.publish(tenantId, 'membership');
    return result;
  }

  async clear(request: ClearMembershipRequestDto): Promise<MembershipChangeResultDto> {
    requirePermission(request.actor, 'clusters:write');
    const { tenantId } = request.actor;
    const keys = [...new Set(request.endpoints)];
    const result = await this.db.withTenant(tenantId, async (m) => {
      const known = new Set(await new EndpointQueryRepository(m).existingKeys(keys));
      const changed = known.size === 0 ? [] : await new MembershipOverrideRepository(m).clearOverrides(tenantId, [...known], request.actor.id);
      return { updated: changed.length, unknown: keys.filter((k) => !known.has(k)) };
    });
    if (result.updated > 0) this.events.publish(tenantId, 'membership');
    return result;
  }

  /** Newest first. `sgt` of each event is the SGT the endpoint carried after it. */
  async history(request: MembershipHistoryRequestDto): Promise<Page<MembershipEventDto>> {
    requirePermission(request.actor, 'endpoints:read');
    const ordering = `membership-history:${request.endpoint}`;
    const before = request.cursor === undefined ? undefined : decodeCursor(request.cursor, ordering, [BIGINT_TEXT])[0];
    const limit = request.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.db.withTenant(request.actor.tenantId, (m) => new MembershipOverrideRepository(m).history(request.endpoint, before, limit + 1));
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({
        id: r.id,
        at: r.at.toISOString(),
        kind: r.kind,
        clusterId: r.clusterId,
        sgt: r.sgt,
        actor: r.actor,
        reason: r.reason,
        jobId: r.jobId,
      })),
      nextCursor: rows.length > limit && last !== undefined ? encodeCursor(ordering, [last.id]) : null,
    };
  }
}
