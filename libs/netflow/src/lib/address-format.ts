// Address formatting sits on the hot path (two addresses and often two MACs per record, millions of records per
// second). Measured on Node 20, building the text from character codes with one String.fromCharCode call is 1.5-3x
// faster than concatenating pieces, and leaves one flat string instead of a chain of intermediate ones.

const DECIMAL_OCTETS: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));
/** Char codes of each octet's decimal digits: length, then up to three codes. */
const DIGIT_COUNT = new Uint8Array(256);
const DIGIT_1 = new Uint8Array(256);
const DIGIT_2 = new Uint8Array(256);
const DIGIT_3 = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  const text = DECIMAL_OCTETS[i];
  DIGIT_COUNT[i] = text.length;
  DIGIT_1[i] = text.charCodeAt(0);
  DIGIT_2[i] = text.length > 1 ? text.charCodeAt(1) : 0;
  DIGIT_3[i] = text.length > 2 ? text.charCodeAt(2) : 0;
}
const HEX_CODES = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const DOT = 46;
const COLON = 58;

/** Scratch for one IPv4 text (at most 15 characters); formatting is synchronous, so one buffer serves all calls. */
const scratch = new Uint16Array(16);

function putOctet(p: number, octet: number): number {
  const count = DIGIT_COUNT[octet];
  scratch[p] = DIGIT_1[octet];
  if (count > 1) {
    scratch[p + 1] = DIGIT_2[octet];
    if (count > 2) scratch[p + 2] = DIGIT_3[octet];
  }
  return p + count;
}

/** Dotted quad of the 4 bytes at `offset`. */
export function formatIpv4(bytes: Uint8Array, offset: number): string {
  let p = putOctet(0, bytes[offset]);
  scratch[p++] = DOT;
  p = putOctet(p, bytes[offset + 1]);
  scratch[p++] = DOT;
  p = putOctet(p, bytes[offset + 2]);
  scratch[p++] = DOT;
  p = putOctet(p, bytes[offset + 3]);
  const s = scratch;
  // One call with a fixed number of arguments per length (7 to 15 characters) keeps every call site monomorphic.
  switch (p) {
    case 7:
      return String.fromCharCode(s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
    case 8:
      return String.fromCharCode(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
    case 9:
      return String.fromCharCode(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8]);
    case 10:
      return String.fromCharCode(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9]);
    case 11:
      return String.fromCharCode(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10]);
    case 12:
      return String.fromCharCode(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11]);
    case 13:
      return String.fromCharCode(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], s[12]);
    case 14:
      return String.fromCharCode(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], s[12], s[13]);
    default:
      return String.fromCharCode(
        s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], s[12], s[13], s[14],
      );
  }
}

/** Dotted quad of a 32-bit unsigned value. */
export function formatIpv4Number(value: number): string {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value >>> 0);
  return formatIpv4(bytes, 0);
}

/** "aa:bb:cc:dd:ee:ff" of the 6 bytes at `offset`. */
export function formatMac(bytes: Uint8Array, offset: number): string {
  const a = bytes[offset];
  const b = bytes[offset + 1];
  const c = bytes[offset + 2];
  const d = bytes[offset + 3];
  const e = bytes[offset + 4];
  const f = bytes[offset + 5];
  const h = HEX_CODES;
  return String.fromCharCode(
    h[a >> 4], h[a & 15], COLON,
    h[b >> 4], h[b & 15], COLON,
    h[c >> 4], h[c & 15], COLON,
    h[d >> 4], h[d & 15], COLON,
    h[e >> 4], h[e & 15], COLON,
    h[f >> 4], h[f & 15],
  );
}

/**
 * RFC 5952 text form of the 16 bytes at `offset`: lower-case hex, no leading zeros, the longest run of two or more
 * zero groups (the first one on a tie) shortened to "::", and IPv4-mapped addresses as ::ffff:a.b.c.d (section 5).
 */
export function formatIpv6(bytes: Uint8Array, offset: number): string {
  // Find the longest run of zero groups.
  let bestStart = -1;
  let bestLength = 0;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    const zero = bytes[offset + 2 * i] === 0 && bytes[offset + 2 * i + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = i;
      const runLength = i - runStart + 1;
      if (runLength > bestLength) {
        bestLength = runLength;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestLength < 2) bestStart = -1;

  if (bestStart === 0 && bestLength === 5 && bytes[offset + 10] === 0xff && bytes[offset + 11] === 0xff) {
    return '::ffff:' + formatIpv4(bytes, offset + 12);
  }

  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += i === 0 ? '::' : ':';
      i += bestLength - 1;
      continue;
    }
    const group = (bytes[offset + 2 * i] << 8) | bytes[offset + 2 * i + 1];
    text += group.toString(16);
    if (i < 7) text += ':';
  }
  return text;
}

