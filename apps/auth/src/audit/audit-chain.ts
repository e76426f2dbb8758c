import type { AuditEventRow } from '../data';
import { createHash, createHmac, hkdfSync } from 'node:crypto';

/** The fields of an audit event that its hash covers (everything except how it is chained). */
export type AuditFields = Omit<AuditEventRow, 'chainVersion' | 'keyId' | 'prevHash' | 'hash'>;

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

/**
 * Chain version 1, the rule before the audit key: hash_n = SHA-256(hash_{n-1} || canonical(event_n)). Anyone who can
 * write the table can recompute it, so it is kept only to verify the events written under it.
 */
export function unkeyedChainHash(prevHash: Buffer, event: AuditFields): Buffer {
  const body = canonicalJson({ ...event, occurredAt: event.occurredAt.toISOString() });
  return createHash('sha256').update(prevHash).update(body).digest();
}

/**
 * One audit key (AUDIT_KEY, or one of AUDIT_PREVIOUS_KEYS): chain version 2 seals each event with
 * HMAC-SHA256(key, hash_{n-1} || canonical(event_n and the key id)), which nobody without the key can recompute.
 * The HMAC key is derived from the secret with HKDF under a label of its own, so the same string used elsewhere by
 * mistake still gives an unrelated key. The id is a digest of the derived key: it names the key, it does not reveal it.
 */
export class AuditKey {
  readonly id: string;
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), 'clarion-audit-chain-v2', 32));
    this.id = createHmac('sha256', this.key).update('clarion-audit-key-id').digest('hex').slice(0, 16);
  }

  seal(prevHash: Buffer, event: AuditFields): Buffer {
    const body = canonicalJson({ ...event, occurredAt: event.occurredAt.toISOString(), keyId: this.id });
    return createHmac('sha256', this.key).update(prevHash).update(body).digest();
  }
}

/** The key that seals new events and the earlier ones that still verify the events they sealed. */
export class AuditKeyRing {
  readonly current: AuditKey;
  private readonly byId = new Map<string, AuditKey>();

  constructor(current: string, previous: readonly string[] = []) {
    this.current = new AuditKey(current);
    for (const key of [this.current, ...previous.map((secret) => new AuditKey(secret))]) this.byId.set(key.id, key);
  }

  /** AUDIT_PREVIOUS_KEYS holds the retired keys separated by whitespace (one a line in its _FILE form). */
  static of(env: { AUDIT_KEY: string; AUDIT_PREVIOUS_KEYS?: string }): AuditKeyRing {
    return new AuditKeyRing(env.AUDIT_KEY, (env.AUDIT_PREVIOUS_KEYS ?? '').split(/\s+/).filter(Boolean));
  }

  find(keyId: string): AuditKey | undefined {
    return this.byId.get(keyId);
  }
}

export interface ChainVerification {
  tenantId: string;
  events: number;
  /** Events written before the audit key (chain version 1), all at the start of the chain. */
  unkeyedEvents: number;
  /** The keys that sealed the keyed events. */
  keyIds: string[];
  /**
   * The chain head (last seq and its hash, hex). A key cannot tell a chain from one cut short at an earlier event and
   * its head rewritten to match; a head recorded outside the database can: a later one must extend it.
   */
  head: { seq: number; hash: string } | null;
  ok: boolean;
  /** The first broken link: the seq whose hash or predecessor does not match, or the missing seq. */
  brokenAt?: number;
  reason?: string;
}

/**
 * Walks a tenant's chain oldest first. Unkeyed events verify by the old rule, but only before the first keyed one:
 * an unkeyed event after a keyed one is a keyed event rewritten, and a chain that has no keyed event at all after
 * its unkeyed ones is not anchored by the key (the auth service appends a keyed event to such a chain when it starts,
 * so only a rewritten chain stays like that).
 */
export class AuditChainVerifier {
  private prev: Buffer;
  private events = 0;
  private unkeyed = 0;
  private readonly keyIds = new Set<string>();
  private broken?: { brokenAt: number; reason: string };

  constructor(
    private readonly tenantId: string,
    private readonly keys: AuditKeyRing,
  ) {
    this.prev = genesisHash(tenantId);
  }

  /** The next event; false once the chain is broken (the rest need not be read). */
  add(row: AuditEventRow): boolean {
    if (this.broken) return false;
    const seq = this.events + 1;
    const fail = (brokenAt: number, reason: string) => {
      this.broken = { brokenAt, reason };
      return false;
    };
    if (row.seq !== seq) return fail(seq, `event ${seq} is missing`);
    if (!row.prevHash.equals(this.prev)) return fail(seq, `event ${seq} does not follow event ${seq - 1}`);
    const { chainVersion, keyId, prevHash: _prev, hash, ...fields } = row;
    let expected: Buffer;
    if (chainVersion === 1) {
      if (this.keyIds.size > 0) return fail(seq, `event ${seq} is unkeyed but follows keyed events: a keyed event was rewritten`);
      expected = unkeyedChainHash(this.prev, fields);
      this.unkeyed++;
    } else if (chainVersion === 2) {
      const key = keyId === null ? undefined : this.keys.find(keyId);
      if (!key) return fail(seq, `event ${seq} was sealed with audit key ${keyId}, which is neither AUDIT_KEY nor in AUDIT_PREVIOUS_KEYS`);
      expected = key.seal(this.prev, fields);
      this.keyIds.add(key.id);
    } else {
      return fail(seq, `event ${seq} has an unknown chain version ${String(chainVersion)}`);
    }
    if (!expected.equals(hash)) return fail(seq, `event ${seq} was changed`);
    this.prev = hash;
    this.events++;
    return true;
  }

  /**
   * The verdict, given the tenant's chain head (the last seq and hash appended). `beforeSeal` judges an unkeyed chain
   * that is about to be sealed by its links alone (nothing can anchor it yet).
   */
  result(head: { seq: number; hash: Buffer } | null, beforeSeal = false): ChainVerification {
    const summary = {
      tenantId: this.tenantId,
      events: this.events,
      unkeyedEvents: this.unkeyed,
      keyIds: [...this.keyIds],
      head: head ? { seq: head.seq, hash: head.hash.toString('hex') } : null,
    };
    if (this.broken) return { ...summary, ok: false, ...this.broken };
    const n = this.events;
    if (n > 0 && !head) return { ...summary, ok: false, brokenAt: n, reason: 'the chain head is missing' };
    if (head && (head.seq !== n || !head.hash.equals(this.prev))) {
      return { ...summary, ok: false, brokenAt: n + 1, reason: `events after ${n} were removed (the chain head records ${head.seq})` };
    }
    if (n > 0 && this.unkeyed === n && !beforeSeal) {
      return {
        ...summary,
        ok: false,
        brokenAt: n + 1,
        reason: `events 1-${n} are unkeyed and no keyed event follows them (the auth service seals such a chain when it starts; otherwise it was rewritten)`,
      };
    }
    return { ...summary, ok: true };
  }
}
