const DAY_MS = 86_400_000;

/**
 * The first UTC day whose flows are kept: flows of earlier days are expired. `retentionDays` whole days are kept
 * before today, and today always: at 30, on 2026-03-31 flows from 2026-03-01 on are kept.
 */
export function firstKeptDay(nowMs: number, retentionDays: number): string {
  if (!Number.isInteger(retentionDays) || retentionDays < 0) throw new RangeError(`retention days must be a whole number >= 0, got ${retentionDays}`);
  const today = Math.floor(nowMs / DAY_MS);
  return new Date((today - retentionDays) * DAY_MS).toISOString().slice(0, 10);
}
