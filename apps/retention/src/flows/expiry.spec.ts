import fc from 'fast-check';
import { firstKeptDay } from './expiry';

describe('firstKeptDay (flow retention cut-off)', () => {
  it('keeps the given number of whole UTC days before today, and today', () => {
    expect(firstKeptDay(Date.parse('2026-03-31T23:59:59.999Z'), 30)).toBe('2026-03-01');
    expect(firstKeptDay(Date.parse('2026-03-31T00:00:00.000Z'), 30)).toBe('2026-03-01');
    expect(firstKeptDay(Date.parse('2026-01-01T12:00:00Z'), 1)).toBe('2025-12-31');
    expect(firstKeptDay(Date.parse('2024-03-01T12:00:00Z'), 1)).toBe('2024-02-29');
    expect(firstKeptDay(Date.parse('2026-11-26T02:00:00Z'), 0)).toBe('2026-11-26');
  });

  it('refuses a negative or fractional number of days', () => {
    expect(() => firstKeptDay(Date.now(), -1)).toThrow(RangeError);
    expect(() => firstKeptDay(Date.now(), 1.5)).toThrow(RangeError);
  });

  it('is never after today, and exactly the given number of days before it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.integer({ min: 0, max: 3650 }), (nowMs, days) => {
        const kept = Date.parse(`${firstKeptDay(nowMs, days)}T00:00:00Z`);
        const todayStart = nowMs - (nowMs % 86_400_000);
        expect((todayStart - kept) / 86_400_000).toBe(days);
      }),
    );
  });
});
