import type { AuditEventRow } from '@clarion/persistence';
import { createHash } from 'node:crypto';

/** The fields of an audit event that its hash covers (everything except the hashes themselves). */
export type AuditFields = Omit<AuditEventRow, 'prevHash' | 'hash'>;

/** JSON with object keys sorted at every level, so the same event always hashes the same after a jsonb round trip. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The first link of a tenant's chain. */
export function genesisHash(tenantId: string): Buffer {
  return createHash('sha256').update(`clarion-audit-genesis:${tenantId}`).digest();
}

/** hash_n = SHA-256(hash_{n-1} || canonical(event_n)): changing, removing or reordering any event breaks every later link. */
export function chainHash(prevHash: Buffer, event: AuditFields): Buffer {
  const body = canonicalJson({ ...event, occurredAt: event.occurredAt.toISOString() });
  return createHash('sha256').update(prevHash).update(body).digest();
}
