// Address formatting sits on the hot path (two addresses per record, millions of records per second), so it avoids
// per-call number-to-string conversion: octets and hex pairs come from lookup tables built once.

const DECIMAL_OCTETS: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));
const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Dotted quad of the 4 bytes at `offset`. */
export function formatIpv4(bytes: Uint8Array, offset: number): string {
  return (
    DECIMAL_OCTETS[bytes[offset]] +
    '.' +
    DECIMAL_OCTETS[bytes[offset + 1]] +
    '.' +
    DECIMAL_OCTETS[bytes[offset + 2]] +
    '.' +
    DECIMAL_OCTETS[bytes[offset + 3]]
  );
}

/** Dotted quad of a 32-bit unsigned value. */
export function formatIpv4Number(value: number): string {
  return (
    DECIMAL_OCTETS[(value >>> 24) & 0xff] +
    '.' +
    DECIMAL_OCTETS[(value >>> 16) & 0xff] +
    '.' +
    DECIMAL_OCTETS[(value >>> 8) & 0xff] +
    '.' +
    DECIMAL_OCTETS[value & 0xff]
  );
}

/** "aa:bb:cc:dd:ee:ff" of the 6 bytes at `offset`. */
export function formatMac(bytes: Uint8Array, offset: number): string {
  return (
    HEX_PAIRS[bytes[offset]] +
    ':' +
    HEX_PAIRS[bytes[offset + 1]] +
    ':' +
    HEX_PAIRS[bytes[offset + 2]] +
    ':' +
    HEX_PAIRS[bytes[offset + 3]] +
    ':' +
    HEX_PAIRS[bytes[offset + 4]] +
    ':' +
    HEX_PAIRS[bytes[offset + 5]]
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
