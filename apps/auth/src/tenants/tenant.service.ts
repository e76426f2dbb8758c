import { Inject, Injectable } from '@nestjs/common';
import {
  DomainException,
  ErrorCode,
  EventSubjects,
  type ActorDto,
  type CreateTenantRequestDto,
  type ListTenantsRequestDto,
  type Page,
  type TenantChangedEvent,
  type TenantDto,
  type TenantRefRequestDto,
  type TenantStatus,
  type UpdateTenantRequestDto,
} from '@clarion/contracts';
import { NatsConnectionHolder, publishEvent } from '@clarion/messaging';
import { Database, TenantRepository, type TenantRow } from '@clarion/persistence';
import { ROOT_LOGGER } from '@clarion/platform';
import type { Logger } from 'pino';
import { ApiKeyService } from '../api-keys/api-key.service';
import { AuditService, type AuditEntry } from '../audit/audit.service';
import { SessionRepository } from '../data';
import { SessionRevocations } from '../sessions/session-revocations';
import { assertPermission } from '../users/user-permissions';

const DEFAULT_PAGE = 50;
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function toTenantDto(row: TenantRow): TenantDto {
  return { id: row.id, slug: row.slug, name: row.name, status: row.status as TenantStatus, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

const cursorOf = (slug: string): string => Buffer.from(slug, 'utf8').toString('base64url');
function slugOfCursor(cursor: string): string {
  const slug = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!SLUG.test(slug)) throw new DomainException(ErrorCode.ValidationFailed, 'the cursor is not valid', [{ field: 'cursor', message: 'not a cursor from a previous page' }]);
  return slug;
}

/**
 * Tenants, managed by superadmins (`tenants:manage`): created active, renamed, suspended and resumed. Suspending a
 * tenant ends its sessions at once (the revoked-session set and its event), clears its API keys from every gateway's
 * cache (their next verification refuses them while it is suspended), and makes sign-ins fail; every change is
 * announced on `clarion.auth.tenants.changed.v1` for ingest, and audited in the acting superadmin's tenant and in
 * the tenant changed.
 */
@Injectable()
export class TenantService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly apiKeys: ApiKeyService,
    private readonly revocations: SessionRevocations,
    private readonly nats: NatsConnectionHolder,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async list(request: ListTenantsRequestDto): Promise<Page<TenantDto>> {
    assertPermission(request.actor, 'tenants:manage');
    const limit = request.limit ?? DEFAULT_PAGE;
    const after = request.cursor === undefined ? undefined : slugOfCursor(request.cursor);
    const rows = await this.db.withoutTenant((m) => new TenantRepository(m).list(after, limit + 1));
    const items = rows.slice(0, limit).map(toTenantDto);
    return { items, nextCursor: rows.length > limit ? cursorOf(items[items.length - 1].slug) : null };
  }

  async get(request: TenantRefRequestDto): Promise<TenantDto> {
    assertPermission(request.actor, 'tenants:manage');
    return toTenantDto(await this.require(request.tenantId));
  }

  async create(request: CreateTenantRequestDto): Promise<TenantDto> {
    const { actor } = request;
    assertPermission(actor, 'tenants:manage');
    const row = await this.db.withoutTenant((m) => new TenantRepository(m).insertIfAbsent(request.slug, request.name));
    if (row === null) throw new DomainException(ErrorCode.Conflict, `a tenant ${request.slug} exists`, [{ field: 'slug', message: 'taken' }]);
    await this.recordBoth(actor, row.id, { action: 'tenant.create', details: { slug: row.slug, name: row.name } });
    this.announce(row);
    return toTenantDto(row);
  }

  async update(request: UpdateTenantRequestDto): Promise<TenantDto> {
    const { actor } = request;
    assertPermission(actor, 'tenants:manage');
    if (request.status === 'suspended' && request.tenantId === actor.tenantId) {
      throw new DomainException(ErrorCode.Conflict, 'a superadmin cannot suspend their own tenant; ask a superadmin of another tenant', [{ field: 'status', message: 'own tenant' }]);
    }
    const current = await this.require(request.tenantId);
    const changes = { name: request.name !== current.name ? request.name : undefined, status: request.status !== current.status ? request.status : undefined };
    if (changes.name === undefined && changes.status === undefined) return toTenantDto(current);
    const row = await this.db.withoutTenant((m) => new TenantRepository(m).update(current.id, changes));
    if (row === null) throw new DomainException(ErrorCode.NotFound, 'no such tenant');
    if (changes.name !== undefined) await this.recordBoth(actor, row.id, { action: 'tenant.rename', details: { from: current.name, to: row.name } });
    if (changes.status !== undefined) {
      const ended = changes.status === 'suspended' ? await this.endAccess(row.id) : { sessionsEnded: 0, keysCleared: 0 };
      await this.recordBoth(actor, row.id, { action: 'tenant.status_change', details: { from: current.status, to: row.status, ...ended } });
    }
    this.announce(row);
    return toTenantDto(row);
  }

  /** Ends the suspended tenant's sessions and clears its API keys from the gateways' caches. */
  private async endAccess(tenantId: string): Promise<{ sessionsEnded: number; keysCleared: number }> {
    return this.db.withTenant(tenantId, async (m) => {
      const sessions = await new SessionRepository(m).revokeAllOfTenant('tenant_suspended');
      await this.revocations.ended(tenantId, sessions);
      const keysCleared = await this.apiKeys.clearCachedKeysOfTenant(m);
      return { sessionsEnded: sessions.length, keysCleared };
    });
  }

  /** Audits a change in the acting superadmin's tenant and, when it is another, in the tenant changed. */
  private async recordBoth(actor: ActorDto, tenantId: string, event: Pick<AuditEntry, 'action' | 'details'>): Promise<void> {
    const entry = { actorType: actor.kind, actorId: actor.id, target: tenantId, outcome: 'success' as const, sourceIp: actor.sourceIp, userAgent: actor.userAgent, ...event };
    await this.audit.record({ ...entry, tenantId: actor.tenantId });
    if (tenantId !== actor.tenantId) await this.audit.record({ ...entry, tenantId, details: { ...event.details, byTenant: actor.tenantId } });
  }

  private announce(row: TenantRow): void {
    const event: TenantChangedEvent = { tenantId: row.id, slug: row.slug, status: row.status as TenantStatus, at: new Date().toISOString() };
    const outcome = publishEvent(this.nats, EventSubjects.tenantsChanged, event);
    // Ingest also resolves a tenant it has not seen when its flows first arrive: the event only makes it immediate.
    if (!outcome.published) this.logger.warn({ tenantId: row.id, reason: outcome.reason }, 'tenant change event not published');
  }

  private async require(tenantId: string): Promise<TenantRow> {
    const row = await this.db.withoutTenant((m) => new TenantRepository(m).findRowById(tenantId));
    if (row === null) throw new DomainException(ErrorCode.NotFound, 'no such tenant');
    return row;
  }
}
