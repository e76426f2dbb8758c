/**
 * True when any string in the value (query, path parameters, JSON body) contains a NUL character. PostgreSQL text
 * cannot hold U+0000, so such input would fail deep inside a service as an internal error; the gateway refuses it
 * up front as a validation failure instead.
 */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => containsNul(v, depth + 1));
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || containsNul(v, depth + 1));
}
