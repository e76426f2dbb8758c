import { ByteReader, ByteWriter } from './byte-codec';
import { ClusteringCoreError, ClusteringCoreErrorCode, invalidArgument } from './clustering-core.error';
import { hashString2, hashUint32 } from './hashing';

/** Rank bits taken from the second 32-bit hash: registers hold 0..RANK_BITS + 1. */
const RANK_BITS = 32;
const MAX_REGISTER = RANK_BITS + 1;
const SEED_INDEX = 0x2f0b3c5d;
const SEED_RANK = 0x71c3a9e1;
/** alpha_infinity = 1 / (2 ln 2), the asymptotic HyperLogLog constant. */
const ALPHA_INF = 1 / (2 * Math.LN2);

export const HLL_MIN_PRECISION = 4;
export const HLL_MAX_PRECISION = 16;

/**
 * HyperLogLog distinct counter (Flajolet et al. 2007) with m = 2^precision registers and the "improved" estimator of
 * O. Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (2017). That estimator corrects the
 * small-range bias (it generalises linear counting through the sigma series over empty registers) and the large-range
 * bias (tau series over saturated registers) without HLL++'s empirical bias tables, so one formula is unbiased from
 * 0 to far beyond what an endpoint will ever see. Standard error is 1.04 / sqrt(m): 3.3 % at precision 10, 2.3 % at
 * 11, 1.6 % at 12.
 *
 * The register index comes from the top `precision` bits of one 32-bit hash and the rank from a second, independent
 * 32-bit hash, so the sketch behaves like one built on a (precision + 32)-bit hash.
 *
 * Memory: while few registers are set (an endpoint with a handful of peers), the registers live in a sorted sparse
 * list (4 bytes per set register); past m/8 set registers they switch to a dense byte per register. The state is a
 * function of the register values only, so merge (register-wise max) is exact: merging two sketches gives the same
 * registers, estimate and bytes as one sketch fed both streams.
 */
export class HyperLogLog {
  readonly precision: number;
  readonly registerCount: number;
  /** Dense registers, or null while sparse. */
  private dense: Uint8Array | null = null;
  /** Sparse entries `index << 6 | value`, sorted by index, first `sparseSize` valid. */
  private sparse: Uint32Array | null = new Uint32Array(4);
  private sparseSize = 0;
  private readonly sparseLimit: number;
  private readonly scratch = new Uint32Array(2);

  constructor(precision = 11) {
    if (!Number.isInteger(precision) || precision < HLL_MIN_PRECISION || precision > HLL_MAX_PRECISION) {
      throw invalidArgument(`HyperLogLog precision must be an integer in [${HLL_MIN_PRECISION}, ${HLL_MAX_PRECISION}]`);
    }
    this.precision = precision;
    this.registerCount = 1 << precision;
    this.sparseLimit = this.registerCount >>> 3;
  }

  /** Adds an already hashed item: two independent uniformly distributed 32-bit values. */
  addHash(indexHash: number, rankHash: number): void {
    const index = indexHash >>> (32 - this.precision);
    const rank = rankHash === 0 ? MAX_REGISTER : Math.clz32(rankHash) + 1;
    this.raise(index, rank);
  }

  add(item: string): void {
    hashString2(item, SEED_INDEX, this.scratch);
    this.addHash(this.scratch[0], this.scratch[1]);
  }

  addUint32(item: number): void {
    this.addHash(hashUint32(item, SEED_INDEX), hashUint32(item, SEED_RANK));
  }

