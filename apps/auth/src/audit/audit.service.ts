import { Injectable } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { DomainException, ErrorCode, type AuditEventDto, type AuditQueryRequestDto, type Page } from '@clarion/contracts';
import { AuditRepository, Database } from '@clarion/persistence';
import type { EntityManager } from 'typeorm';
import { chainHash, genesisHash, type AuditFields } from './audit-chain';

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

export interface ChainVerification {
  tenantId: string;
  events: number;
  ok: boolean;
  /** The first broken link: the seq whose hash or predecessor does not match, or the missing seq. */
  brokenAt?: number;
  reason?: string;
}

/**
 * The tenant's append-only audit log, hash-chained: each event's hash covers the previous hash and the event, and a
 * per-tenant head row records the last seq and hash, so a changed, deleted or truncated event is detected.
 */
@Injectable()
export class AuditService {
  constructor(private readonly db: Database) {}

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
    await repo.append({ ...fields, prevHash: head.hash, hash: chainHash(head.hash, fields) });
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

  /** Recomputes the tenant's whole chain. */
  async verify(tenantId: string): Promise<ChainVerification> {
    return this.db.withTenant(tenantId, async (m) => {
      const repo = new AuditRepository(m);
      let prev = genesisHash(tenantId);
      let expectedSeq = 1;
      let count = 0;
      for (;;) {
        const rows = await repo.range(expectedSeq - 1, 1000);
        if (rows.length === 0) break;
        for (const row of rows) {
          if (row.seq !== expectedSeq) return { tenantId, events: count, ok: false, brokenAt: expectedSeq, reason: `event ${expectedSeq} is missing` };
          if (!row.prevHash.equals(prev)) return { tenantId, events: count, ok: false, brokenAt: row.seq, reason: `event ${row.seq} does not follow event ${row.seq - 1}` };
          const { prevHash: _p, hash, ...fields } = row;
          if (!chainHash(prev, fields).equals(hash)) return { tenantId, events: count, ok: false, brokenAt: row.seq, reason: `event ${row.seq} was changed` };
          prev = hash;
          expectedSeq++;
          count++;
        }
      }
      const head = await repo.head();
      if (head && (head.seq !== count || !head.hash.equals(prev))) {
        return { tenantId, events: count, ok: false, brokenAt: count + 1, reason: `events after ${count} were removed (the chain head records ${head.seq})` };
      }
      return { tenantId, events: count, ok: true };
    });
  }
}
