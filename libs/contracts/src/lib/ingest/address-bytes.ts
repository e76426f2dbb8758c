import { LRUCache } from 'lru-cache';

/**
 * Address text to bytes, written straight into a buffer: the reverse of @clarion/netflow's formatters, for encoders on
 * the ingest hot path (COPY rows, flow batch events). No allocation for IPv4 and MACs.
 */

/** Writes the 4 bytes of a dotted-quad IPv4 address at `offset`; false (nothing reliable written) when it is not one. */
export function writeIpv4(out: Uint8Array, offset: number, text: string): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part === 3) return false;
      out[offset + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      value = value * 10 + (c - 48);
      if (value > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  if (digits === 0 || part !== 3) return false;
  out[offset + 3] = value;
  return true;
}

/** The 16 bytes of an IPv6 address (`::` and an embedded IPv4 tail allowed), or undefined when it is not one. */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45 || text.indexOf(':') < 0) return undefined;
  const gap = text.indexOf('::');
  if (gap >= 0 && text.indexOf('::', gap + 1) >= 0) return undefined;
  const head = gap >= 0 ? text.slice(0, gap) : text;
  const tail = gap >= 0 ? text.slice(gap + 2) : '';
  const words: number[] = [];
  const tailWords: number[] = [];
  const v4 = new Uint8Array(4);
  const fill = (groups: string[], into: number[], allowIpv4: boolean): boolean => {
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i];
      if (allowIpv4 && i === groups.length - 1 && g.indexOf('.') >= 0) {
        if (!writeIpv4(v4, 0, g)) return false;
        into.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
        into.push(parseInt(g, 16));
      }
    }
    return true;
  };
  if (!fill(head === '' ? [] : head.split(':'), words, gap < 0) || !fill(tail === '' ? [] : tail.split(':'), tailWords, true)) return undefined;
  const total = words.length + tailWords.length;
  if (gap < 0 ? total !== 8 : total > 7) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < words.length; i++) {
    out[i * 2] = words[i] >> 8;
    out[i * 2 + 1] = words[i] & 0xff;
  }
  const start = 8 - tailWords.length;
  for (let i = 0; i < tailWords.length; i++) {
    out[(start + i) * 2] = tailWords[i] >> 8;
    out[(start + i) * 2 + 1] = tailWords[i] & 0xff;
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Writes the 6 bytes of a MAC `aa:bb:cc:dd:ee:ff` (or with '-') at `offset`; false when it is not one. */
export function writeMac(out: Uint8Array, offset: number, text: string): boolean {
  if (text.length !== 17) return false;
  for (let i = 0; i < 6; i++) {
    const high = hexValue(text.charCodeAt(i * 3));
    const low = hexValue(text.charCodeAt(i * 3 + 1));
    if (high < 0 || low < 0) return false;
    out[offset + i] = (high << 4) | low;
  }
  return true;
}

/** What the memo holds for a text that is not an IPv6 address (the LRU keeps no null). */
const NOT_IPV6 = new Uint8Array(0);

/**
 * IPv6 text to bytes with a bounded memo, least recently used evicted first: IPv6 parsing is the slow case, and the
 * same addresses recur across flows.
 */
export class Ipv6Bytes {
  private readonly cache: LRUCache<string, Uint8Array>;

  constructor(maxEntries = 100_000) {
    this.cache = new LRUCache({ max: Math.max(1, maxEntries) });
  }

  of(text: string): Uint8Array | null {
    let bytes = this.cache.get(text);
    if (bytes === undefined) {
      bytes = parseIpv6(text) ?? NOT_IPV6;
      this.cache.set(text, bytes);
    }
    return bytes === NOT_IPV6 ? null : bytes;
  }
}
