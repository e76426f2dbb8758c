import type { EntityManager } from 'typeorm';
import { singleRow } from '@clarion/persistence';

export interface AuditEventRow {
  tenantId: string;
  seq: number;
  occurredAt: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  target: string | null;
  outcome: 'success' | 'failure' | 'denied';
  sourceIp: string | null;
  userAgent: string | null;
  traceId: string | null;
  details: Record<string, unknown>;
  /** 1: hash = SHA-256(prev || event), the rule before the audit key; 2: hash = HMAC-SHA256(audit key, prev || event). */
  chainVersion: 1 | 2;
  /** The audit key that sealed a version-2 event (a digest naming it, not the key); null for version 1. */
  keyId: string | null;
  prevHash: Buffer;
  hash: Buffer;
}

const COLUMNS = `tenant_id AS "tenantId", seq::int AS seq, occurred_at AS "occurredAt", actor_type AS "actorType", actor_id AS "actorId", action, target,
  outcome, source_ip AS "sourceIp", user_agent AS "userAgent", trace_id AS "traceId", details, chain_version AS "chainVersion", key_id AS "keyId",
  prev_hash AS "prevHash", hash`;

export interface AuditFilter {
  action?: string;
  actorId?: string;
  outcome?: string;
  from?: Date;
  to?: Date;
  /** Events with seq below this (newest first paging). */
  beforeSeq?: number;
}

/** The append-only, hash-chained audit log of the tenant bound to the transaction. */
export class AuditRepository {
  constructor(private readonly manager: EntityManager) {}

  /** Locks the tenant's chain head for this transaction (creating it at seq 0), so appends are serialised. */
  async lockHead(tenantId: string, genesis: Buffer): Promise<{ seq: number; hash: Buffer }> {
    await this.manager.query(`INSERT INTO audit_chain_heads (tenant_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT DO NOTHING`, [tenantId, genesis]);
    const rows: Array<{ seq: number; hash: Buffer }> = await this.manager.query(
      `SELECT seq::int AS seq, hash FROM audit_chain_heads WHERE tenant_id = $1 FOR UPDATE`,
      [tenantId],
    );
    return singleRow(rows);
  }

  async append(e: AuditEventRow): Promise<void> {
    await this.manager.query(
      `INSERT INTO audit_events (tenant_id, seq, occurred_at, actor_type, actor_id, action, target, outcome, source_ip, user_agent, trace_id, details, chain_version, key_id, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [e.tenantId, e.seq, e.occurredAt, e.actorType, e.actorId, e.action, e.target, e.outcome, e.sourceIp, e.userAgent, e.traceId, JSON.stringify(e.details), e.chainVersion, e.keyId, e.prevHash, e.hash],
    );
    await this.manager.query(`UPDATE audit_chain_heads SET seq = $2, hash = $3 WHERE tenant_id = $1`, [e.tenantId, e.seq, e.hash]);
  }

  /** The chain version of the event at `seq` (null when there is none). */
  async chainVersionAt(seq: number): Promise<1 | 2 | null> {
    const rows: Array<{ chainVersion: 1 | 2 }> = await this.manager.query(`SELECT chain_version AS "chainVersion" FROM audit_events WHERE seq = $1`, [seq]);
    return rows[0]?.chainVersion ?? null;
  }

  async head(): Promise<{ seq: number; hash: Buffer } | null> {
    const rows: Array<{ seq: number; hash: Buffer }> = await this.manager.query(`SELECT seq::int AS seq, hash FROM audit_chain_heads`);
    return rows[0] ?? null;
  }

  /** Newest first. */
  query(filter: AuditFilter, limit: number): Promise<AuditEventRow[]> {
    return this.manager.query(
      `SELECT ${COLUMNS} FROM audit_events
        WHERE ($1::text IS NULL OR action = $1) AND ($2::text IS NULL OR actor_id = $2) AND ($3::text IS NULL OR outcome = $3)
          AND ($4::timestamptz IS NULL OR occurred_at >= $4) AND ($5::timestamptz IS NULL OR occurred_at < $5)
          AND ($6::bigint IS NULL OR seq < $6)
        ORDER BY seq DESC LIMIT $7`,
      [filter.action ?? null, filter.actorId ?? null, filter.outcome ?? null, filter.from ?? null, filter.to ?? null, filter.beforeSeq ?? null, limit],
    );
  }

  /** Oldest first, in chunks, for chain verification. */
  range(afterSeq: number, limit: number): Promise<AuditEventRow[]> {
    return this.manager.query(`SELECT ${COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`, [afterSeq, limit]);
  }
}
