import type { AuditEventRow } from '../data';
import fc from 'fast-check';
import { AuditChainVerifier, AuditKey, AuditKeyRing, canonicalJson, genesisHash, unkeyedChainHash, type AuditFields } from './audit-chain';

const TENANT = '11111111-1111-4111-8111-111111111111';
const KEY = 'k'.repeat(32);
const OLD_KEY = 'o'.repeat(32);

const event = (over: Partial<AuditFields> = {}): AuditFields => ({
  tenantId: TENANT,
  seq: 1,
  occurredAt: new Date('2026-11-25T10:00:00.123Z'),
  actorType: 'user',
  actorId: 'u1',
  action: 'auth.login',
  target: 'a@b.example',
  outcome: 'success',
  sourceIp: '192.0.2.1',
  userAgent: 'ua',
  traceId: null,
  details: { b: 1, a: [2, { d: 3, c: 4 }] },
  ...over,
});

/** A chain as the service writes it: `unkeyed` events by the old rule, then the rest sealed with the given keys. */
function chain(unkeyed: number, sealedWith: AuditKey[]): AuditEventRow[] {
  const rows: AuditEventRow[] = [];
  let prev = genesisHash(TENANT);
  for (let seq = 1; seq <= unkeyed + sealedWith.length; seq++) {
    const fields = event({ seq, action: `action.${seq}` });
    const key = seq > unkeyed ? sealedWith[seq - unkeyed - 1] : undefined;
    const hash = key ? key.seal(prev, fields) : unkeyedChainHash(prev, fields);
    rows.push({ ...fields, chainVersion: key ? 2 : 1, keyId: key?.id ?? null, prevHash: prev, hash });
    prev = hash;
  }
  return rows;
}

function verify(rows: AuditEventRow[], ring = new AuditKeyRing(KEY), head = rows.length ? { seq: rows.length, hash: rows[rows.length - 1]!.hash } : null) {
  const verifier = new AuditChainVerifier(TENANT, ring);
  for (const row of rows) if (!verifier.add(row)) break;
  return verifier.result(head);
}

/** What a database writer without the key can do: change event `at` and recompute every later hash by the old rule. */
function rewriteUnkeyed(rows: AuditEventRow[], at: number, change: Partial<AuditFields>): AuditEventRow[] {
  let prev = at > 1 ? rows[at - 2]!.hash : genesisHash(TENANT);
  return rows.map((row) => {
    if (row.seq < at) return row;
    const { chainVersion: _v, keyId: _k, prevHash: _p, hash: _h, ...fields } = row;
    const changed = row.seq === at ? { ...fields, ...change } : fields;
    const hash = unkeyedChainHash(prev, changed);
    const rewritten = { ...changed, chainVersion: 1 as const, keyId: null, prevHash: prev, hash };
    prev = hash;
    return rewritten;
  });
}

describe('audit hash chain', () => {
  it('canonical JSON does not depend on key order at any depth', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
        expect(JSON.parse(canonicalJson(obj))).toEqual(JSON.parse(JSON.stringify(obj)));
      }),
    );
  });

  it('changes the seal when any field changes, under either rule', () => {
    const key = new AuditKey(KEY);
    const changes: Array<Partial<AuditFields>> = [{ seq: 2 }, { action: 'auth.logout' }, { outcome: 'failure' }, { actorId: 'u2' }, { details: { b: 2 } }, { occurredAt: new Date('2026-11-25T10:00:00.124Z') }];
    for (const seal of [(f: AuditFields) => key.seal(genesisHash('t'), f), (f: AuditFields) => unkeyedChainHash(genesisHash('t'), f)]) {
      const base = seal(event());
      for (const change of changes) expect(seal(event(change)).equals(base)).toBe(false);
    }
  });

  it('links each event to its predecessor', () => {
    const key = new AuditKey(KEY);
    const h1 = key.seal(genesisHash('t'), event());
    expect(key.seal(h1, event({ seq: 2 })).equals(key.seal(genesisHash('t'), event({ seq: 2 })))).toBe(false);
  });

  it('has a different genesis per tenant', () => {
    expect(genesisHash('a').equals(genesisHash('b'))).toBe(false);
  });

  it('seals differently under another key, and names each key by an id that is not the key', () => {
    const [a, b] = [new AuditKey(KEY), new AuditKey(OLD_KEY)];
    expect(a.seal(genesisHash('t'), event()).equals(b.seal(genesisHash('t'), event()))).toBe(false);
    expect(a.seal(genesisHash('t'), event()).equals(unkeyedChainHash(genesisHash('t'), event()))).toBe(false);
    expect(a.id).toMatch(/^[0-9a-f]{16}$/);
    expect(a.id).not.toBe(b.id);
    expect(new AuditKey(KEY).id).toBe(a.id);
    expect(a.id).not.toContain(Buffer.from(KEY).toString('hex').slice(0, 16));
  });

  it('reads the earlier keys from AUDIT_PREVIOUS_KEYS, separated by whitespace', () => {
    const ring = AuditKeyRing.of({ AUDIT_KEY: KEY, AUDIT_PREVIOUS_KEYS: `${OLD_KEY}\n  ${'p'.repeat(40)}\n` });
    expect(ring.current.id).toBe(new AuditKey(KEY).id);
    for (const secret of [KEY, OLD_KEY, 'p'.repeat(40)]) expect(ring.find(new AuditKey(secret).id)).toBeDefined();
    expect(ring.find(new AuditKey('q'.repeat(32)).id)).toBeUndefined();
  });
});

