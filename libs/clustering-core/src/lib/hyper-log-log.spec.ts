import fc from 'fast-check';
import { ClusteringCoreErrorCode } from './clustering-core.error';
import { HyperLogLog } from './hyper-log-log';

function build(precision: number, items: readonly string[]): HyperLogLog {
  const hll = new HyperLogLog(precision);
  for (const item of items) hll.add(item);
  return hll;
}

const items = fc.array(fc.string({ minLength: 0, maxLength: 12 }), { maxLength: 400 });
const precision = fc.integer({ min: 10, max: 12 });

describe('HyperLogLog', () => {
  it('merging two sketches equals the sketch built from the union of their streams', () => {
    fc.assert(
      fc.property(precision, items, items, (p, a, b) => {
        const merged = build(p, a).mergeFrom(build(p, b));
        const union = build(p, [...a, ...b]);
        expect(merged.registers()).toEqual(union.registers());
        expect(merged.estimate()).toBe(union.estimate());
        expect(merged.toBytes()).toEqual(union.toBytes());
      }),
    );
  });

  it('merge is commutative and associative for sparse and dense sketches alike', () => {
    const big = fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 1500 });
    fc.assert(
      fc.property(big, big, big, (a, b, c) => {
        const mk = (xs: number[]): HyperLogLog => {
          const h = new HyperLogLog(10);
          xs.forEach((x) => h.addUint32(x));
          return h;
        };
        const left = mk(a).mergeFrom(mk(b)).mergeFrom(mk(c));
        const right = mk(a).mergeFrom(mk(c).mergeFrom(mk(b)));
        expect(left.equals(right)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('serialises and deserialises to an equal sketch in both sparse and dense form', () => {
    fc.assert(
      fc.property(precision, fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 3000 }), (p, xs) => {
        const hll = new HyperLogLog(p);
        xs.forEach((x) => hll.addUint32(x));
        const copy = HyperLogLog.fromBytes(hll.toBytes());
        expect(copy.equals(hll)).toBe(true);
        expect(copy.estimate()).toBe(hll.estimate());
      }),
      { numRuns: 60 },
    );
  });

  it('keeps the estimate within five standard errors across small and large cardinalities', () => {
    fc.assert(
      fc.property(precision, fc.integer({ min: 1, max: 20_000 }), fc.integer(), (p, n, salt) => {
        const hll = new HyperLogLog(p);
        for (let i = 0; i < n; i++) hll.add(`${salt}:${i}`);
        const standardError = 1.04 / Math.sqrt(2 ** p);
        expect(Math.abs(hll.estimate() - n) / n).toBeLessThanOrEqual(5 * standardError);
      }),
      { numRuns: 20 },
    );
  });

  it('has a mean relative error near 1.04 / sqrt(m) at precision 11', () => {
    let squared = 0;
    const runs = 30;
    for (let r = 0; r < runs; r++) {
      const hll = new HyperLogLog(11);
      for (let i = 0; i < 10_000; i++) hll.addUint32(r * 10_000 + i);
      squared += ((hll.estimate() - 10_000) / 10_000) ** 2;
    }
    const rmse = Math.sqrt(squared / runs);
    expect(rmse).toBeGreaterThan(0.005);
    expect(rmse).toBeLessThan(0.035);
  });

  it('is nearly exact for a handful of items (small-range correction)', () => {
    for (const n of [0, 1, 2, 5, 17, 60]) {
      const hll = new HyperLogLog(11);
      for (let i = 0; i < n; i++) hll.add(`peer-${i}`);
      expect(Math.round(hll.estimate())).toBe(n);
    }
  });

  it('counts repeated items once', () => {
    const hll = new HyperLogLog(10);
    for (let r = 0; r < 50; r++) for (let i = 0; i < 30; i++) hll.add(`x${i}`);
    expect(Math.round(hll.estimate())).toBe(30);
  });

  it('switches from sparse to dense storage without changing its registers', () => {
    const hll = new HyperLogLog(10);
    const reference = new Uint8Array(1024);
    for (let i = 0; i < 5000; i++) {
      hll.addUint32(i);
      if (i === 20) expect(hll.isSparse).toBe(true);
    }
    expect(hll.isSparse).toBe(false);
    const sparseCopy = new HyperLogLog(10);
    for (let i = 0; i < 5000; i++) sparseCopy.addUint32(i);
    reference.set(sparseCopy.registers());
    expect(hll.registers()).toEqual(reference);
  });

  it('encodes a sketch with few items in a few bytes', () => {
    expect(build(12, ['a', 'b', 'c']).toBytes().length).toBeLessThan(12);
    expect(build(12, Array.from({ length: 20_000 }, (_, i) => `k${i}`)).toBytes().length).toBe(1 + (4096 * 6) / 8);
  });

  it('rejects a merge of different precisions with INCOMPATIBLE_PARAMETERS', () => {
    expect(() => new HyperLogLog(10).mergeFrom(new HyperLogLog(11))).toThrow(expect.objectContaining({ code: ClusteringCoreErrorCode.INCOMPATIBLE_PARAMETERS }));
  });

  it('rejects a precision outside 4-16 with INVALID_ARGUMENT', () => {
    expect(() => new HyperLogLog(3)).toThrow(expect.objectContaining({ code: ClusteringCoreErrorCode.INVALID_ARGUMENT }));
    expect(() => new HyperLogLog(17)).toThrow(expect.objectContaining({ code: ClusteringCoreErrorCode.INVALID_ARGUMENT }));
  });

  it('rejects truncated or corrupted bytes with CORRUPT_ENCODING', () => {
    const bytes = build(11, ['a', 'b']).toBytes();
    expect(() => HyperLogLog.fromBytes(bytes.subarray(0, bytes.length - 1))).toThrow(expect.objectContaining({ code: ClusteringCoreErrorCode.CORRUPT_ENCODING }));
    expect(() => HyperLogLog.fromBytes(Uint8Array.of(0x3f))).toThrow(expect.objectContaining({ code: ClusteringCoreErrorCode.CORRUPT_ENCODING }));
    expect(() => HyperLogLog.fromBytes(new Uint8Array([...bytes, 0]))).toThrow(expect.objectContaining({ code: ClusteringCoreErrorCode.CORRUPT_ENCODING }));
  });
});
