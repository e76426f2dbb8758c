const DAY_MS = 86_400_000;

/** The UTC day `days` days after `day` (before it when negative), both as YYYY-MM-DD. */
export function shiftDay(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The first UTC day whose flows are kept: flows of earlier days are expired. `retentionDays` whole days are kept
 * before today, and today always: at 30, on 2026-03-31 flows from 2026-03-01 on are kept.
 */
export function firstKeptDay(nowMs: number, retentionDays: number): string {
  if (!Number.isInteger(retentionDays) || retentionDays < 0) throw new RangeError(`retention days must be a whole number >= 0, got ${retentionDays}`);
  return shiftDay(new Date(nowMs).toISOString().slice(0, 10), -retentionDays);
}
