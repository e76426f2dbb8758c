import { mix32 } from './hashing';

/**
 * A small seedable PRNG (a 128-bit "small fast counting" generator: three mixing words and a counter that guarantees
 * a period of at least 2^32). Every random choice in clustering-core comes from one of these, so a seed reproduces a
 * run bit for bit. Not for anything security related.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private counter: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    const s = seed >>> 0;
    this.a = mix32(s ^ 0x6a09e667);
    this.b = mix32(s + 0xbb67ae85);
    this.c = mix32(s ^ 0x3c6ef372) | 1;
    this.counter = 1;
    // Warm up: the first outputs of any freshly seeded generator are the weakest.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.counter) | 0;
    this.counter = (this.counter + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, bound), bound <= 2^32. */
  nextInt(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Standard normal deviate (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A new generator whose stream is independent of this one's continuation. */
  fork(): SeededRandom {
    return new SeededRandom(this.nextUint32() ^ 0x5851f42d);
  }
}
