import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { DomainException, ErrorCode, type AuditEventDto, type AuditQueryRequestDto, type Page } from '@clarion/contracts';
import { Database, TenantRepository } from '@clarion/persistence';
import { AuditRepository } from '../data';
import { ROOT_LOGGER } from '@clarion/platform';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { AuthEnv } from '../auth.env';
import { AuditChainVerifier, AuditKeyRing, genesisHash, type AuditFields, type ChainVerification } from './audit-chain';

export type { ChainVerification } from './audit-chain';

export interface AuditEntry {
  tenantId: string;
  actorType: 'user' | 'api_key' | 'system' | 'anonymous';
  actorId?: string | null;
  action: string;
  target?: string | null;
  outcome: 'success' | 'failure' | 'denied';
  sourceIp?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown>;
}

/** The action of the event that anchors a chain of unkeyed events (written before the audit key) to the key. */
export const AUDIT_CHAIN_KEYED_ACTION = 'audit.chain.keyed';

/**
 * The tenant's append-only audit log, chained: each event is sealed with an HMAC under the audit key (AUDIT_KEY, never
 * in the database) over the previous event's hash and the event, and a per-tenant head row records the last seq and
 * hash, so a changed, deleted or truncated event is detected, even by a database writer who recomputes the hashes.
 */
@Injectable()
export class AuditService implements OnApplicationBootstrap {
  private readonly keys: AuditKeyRing;

  constructor(
    private readonly db: Database,
    env: AuthEnv,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.keys = AuditKeyRing.of(env);
  }

  onApplicationBootstrap(): void {
    void this.db
      .start()
      .then(() => this.sealUnkeyedChains())
      .then((sealed) => sealed > 0 && this.logger.info({ tenants: sealed, keyId: this.keys.current.id }, 'sealed the unkeyed audit chains with the audit key'))
      .catch((err: unknown) => this.logger.error({ err }, 'could not seal the unkeyed audit chains'));
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.db.withTenant(entry.tenantId, (m) => this.append(m, entry));
  }

  /** Appends inside the caller's tenant transaction (so the event commits or rolls back with the change it records). */
  async append(manager: EntityManager, entry: AuditEntry): Promise<void> {
    const repo = new AuditRepository(manager);
    const head = await repo.lockHead(entry.tenantId, genesisHash(entry.tenantId));
    const fields: AuditFields = {
      tenantId: entry.tenantId,
      seq: head.seq + 1,
      occurredAt: new Date(),
      actorType: entry.actorType,
      actorId: entry.actorId ?? null,
      action: entry.action,
      target: entry.target ?? null,
      outcome: entry.outcome,
      sourceIp: entry.sourceIp ?? null,
      userAgent: entry.userAgent?.slice(0, 512) ?? null,
      traceId: trace.getActiveSpan()?.spanContext().traceId ?? null,
      details: entry.details ?? {},
    };
    const key = this.keys.current;
    await repo.append({ ...fields, chainVersion: 2, keyId: key.id, prevHash: head.hash, hash: key.seal(head.hash, fields) });
  }

  /**
   * Anchors every chain that ends in unkeyed events (written before the audit key) to the key: a keyed event
   * recording how many unkeyed events precede it and whether they verified, so that they can no longer be rewritten
   * unnoticed either. Returns how many chains it sealed.
   */
  async sealUnkeyedChains(): Promise<number> {
    let sealed = 0;
    for (const tenantId of await this.db.withoutTenant((m) => new TenantRepository(m).listIds())) {
      if (await this.sealUnkeyedChain(tenantId)) sealed++;
    }
    return sealed;
  }

  async sealUnkeyedChain(tenantId: string): Promise<boolean> {
    return this.db.withTenant(tenantId, async (m) => {
      const repo = new AuditRepository(m);
      const head = await repo.lockHead(tenantId, genesisHash(tenantId));
      if (head.seq === 0 || (await repo.chainVersionAt(head.seq)) !== 1) return false;
      const verified = await this.verifyIn(m, tenantId, true);
      await this.append(m, {
        tenantId,
        actorType: 'system',
        action: AUDIT_CHAIN_KEYED_ACTION,
        outcome: verified.ok ? 'success' : 'failure',
        details: { unkeyedEvents: head.seq, unkeyedChainIntact: verified.ok, keyId: this.keys.current.id },
      });
      return true;
    });
  }

  async query(request: AuditQueryRequestDto): Promise<Page<AuditEventDto>> {
    const limit = request.limit ?? 50;
    const beforeSeq = request.cursor ? Number.parseInt(request.cursor, 10) : undefined;
    if (request.cursor && (!Number.isSafeInteger(beforeSeq) || (beforeSeq ?? 0) < 1)) {
      throw new DomainException(ErrorCode.ValidationFailed, 'the cursor is not valid', [{ field: 'cursor', message: 'not a cursor from a previous page' }]);
    }
    const rows = await this.db.withTenant(request.actor.tenantId, (m) =>
      new AuditRepository(m).query(
        {
          action: request.action,
          actorId: request.actorId,
          outcome: request.outcome,
          from: request.from ? new Date(request.from) : undefined,
          to: request.to ? new Date(request.to) : undefined,
          beforeSeq,
        },
        limit + 1,
      ),
    );
    const items = rows.slice(0, limit).map((r) => ({
      seq: r.seq,
      occurredAt: r.occurredAt.toISOString(),
      actorType: r.actorType,
      actorId: r.actorId,
      action: r.action,
      target: r.target,
      outcome: r.outcome,
      sourceIp: r.sourceIp,
      userAgent: r.userAgent,
      traceId: r.traceId,
      details: r.details,
    }));
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? String(last.seq) : null };
  }

  /** Recomputes the tenant's whole chain (keyed events with their key, unkeyed ones by the old rule). */
  async verify(tenantId: string): Promise<ChainVerification> {
    return this.db.withTenant(tenantId, (m) => this.verifyIn(m, tenantId));
  }

  private async verifyIn(manager: EntityManager, tenantId: string, beforeSeal = false): Promise<ChainVerification> {
    const repo = new AuditRepository(manager);
    const verifier = new AuditChainVerifier(tenantId, this.keys);
    for (let after = 0; ; ) {
      const rows = await repo.range(after, 1000);
      const last = rows.at(-1);
      if (!last || !rows.every((row) => verifier.add(row))) break;
      after = last.seq;
    }
    return verifier.result(await repo.head(), beforeSeal);
  }
}
