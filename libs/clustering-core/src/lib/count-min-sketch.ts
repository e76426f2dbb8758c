import { ByteReader, ByteWriter } from './byte-codec';
import { ClusteringCoreError, ClusteringCoreErrorCode, invalidArgument } from './clustering-core.error';
import { hashUint32 } from './hashing';

export interface CountMinParameters {
  /** Counters per row; a power of two in [8, 65536]. Error per estimate <= e/width of the total with high probability. */
  width: number;
  /** Rows (independent hash functions) in [1, 16]; failure probability ~ e^-depth. */
  depth: number;
  /** Seed of the row hashes; sketches merge only with equal parameters. */
  seed: number;
}

/**
 * Count-Min sketch (Cormode and Muthukrishnan 2005) over unsigned 32-bit keys with plain (not conservative) updates:
 * plain updates keep the sketch linear, so merging is a counter-wise sum and equals the sketch of the union of the
 * streams exactly. Estimates never undercount. Counters are float64, exact for integer counts below 2^53.
 */
export class CountMinSketch {
  readonly width: number;
  readonly depth: number;
  readonly seed: number;
  readonly counters: Float64Array;
  private readonly rowSeeds: Uint32Array;
  private readonly mask: number;

  constructor(parameters: CountMinParameters) {
    const { width, depth, seed } = parameters;
    if (!Number.isInteger(width) || width < 8 || width > 65536 || (width & (width - 1)) !== 0) {
      throw invalidArgument('Count-Min width must be a power of two in [8, 65536]');
    }
    if (!Number.isInteger(depth) || depth < 1 || depth > 16) throw invalidArgument('Count-Min depth must be in [1, 16]');
    this.width = width;
    this.depth = depth;
    this.seed = seed >>> 0;
    this.mask = width - 1;
    this.counters = new Float64Array(width * depth);
    this.rowSeeds = new Uint32Array(depth);
    for (let r = 0; r < depth; r++) this.rowSeeds[r] = (this.seed + Math.imul(r + 1, 0x9e3779b9)) >>> 0;
  }

  get parameters(): CountMinParameters {
    return { width: this.width, depth: this.depth, seed: this.seed };
  }

  add(key: number, count = 1): void {
    for (let r = 0; r < this.depth; r++) {
      this.counters[r * this.width + (hashUint32(key, this.rowSeeds[r]) & this.mask)] += count;
    }
  }

  /** Upper-biased estimate of the count of `key`. */
  estimate(key: number): number {
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < this.depth; r++) {
      const v = this.counters[r * this.width + (hashUint32(key, this.rowSeeds[r]) & this.mask)];
      if (v < best) best = v;
    }
    return best;
  }

  /** Sum of all counts added (row 0 holds every increment once). */
  total(): number {
    let sum = 0;
    for (let i = 0; i < this.width; i++) sum += this.counters[i];
    return sum;
  }

  isCompatible(other: CountMinSketch): boolean {
    return other.width === this.width && other.depth === this.depth && other.seed === this.seed;
  }

  mergeFrom(other: CountMinSketch): this {
    if (!this.isCompatible(other)) {
      throw new ClusteringCoreError(ClusteringCoreErrorCode.INCOMPATIBLE_PARAMETERS, 'Count-Min sketches differ in width, depth or seed');
    }
    for (let i = 0; i < this.counters.length; i++) this.counters[i] += other.counters[i];
    return this;
  }

  clone(): CountMinSketch {
    const copy = new CountMinSketch(this.parameters);
    copy.counters.set(this.counters);
    return copy;
  }

  equals(other: CountMinSketch): boolean {
    if (!this.isCompatible(other)) return false;
    for (let i = 0; i < this.counters.length; i++) if (this.counters[i] !== other.counters[i]) return false;
    return true;
  }

  /** log2(width), depth, seed, then the non-zero counters as (gap, value) varint pairs. */
  encode(writer: ByteWriter): void {
    writer.u8(Math.log2(this.width));
    writer.u8(this.depth);
    writer.varint(this.seed);
    let nonZero = 0;
    for (let i = 0; i < this.counters.length; i++) if (this.counters[i] !== 0) nonZero++;
    writer.varint(nonZero);
    let previous = -1;
    for (let i = 0; i < this.counters.length; i++) {
      if (this.counters[i] === 0) continue;
      writer.varint(i - previous - 1);
      writer.varint(this.counters[i]);
      previous = i;
    }
  }

  static decode(reader: ByteReader): CountMinSketch {
    const log2Width = reader.u8();
    const depth = reader.u8();
    const seed = reader.varint();
    if (log2Width < 3 || log2Width > 16 || depth < 1 || depth > 16 || seed > 0xffffffff) reader.corrupt('bad Count-Min header');
    const sketch = new CountMinSketch({ width: 1 << log2Width, depth, seed });
    const nonZero = reader.varint();
    let position = -1;
    for (let i = 0; i < nonZero; i++) {
      position += reader.varint() + 1;
      if (position >= sketch.counters.length) reader.corrupt('Count-Min counter out of range');
      const value = reader.varint();
      if (value === 0) reader.corrupt('zero Count-Min counter listed');
      sketch.counters[position] = value;
    }
    return sketch;
  }

  toBytes(): Uint8Array {
    const writer = new ByteWriter(64);
    this.encode(writer);
    return writer.finish();
  }

  static fromBytes(bytes: Uint8Array): CountMinSketch {
    const reader = new ByteReader(bytes);
    const sketch = CountMinSketch.decode(reader);
    reader.expectEnd();
    return sketch;
  }
}
