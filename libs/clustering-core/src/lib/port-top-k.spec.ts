import fc from 'fast-check';
import { ByteReader, ByteWriter } from './byte-codec';
import { PortTopK } from './port-top-k';

const parameters = { capacity: 8, sketch: { width: 64, depth: 4, seed: 3 } };

function build(keys: readonly number[]): PortTopK {
  const top = new PortTopK(parameters);
  for (const k of keys) top.add(k);
  return top;
}

describe('PortTopK', () => {
  it('counts exactly while at most capacity distinct keys were seen', () => {
    const top = build([443, 443, 53, 443, 9100, 53]);
    expect(top.overflowed).toBe(false);
    expect(top.entries()).toEqual([
      { key: 443, count: 3 },
      { key: 53, count: 2 },
      { key: 9100, count: 1 },
    ]);
  });

  it('merge is exact, commutative and associative while the union fits in capacity', () => {
    const keys = fc.array(fc.integer({ min: 1, max: 8 }), { maxLength: 60 });
    fc.assert(
      fc.property(keys, keys, keys, (a, b, c) => {
        const left = build(a).mergeFrom(build(b)).mergeFrom(build(c));
        const right = build(c).mergeFrom(build(b).mergeFrom(build(a)));
        expect(left.entries()).toEqual(right.entries());
        expect(left.entries()).toEqual(build([...a, ...b, ...c]).entries());
      }),
    );
  });

  it('keeps the heavy hitters with never-undercounted counts after overflowing capacity', () => {
    const keys: number[] = [];
    for (let i = 0; i < 400; i++) keys.push(443);
    for (let i = 0; i < 200; i++) keys.push(53);
    for (let k = 1000; k < 1100; k++) keys.push(k, k);
    for (let i = 0; i < 150; i++) keys.push(8883);
    const top = build(keys);
    expect(top.overflowed).toBe(true);
    const entries = top.entries();
    expect(entries.slice(0, 3).map((e) => e.key)).toEqual([443, 53, 8883]);
    expect(entries[0].count).toBeGreaterThanOrEqual(400);
    expect(top.total).toBe(keys.length);
  });

  it('merge is commutative after overflow', () => {
    const keys = fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 120 });
    fc.assert(
      fc.property(keys, keys, (a, b) => {
        expect(build(a).mergeFrom(build(b)).entries()).toEqual(build(b).mergeFrom(build(a)).entries());
      }),
    );
  });

  it('round-trips through its binary form, overflowed or not', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 70000 }), { maxLength: 100 }), (keys) => {
        const top = build(keys);
        const w = new ByteWriter();
        top.encode(w);
        const copy = PortTopK.decode(new ByteReader(w.finish()), parameters.sketch);
        expect(copy.entries()).toEqual(top.entries());
        expect(copy.total).toBe(top.total);
        expect(copy.overflowed).toBe(top.overflowed);
      }),
    );
  });
});
