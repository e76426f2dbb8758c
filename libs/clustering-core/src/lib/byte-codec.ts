import { ClusteringCoreError, ClusteringCoreErrorCode } from './clustering-core.error';

/**
 * Growable byte writer with unsigned LEB128 varints for integers up to 2^53 (plain arithmetic beyond 32 bits, since
 * JavaScript bit operators truncate to 32). The compact binary forms of sketches and profiles are built on it.
 */
export class ByteWriter {
  private buffer: Uint8Array;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(initialCapacity);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value & 0xff;
  }

  bytes(values: Uint8Array): void {
    this.ensure(values.length);
    this.buffer.set(values, this.length);
    this.length += values.length;
  }

  /** Unsigned integer in [0, 2^53). */
  varint(value: number): void {
    if (!(value >= 0) || !Number.isInteger(value) || value > Number.MAX_SAFE_INTEGER) {
      throw new ClusteringCoreError(ClusteringCoreErrorCode.INVALID_ARGUMENT, `varint out of range: ${value}`);
    }
    this.ensure(8);
    let v = value;
    while (v >= 0x80) {
      this.buffer[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buffer[this.length++] = v;
  }

  /** Signed integer (zig-zag) with |value| < 2^52. */
  svarint(value: number): void {
    this.varint(value < 0 ? -2 * value - 1 : 2 * value);
  }

  f64(value: number): void {
    this.ensure(8);
    new DataView(this.buffer.buffer, this.buffer.byteOffset).setFloat64(this.length, value, true);
    this.length += 8;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

export class ByteReader {
  private offset = 0;

  constructor(private readonly buffer: Uint8Array) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  private fail(what: string): never {
    throw new ClusteringCoreError(ClusteringCoreErrorCode.CORRUPT_ENCODING, `${what} at byte ${this.offset}`);
  }

  u8(): number {
    if (this.offset >= this.buffer.length) this.fail('truncated');
    return this.buffer[this.offset++];
  }

  bytes(count: number): Uint8Array {
    if (this.offset + count > this.buffer.length) this.fail('truncated');
    const out = this.buffer.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (result > Number.MAX_SAFE_INTEGER) this.fail('varint overflow');
        return result;
      }
      scale *= 0x80;
    }
    return this.fail('varint too long');
  }

  svarint(): number {
    const z = this.varint();
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  }

  f64(): number {
    if (this.offset + 8 > this.buffer.length) this.fail('truncated');
    const v = new DataView(this.buffer.buffer, this.buffer.byteOffset).getFloat64(this.offset, true);
    this.offset += 8;
    return v;
  }

  expectEnd(): void {
    if (this.offset !== this.buffer.length) this.fail('trailing bytes');
  }

  corrupt(what: string): never {
    return this.fail(what);
  }
}
