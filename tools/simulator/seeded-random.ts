// The simulator's own seedable PRNG (xoshiro128**, seeded through splitmix32), so the same seed gives the same
// enterprise and the same flows on every machine and Node version. Not for anything security related.

/** splitmix32 step: a strong 32-bit mixer, also used for stateless hashing (`hash32`). */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Stateless 32-bit hash of a few integers: for decisions that must not depend on the order of events. */
export function hash32(...values: number[]): number {
  let h = 0x2545f491;
  for (const v of values) h = splitmix32(h ^ (v | 0)) ^ Math.imul(h, 0x27d4eb2f);
  return splitmix32(h);
}

/** Uniform in [0, 1) from `hash32`. */
export function hashUnit(...values: number[]): number {
  return hash32(...values) / 4294967296;
}

export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    s = splitmix32(s);
    this.a = s;
    s = splitmix32(s);
    this.b = s;
    s = splitmix32(s);
    this.c = s;
    s = splitmix32(s);
    this.d = s | 1; // xoshiro must not start from all zeros
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** Uniform integer in [min, max]. */
  range(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal deviate (Box-Muller; the second value is discarded so the stream stays easy to reason about). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Log-normal with the given median and shape (sigma of the underlying normal). */
  logNormal(median: number, sigma: number): number {
    return sigma === 0 ? median : median * Math.exp(sigma * this.normal());
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Index drawn from cumulative weights (last entry = total). */
  weighted(cumulative: ArrayLike<number>): number {
    const u = this.next() * cumulative[cumulative.length - 1];
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** An independent generator derived from this one's seed material and a label. */
  fork(label: number): SeededRandom {
    return new SeededRandom(hash32(this.a, this.b, this.c, this.d, label));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Cumulative sums of `weights` (for `SeededRandom.weighted`). */
export function cumulativeOf(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => {
    sum += Math.max(0, w);
    out[i] = sum;
  });
  return out;
}

/** Zipf-distributed ranks over n items: rank 0 is the most popular (popularity ~ 1 / (rank + 1)^s). */
export class ZipfSampler {
  private readonly cumulative: Float64Array;

  constructor(
    readonly size: number,
    exponent: number,
  ) {
    this.cumulative = cumulativeOf(Array.from({ length: Math.max(1, size) }, (_, k) => 1 / Math.pow(k + 1, exponent)));
  }

  sample(rng: SeededRandom): number {
    return rng.weighted(this.cumulative);
  }
}
