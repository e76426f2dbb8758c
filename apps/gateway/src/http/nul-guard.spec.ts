import { containsNul } from './nul-guard';

describe('containsNul', () => {
  it('finds U+0000 in strings, keys and nested values, and nothing else', () => {
    expect(containsNul('a\u0000b')).toBe(true);
    expect(containsNul({ a: [{ b: 'x\u0000' }] })).toBe(true);
    expect(containsNul({ 'k\u0000': 1 })).toBe(true);
    expect(containsNul({ a: ['x', 1, null, { b: 'ok' }] })).toBe(false);
    expect(containsNul(undefined)).toBe(false);
  });
});