// ---- memoised text ---------------------------------------------------------------------------------------------
// A collector sees the same endpoints over and over (the hosts of a site, their servers, their gateways' MACs), so
// the text of an address is kept in a direct-mapped cache: one multiply, one compare and one array load on a hit;
// on a miss the address is formatted. Size is fixed, so memory is bounded whatever an exporter sends, and the output
// is the same as formatting every time.
// An address enters the cache only the second time its slot sees it (the first sighting is remembered in a typed
// array, which costs the garbage collector nothing): caching every one-off address would keep each of its strings
// alive long enough to be promoted to the old generation, and with all-distinct addresses that made decoding slower
// than not caching at all.

const IPV4_SLOTS_LOG2 = 14;
const ipv4Keys = new Int32Array(1 << IPV4_SLOTS_LOG2);
const ipv4Seen = new Int32Array(1 << IPV4_SLOTS_LOG2);
const ipv4Texts: Array<string | null> = new Array<string | null>(1 << IPV4_SLOTS_LOG2).fill(null);

/** formatIpv4, memoised. */
export function ipv4Text(bytes: Uint8Array, offset: number): string {
  const key = (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
  const slot = Math.imul(key, 0x9e3779b1) >>> (32 - IPV4_SLOTS_LOG2);
  const cached = ipv4Texts[slot];
  if (cached !== null && ipv4Keys[slot] === key) return cached;
  const text = formatIpv4(bytes, offset);
  if (ipv4Seen[slot] === key) {
    ipv4Keys[slot] = key;
    ipv4Texts[slot] = text;
  } else {
    ipv4Seen[slot] = key;
  }
  return text;
}

const MAC_SLOTS_LOG2 = 14;
const macHighKeys = new Int32Array(1 << MAC_SLOTS_LOG2);
const macLowKeys = new Int32Array(1 << MAC_SLOTS_LOG2);
const macSeen = new Int32Array(1 << MAC_SLOTS_LOG2);
const macTexts: Array<string | null> = new Array<string | null>(1 << MAC_SLOTS_LOG2).fill(null);

/** formatMac, memoised. */
export function macText(bytes: Uint8Array, offset: number): string {
  const high = (bytes[offset] << 8) | bytes[offset + 1];
  const low = (bytes[offset + 2] << 24) | (bytes[offset + 3] << 16) | (bytes[offset + 4] << 8) | bytes[offset + 5];
  const mixed = low ^ Math.imul(high, 0x85ebca6b);
  const slot = Math.imul(mixed, 0x9e3779b1) >>> (32 - MAC_SLOTS_LOG2);
  const cached = macTexts[slot];
  if (cached !== null && macLowKeys[slot] === low && macHighKeys[slot] === high) return cached;
  const text = formatMac(bytes, offset);
  if (macSeen[slot] === mixed) {
    macHighKeys[slot] = high;
    macLowKeys[slot] = low;
    macTexts[slot] = text;
  } else {
    macSeen[slot] = mixed;
  }
  return text;
}

const IPV6_SLOTS_LOG2 = 13;
const ipv6Keys = new Int32Array(4 << IPV6_SLOTS_LOG2);
const ipv6Seen = new Int32Array(1 << IPV6_SLOTS_LOG2);
const ipv6Texts: Array<string | null> = new Array<string | null>(1 << IPV6_SLOTS_LOG2).fill(null);

function word(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
}

/** formatIpv6, memoised. */
export function ipv6Text(bytes: Uint8Array, offset: number): string {
  const a = word(bytes, offset);
  const b = word(bytes, offset + 4);
  const c = word(bytes, offset + 8);
  const d = word(bytes, offset + 12);
  let h = Math.imul(a, 0x9e3779b1);
  h = Math.imul(h ^ b, 0x85ebca6b);
  h = Math.imul(h ^ c, 0xc2b2ae35);
  h = Math.imul(h ^ d, 0x9e3779b1);
  const slot = h >>> (32 - IPV6_SLOTS_LOG2);
  const k = slot << 2;
  const cached = ipv6Texts[slot];
  if (cached !== null && ipv6Keys[k] === a && ipv6Keys[k + 1] === b && ipv6Keys[k + 2] === c && ipv6Keys[k + 3] === d) {
    return cached;
  }
  const text = formatIpv6(bytes, offset);
  if (ipv6Seen[slot] === h) {
    ipv6Keys[k] = a;
    ipv6Keys[k + 1] = b;
    ipv6Keys[k + 2] = c;
    ipv6Keys[k + 3] = d;
    ipv6Texts[slot] = text;
  } else {
    ipv6Seen[slot] = h;
  }
  return text;
}
