import { ByteReader, ByteWriter } from './byte-codec';
import { ClusteringCoreError, ClusteringCoreErrorCode, invalidArgument } from './clustering-core.error';
import { CountMinSketch, type CountMinParameters } from './count-min-sketch';

export interface PortTopKParameters {
  /** Keys tracked by name (a Count-Min sketch cannot list keys). */
  capacity: number;
  /** Shape of the Count-Min sketch that takes over once more than `capacity` distinct keys were seen. */
  sketch: CountMinParameters;
}

export interface KeyCount {
  key: number;
  count: number;
}

/**
 * Usage counts of service keys (role, protocol, port), bounded and mergeable.
 *
 * While at most `capacity` distinct keys were seen (almost every endpoint: a printer offers 3 ports, a workstation
 * uses a few dozen services), the counts are kept exactly and no sketch exists at all: merge is a sum of small maps,
 * exact, associative and commutative. The first key beyond capacity switches the structure to "overflowed": the exact
 * counts seed a Count-Min sketch (a CMS is linear, so building it from the exact counts equals having fed it every
 * flow), every later count goes to the sketch, and the tracked keys become the `capacity` heaviest by sketch estimate
 * (a new key displaces the lightest tracked one when its estimate is larger, as in Space-Saving). Reported counts of
 * an overflowed structure are sketch estimates (never below the truth). Which keys stay tracked after overflow can
 * depend on arrival and merge order; the counts cannot.
 */
export class PortTopK {
  readonly capacity: number;
  readonly sketchParameters: CountMinParameters;
  private keys: Uint32Array;
  private counts: Float64Array;
  private size = 0;
  private sketch: CountMinSketch | null = null;
  private totalCount = 0;

  constructor(parameters: PortTopKParameters) {
    if (!Number.isInteger(parameters.capacity) || parameters.capacity < 1 || parameters.capacity > 4096) {
      throw invalidArgument('top-k capacity must be in [1, 4096]');
    }
    this.capacity = parameters.capacity;
    this.sketchParameters = { ...parameters.sketch };
    new CountMinSketch(this.sketchParameters); // validates the sketch shape up front
    const initial = Math.min(8, this.capacity);
    this.keys = new Uint32Array(initial);
    this.counts = new Float64Array(initial);
  }

  get overflowed(): boolean {
    return this.sketch !== null;
  }

  /** Number of keys tracked by name. */
  get trackedKeys(): number {
    return this.size;
  }

  /** Sum of every count added (exact even after overflow). */
  get total(): number {
    return this.totalCount;
  }

  add(key: number, count = 1): void {
    const k = key >>> 0;
    this.totalCount += count;
    const at = this.indexOf(k);
    if (!this.sketch) {
      if (at >= 0) {
        this.counts[at] += count;
        return;
      }
      if (this.size < this.capacity) {
        this.append(k, count);
        return;
      }
      this.overflow();
    }
    const sketch = this.sketch as CountMinSketch;
    sketch.add(k, count);
    if (at >= 0) {
      this.counts[at] = sketch.estimate(k);
      return;
    }
    const estimate = sketch.estimate(k);
    let lightest = 0;
    for (let i = 1; i < this.size; i++) if (this.counts[i] < this.counts[lightest]) lightest = i;
    if (estimate > this.counts[lightest]) {
      this.keys[lightest] = k;
      this.counts[lightest] = estimate;
    }
  }

  /** Count of `key`: exact while not overflowed, otherwise the sketch estimate. */
  countOf(key: number): number {
    const k = key >>> 0;
    if (this.sketch) return this.sketch.estimate(k);
    const at = this.indexOf(k);
    return at >= 0 ? this.counts[at] : 0;
  }

  /** Tracked keys, heaviest first (ties by key). */
  entries(): KeyCount[] {
    const out: KeyCount[] = [];
    for (let i = 0; i < this.size; i++) {
      out.push({ key: this.keys[i], count: this.sketch ? this.sketch.estimate(this.keys[i]) : this.counts[i] });
    }
    out.sort((a, b) => b.count - a.count || a.key - b.key);
    return out;
  }

  /** Calls `visit` for each tracked key with its count, in storage order (no allocation). */
  forEach(visit: (key: number, count: number) => void): void {
    for (let i = 0; i < this.size; i++) {
      visit(this.keys[i], this.sketch ? this.sketch.estimate(this.keys[i]) : this.counts[i]);
    }
  }

  private indexOf(key: number): number {
    for (let i = 0; i < this.size; i++) if (this.keys[i] === key) return i;
    return -1;
  }

  private append(key: number, count: number): void {
    if (this.size === this.keys.length) {
      const capacity = Math.min(this.capacity, this.keys.length * 2);
      const keys = new Uint32Array(capacity);
      const counts = new Float64Array(capacity);
      keys.set(this.keys);
      counts.set(this.counts);
      this.keys = keys;
      this.counts = counts;
    }
    this.keys[this.size] = key;
    this.counts[this.size] = count;
    this.size++;
  }

