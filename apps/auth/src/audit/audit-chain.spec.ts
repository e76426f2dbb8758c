import fc from 'fast-check';
import { canonicalJson, chainHash, genesisHash, type AuditFields } from './audit-chain';

const event = (over: Partial<AuditFields> = {}): AuditFields => ({
  tenantId: '11111111-1111-4111-8111-111111111111',
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

  it('changes the hash when any field changes', () => {
    const base = chainHash(genesisHash('t'), event());
    const changes: Array<Partial<AuditFields>> = [{ seq: 2 }, { action: 'auth.logout' }, { outcome: 'failure' }, { actorId: 'u2' }, { details: { b: 2 } }, { occurredAt: new Date('2026-11-25T10:00:00.124Z') }];
    for (const change of changes) {
      expect(chainHash(genesisHash('t'), event(change)).equals(base)).toBe(false);
    }
  });

  it('links each event to its predecessor', () => {
    const h1 = chainHash(genesisHash('t'), event());
    const h2a = chainHash(h1, event({ seq: 2 }));
    const h2b = chainHash(genesisHash('t'), event({ seq: 2 }));
    expect(h2a.equals(h2b)).toBe(false);
  });

  it('has a different genesis per tenant', () => {
    expect(genesisHash('a').equals(genesisHash('b'))).toBe(false);
  });
});