  private raise(index: number, rank: number): void {
    if (this.dense) {
      if (this.dense[index] < rank) this.dense[index] = rank;
      return;
    }
    const sparse = this.sparse as Uint32Array;
    let lo = 0;
    let hi = this.sparseSize;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sparse[mid] >>> 6 < index) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.sparseSize && sparse[lo] >>> 6 === index) {
      if ((sparse[lo] & 63) < rank) sparse[lo] = (index << 6) | rank;
      return;
    }
    if (this.sparseSize + 1 > this.sparseLimit) {
      this.toDense();
      (this.dense as unknown as Uint8Array)[index] = rank;
      return;
    }
    if (this.sparseSize === sparse.length) {
      const grown = new Uint32Array(Math.max(this.sparseSize + 1, Math.min(sparse.length * 2, this.sparseLimit)));
      grown.set(sparse.subarray(0, lo));
      grown.set(sparse.subarray(lo, this.sparseSize), lo + 1);
      this.sparse = grown;
    } else {
      sparse.copyWithin(lo + 1, lo, this.sparseSize);
    }
    (this.sparse as Uint32Array)[lo] = (index << 6) | rank;
    this.sparseSize++;
  }

  private toDense(): void {
    const dense = new Uint8Array(this.registerCount);
    const sparse = this.sparse as Uint32Array;
    for (let i = 0; i < this.sparseSize; i++) dense[sparse[i] >>> 6] = sparse[i] & 63;
    this.dense = dense;
    this.sparse = null;
    this.sparseSize = 0;
  }

  /** True while the registers are held sparsely (few distinct items). */
  get isSparse(): boolean {
    return this.dense === null;
  }

  /** Number of non-zero registers. */
  get nonZeroRegisters(): number {
    if (!this.dense) return this.sparseSize;
    let n = 0;
    for (let i = 0; i < this.registerCount; i++) if (this.dense[i] !== 0) n++;
    return n;
  }

  /** A dense copy of the registers (for inspection and tests). */
  registers(): Uint8Array {
    if (this.dense) return this.dense.slice();
    const out = new Uint8Array(this.registerCount);
    const sparse = this.sparse as Uint32Array;
    for (let i = 0; i < this.sparseSize; i++) out[sparse[i] >>> 6] = sparse[i] & 63;
    return out;
  }

  /** Estimated number of distinct items added. */
  estimate(): number {
    const m = this.registerCount;
    const histogram = new Float64Array(MAX_REGISTER + 1);
    if (this.dense) {
      for (let i = 0; i < m; i++) histogram[this.dense[i]]++;
    } else {
      const sparse = this.sparse as Uint32Array;
      histogram[0] = m - this.sparseSize;
      for (let i = 0; i < this.sparseSize; i++) histogram[sparse[i] & 63]++;
    }
    if (histogram[0] === m) return 0;
    let z = m * tau(1 - histogram[MAX_REGISTER] / m);
    for (let k = RANK_BITS; k >= 1; k--) z = 0.5 * (z + histogram[k]);
    z += m * sigma(histogram[0] / m);
    return (ALPHA_INF * m * m) / z;
  }

  /** Register-wise max of `other` into this sketch. */
  mergeFrom(other: HyperLogLog): this {
    if (other.precision !== this.precision) {
      throw new ClusteringCoreError(
        ClusteringCoreErrorCode.INCOMPATIBLE_PARAMETERS,
        `cannot merge HyperLogLog precision ${other.precision} into ${this.precision}`,
      );
    }
    if (other.dense) {
      if (!this.dense) this.toDense();
      const mine = this.dense as Uint8Array;
      const theirs = other.dense;
      for (let i = 0; i < this.registerCount; i++) if (theirs[i] > mine[i]) mine[i] = theirs[i];
      return this;
    }
    const sparse = other.sparse as Uint32Array;
    for (let i = 0; i < other.sparseSize; i++) this.raise(sparse[i] >>> 6, sparse[i] & 63);
    return this;
  }

  clone(): HyperLogLog {
    const copy = new HyperLogLog(this.precision);
    if (this.dense) {
      copy.dense = this.dense.slice();
      copy.sparse = null;
    } else {
      copy.sparse = (this.sparse as Uint32Array).slice(0, Math.max(4, this.sparseSize));
      copy.sparseSize = this.sparseSize;
    }
    return copy;
  }

  equals(other: HyperLogLog): boolean {
    if (other.precision !== this.precision) return false;
    const a = this.registers();
    const b = other.registers();
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /**
   * Canonical compact form: one header byte (precision, plus 0x80 when sparse), then either the set registers as
   * varints of (index delta << 6 | value), or all registers packed 6 bits each. The choice depends only on the
   * register values, so equal sketches encode to equal bytes.
   */
  encode(writer: ByteWriter): void {
    const set = this.nonZeroRegisters;
    // A sparse entry costs about 2 bytes, a dense register 0.75 byte.
    if (set * 8 < this.registerCount * 3) {
      writer.u8(this.precision | 0x80);
      writer.varint(set);
      let previous = 0;
      const visit = (index: number, value: number): void => {
        writer.varint((index - previous) * 64 + value);
        previous = index;
      };
      if (this.dense) {
        for (let i = 0; i < this.registerCount; i++) if (this.dense[i] !== 0) visit(i, this.dense[i]);
      } else {
        const sparse = this.sparse as Uint32Array;
        for (let i = 0; i < this.sparseSize; i++) visit(sparse[i] >>> 6, sparse[i] & 63);
      }
      return;
    }
    writer.u8(this.precision);
    const registers = this.registers();
    const packed = new Uint8Array((this.registerCount * 6) / 8);
    for (let i = 0, o = 0; i < this.registerCount; i += 4, o += 3) {
      const word = (registers[i] << 18) | (registers[i + 1] << 12) | (registers[i + 2] << 6) | registers[i + 3];
      packed[o] = word >>> 16;
      packed[o + 1] = (word >>> 8) & 0xff;
      packed[o + 2] = word & 0xff;
    }
    writer.bytes(packed);
  }

  static decode(reader: ByteReader): HyperLogLog {
    const header = reader.u8();
    const precision = header & 0x1f;
    if (precision < HLL_MIN_PRECISION || precision > HLL_MAX_PRECISION || (header & 0x60) !== 0) {
      reader.corrupt('bad HyperLogLog header');
    }
    const hll = new HyperLogLog(precision);
    if (header & 0x80) {
      const set = reader.varint();
      if (set > hll.registerCount) reader.corrupt('too many HyperLogLog entries');
      let index = 0;
      for (let i = 0; i < set; i++) {
        const v = reader.varint();
        const delta = Math.floor(v / 64);
        const value = v % 64;
        if ((i > 0 && delta === 0) || value === 0 || value > MAX_REGISTER) reader.corrupt('bad HyperLogLog entry');
        index += delta;
        if (index >= hll.registerCount) reader.corrupt('HyperLogLog index out of range');
        hll.raise(index, value);
      }
      return hll;
    }
    const packed = reader.bytes((hll.registerCount * 6) / 8);
    const dense = new Uint8Array(hll.registerCount);
    for (let i = 0, o = 0; i < hll.registerCount; i += 4, o += 3) {
      const word = (packed[o] << 16) | (packed[o + 1] << 8) | packed[o + 2];
      dense[i] = word >>> 18;
      dense[i + 1] = (word >>> 12) & 63;
      dense[i + 2] = (word >>> 6) & 63;
      dense[i + 3] = word & 63;
    }
    for (let i = 0; i < dense.length; i++) if (dense[i] > MAX_REGISTER) reader.corrupt('HyperLogLog register out of range');
    hll.dense = dense;
    hll.sparse = null;
    return hll;
  }

  toBytes(): Uint8Array {
    const writer = new ByteWriter(16);
    this.encode(writer);
    return writer.finish();
  }

  static fromBytes(bytes: Uint8Array): HyperLogLog {
    const reader = new ByteReader(bytes);
    const hll = HyperLogLog.decode(reader);
    reader.expectEnd();
    return hll;
  }
}

/** sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1) (Ertl 2017, eq. for the empty-register correction). */
function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  let previous: number;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous !== z);
  return z;
}

/** tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3 (Ertl 2017, the saturated-register correction). */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let previous: number;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (previous !== z);
  return z / 3;
}