  private overflow(): void {
    const sketch = new CountMinSketch(this.sketchParameters);
    for (let i = 0; i < this.size; i++) sketch.add(this.keys[i], this.counts[i]);
    this.sketch = sketch;
  }

  /** The sketch of every count so far (built from the exact counts when not overflowed). */
  toSketch(): CountMinSketch {
    if (this.sketch) return this.sketch.clone();
    const sketch = new CountMinSketch(this.sketchParameters);
    for (let i = 0; i < this.size; i++) sketch.add(this.keys[i], this.counts[i]);
    return sketch;
  }

  isCompatible(other: PortTopK): boolean {
    const a = this.sketchParameters;
    const b = other.sketchParameters;
    return other.capacity === this.capacity && a.width === b.width && a.depth === b.depth && a.seed === b.seed;
  }

  mergeFrom(other: PortTopK): this {
    if (!this.isCompatible(other)) {
      throw new ClusteringCoreError(ClusteringCoreErrorCode.INCOMPATIBLE_PARAMETERS, 'top-k structures differ in capacity or sketch shape');
    }
    if (!this.sketch && !other.sketch) {
      let union = this.size;
      for (let i = 0; i < other.size; i++) if (this.indexOf(other.keys[i]) < 0) union++;
      if (union <= this.capacity) {
        for (let i = 0; i < other.size; i++) {
          const at = this.indexOf(other.keys[i]);
          if (at >= 0) this.counts[at] += other.counts[i];
          else this.append(other.keys[i], other.counts[i]);
        }
        this.totalCount += other.totalCount;
        return this;
      }
    }
    const sketch = this.toSketch().mergeFrom(other.sketch ?? other.toSketch());
    const candidates = new Set<number>();
    for (let i = 0; i < this.size; i++) candidates.add(this.keys[i]);
    for (let i = 0; i < other.size; i++) candidates.add(other.keys[i]);
    const ranked = [...candidates].map((key) => ({ key, count: sketch.estimate(key) }));
    ranked.sort((a, b) => b.count - a.count || a.key - b.key);
    const kept = ranked.slice(0, this.capacity);
    this.keys = new Uint32Array(this.capacity);
    this.counts = new Float64Array(this.capacity);
    kept.forEach((entry, i) => {
      this.keys[i] = entry.key;
      this.counts[i] = entry.count;
    });
    this.size = kept.length;
    this.sketch = sketch;
    this.totalCount += other.totalCount;
    return this;
  }

  clone(): PortTopK {
    const copy = new PortTopK({ capacity: this.capacity, sketch: this.sketchParameters });
    copy.keys = this.keys.slice();
    copy.counts = this.counts.slice();
    copy.size = this.size;
    copy.sketch = this.sketch ? this.sketch.clone() : null;
    copy.totalCount = this.totalCount;
    return copy;
  }

  /**
   * Canonical form: flags (bit 0: overflowed), capacity, total, the tracked keys in ascending order with their
   * exact counts (omitted when overflowed: the sketch holds them), then the sketch when overflowed.
   */
  encode(writer: ByteWriter): void {
    writer.u8(this.sketch ? 1 : 0);
    writer.varint(this.capacity);
    writer.varint(this.totalCount);
    const order = Array.from({ length: this.size }, (_, i) => i).sort((a, b) => this.keys[a] - this.keys[b]);
    writer.varint(this.size);
    let previous = 0;
    for (const i of order) {
      writer.varint(this.keys[i] - previous);
      previous = this.keys[i];
      if (!this.sketch) writer.varint(this.counts[i]);
    }
    if (this.sketch) this.sketch.encode(writer);
  }

  /** Decodes a structure; `sketch` supplies the Count-Min shape of a non-overflowed one. */
  static decode(reader: ByteReader, sketch: CountMinParameters): PortTopK {
    const flags = reader.u8();
    if (flags > 1) reader.corrupt('bad top-k flags');
    const capacity = reader.varint();
    if (capacity < 1 || capacity > 4096) reader.corrupt('bad top-k capacity');
    const total = reader.varint();
    const size = reader.varint();
    if (size > capacity) reader.corrupt('top-k larger than its capacity');
    const keys = new Uint32Array(capacity);
    const counts = new Float64Array(capacity);
    let key = 0;
    for (let i = 0; i < size; i++) {
      const delta = reader.varint();
      if (i > 0 && delta === 0) reader.corrupt('duplicate top-k key');
      key += delta;
      if (key > 0xffffffff) reader.corrupt('top-k key out of range');
      keys[i] = key;
      if (flags === 0) counts[i] = reader.varint();
    }
    const cms = flags === 1 ? CountMinSketch.decode(reader) : null;
    const top = new PortTopK({ capacity, sketch: cms ? cms.parameters : sketch });
    top.keys = keys;
    top.counts = counts;
    top.size = size;
    top.totalCount = total;
    if (cms) {
      top.sketch = cms;
      for (let i = 0; i < size; i++) counts[i] = cms.estimate(keys[i]);
    }
    return top;
  }
}
