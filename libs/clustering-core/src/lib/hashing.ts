// Small non-cryptographic hashes. Sketches need well-mixed, stable (platform-independent) 32-bit values; these are
// deterministic across processes and versions, which is what makes serialised sketches mergeable later.

/** Final avalanche step of a 32-bit integer (the MurmurHash3 finaliser constants). */
export function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of an unsigned 32-bit key under a seed; different seeds give practically independent functions. */
export function hashUint32(key: number, seed: number): number {
  return mix32(Math.imul((key ^ mix32(seed + 0x9e3779b9)) >>> 0, 0x27d4eb2d) ^ seed);
}

/**
 * Two independent 32-bit hashes of a string (two multiply-xor lanes over UTF-16 code units, each finalised), written
 * into `out[0]` and `out[1]`. Together they give the 64 bits of entropy a HyperLogLog needs (index + rank).
 */
export function hashString2(text: string, seed: number, out: Uint32Array): void {
  let a = (0x811c9dc5 ^ seed) >>> 0;
  let b = (0x01000193 ^ Math.imul(seed, 0x5bd1e995)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x9e3779b1);
    b = Math.imul(b ^ c, 0x85ebca77);
    a ^= a >>> 15;
    b ^= b >>> 13;
  }
  a ^= text.length;
  b ^= Math.imul(text.length, 0xc2b2ae3d);
  // Cross the lanes so that a collision in one lane alone does not survive into both outputs.
  out[0] = mix32(a ^ Math.imul(b, 0x27d4eb2f));
  out[1] = mix32(b ^ Math.imul(a, 0x165667b1));
}

/** One 32-bit hash of a string. */
export function hashString(text: string, seed = 0): number {
  const out = new Uint32Array(2);
  hashString2(text, seed, out);
  return out[0];
}