describe('AuditChainVerifier', () => {
  const key = new AuditKey(KEY);

  it('accepts a keyed chain, and unkeyed events that a keyed one follows', () => {
    expect(verify(chain(0, [key, key, key]))).toMatchObject({ ok: true, events: 3, unkeyedEvents: 0, keyIds: [key.id] });
    expect(verify(chain(4, [key, key]))).toMatchObject({ ok: true, events: 6, unkeyedEvents: 4 });
    expect(verify([])).toMatchObject({ ok: true, events: 0, head: null });
  });

  it('verifies the events of a rotated key with that key from AUDIT_PREVIOUS_KEYS, and names a key it does not hold', () => {
    const old = new AuditKey(OLD_KEY);
    const rows = chain(1, [old, old, key]);
    expect(verify(rows, new AuditKeyRing(KEY, [OLD_KEY]))).toMatchObject({ ok: true, keyIds: [old.id, key.id] });
    const withoutOld = verify(rows);
    expect(withoutOld).toMatchObject({ ok: false, brokenAt: 2 });
    expect(withoutOld.reason).toContain(`audit key ${old.id}, which is neither AUDIT_KEY nor in AUDIT_PREVIOUS_KEYS`);
  });

  it('detects a changed event whose later hashes were recomputed by the unkeyed rule', () => {
    // Keyed events rewritten as unkeyed ones, from event 2 on: the first keyed event that remains no longer follows.
    const partly = rewriteUnkeyed(chain(0, [key, key, key, key]), 2, { action: 'tampered' }).slice(0, 3).concat(chain(0, [key, key, key, key]).slice(3));
    expect(verify(partly)).toMatchObject({ ok: false, brokenAt: 2 });
    // Every keyed event rewritten, the head too: no keyed event is left to anchor the chain.
    const whole = rewriteUnkeyed(chain(0, [key, key, key]), 2, { action: 'tampered' });
    const result = verify(whole);
    expect(result).toMatchObject({ ok: false, brokenAt: 2 });
    expect(result.reason).toMatch(/unkeyed but follows keyed events/);
    // Unkeyed events before the key, one changed and those after it recomputed: the keyed event after them breaks.
    const legacy = rewriteUnkeyed(chain(3, []), 2, { action: 'tampered' }).concat(chain(3, [key]).slice(3));
    expect(verify(legacy)).toMatchObject({ ok: false, brokenAt: 4, reason: 'event 4 does not follow event 3' });
  });

  it('refuses a chain rewritten into unkeyed events from the start, and one whose keyed event was recomputed without the key', () => {
    const downgraded = rewriteUnkeyed(chain(0, [key, key]), 1, { action: 'tampered' });
    const result = verify(downgraded);
    expect(result).toMatchObject({ ok: false, brokenAt: 3 });
    expect(result.reason).toMatch(/unkeyed and no keyed event follows them/);

    const forged = chain(0, [key, key]);
    const guess = new AuditKey('g'.repeat(32));
    const fields = { ...event({ seq: 2, action: 'tampered' }) };
    forged[1] = { ...forged[1]!, ...fields, hash: guess.seal(forged[0]!.hash, fields) };
    expect(verify(forged, undefined, { seq: 2, hash: forged[1].hash })).toMatchObject({ ok: false, brokenAt: 2, reason: 'event 2 was changed' });
  });

  it('detects a missing event, events removed from the end and a missing head', () => {
    const rows = chain(0, [key, key, key]);
    expect(verify([rows[0]!, rows[2]!], undefined, { seq: 3, hash: rows[2]!.hash })).toMatchObject({ ok: false, brokenAt: 2, reason: 'event 2 is missing' });
    expect(verify(rows.slice(0, 2), undefined, { seq: 3, hash: rows[2]!.hash })).toMatchObject({ ok: false, brokenAt: 3 });
    expect(verify(rows, undefined, null)).toMatchObject({ ok: false, reason: 'the chain head is missing' });
  });
});
