import { invalidArgument } from './clustering-core.error';

/** Unknown / unclassified: no tag on the flow and no membership for the endpoint. */
export const UNKNOWN_SGT = 0;
export const MAX_SGT = 0xffff;

export enum SgtCategory {
  USERS = 'users',
  SERVERS = 'servers',
  DEVICES = 'devices',
  SPECIAL = 'special',
}

/** The conventional value ranges used by Clarion (inclusive). */
export const SGT_RANGES: Readonly<Record<SgtCategory, readonly [number, number]>> = Object.freeze({
  [SgtCategory.USERS]: [2, 9],
  [SgtCategory.SERVERS]: [10, 19],
  [SgtCategory.DEVICES]: [20, 29],
  [SgtCategory.SPECIAL]: [30, 39],
});

export interface SgtDefinition {
  value: number;
  /** Stable name used in SGACL names and CLI: upper case letters, digits and underscores. */
  name: string;
  category: SgtCategory | null;
}

export function isValidSgt(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_SGT;
}

/** Category of a value by the conventional ranges, or null outside them (0 and values >= 40). */
export function categoryOfSgt(value: number): SgtCategory | null {
  for (const category of Object.values(SgtCategory)) {
    const [lo, hi] = SGT_RANGES[category];
    if (value >= lo && value <= hi) return category;
  }
  return null;
}

/** Lowest free value of the category's range, or null when the range is full. */
export function allocateSgt(category: SgtCategory, used: Iterable<number>): number | null {
  const taken = new Set(used);
  const [lo, hi] = SGT_RANGES[category];
  for (let v = lo; v <= hi; v++) if (!taken.has(v)) return v;
  return null;
}

/** "Printers: 94 % use tcp/9100" -> "PRINTERS_94_USE_TCP_9100", capped at 32 characters. */
export function sgtNameFor(text: string): string {
  const name = text
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 32)
    .replace(/_+$/g, '');
  return name.length > 0 ? name : 'UNNAMED';
}

/**
 * The SGT of one side of a flow: the flow's own tag when present (and not 0), else the endpoint's current membership,
 * else Unknown.
 */
export function resolveSgt(flowTag: number | null | undefined, membership: number | null | undefined): number {
  if (flowTag !== null && flowTag !== undefined && flowTag !== UNKNOWN_SGT && isValidSgt(flowTag)) return flowTag;
  if (membership !== null && membership !== undefined && isValidSgt(membership)) return membership;
  return UNKNOWN_SGT;
}

export function checkSgt(value: number): number {
  if (!isValidSgt(value)) throw invalidArgument(`SGT must be an integer in [0, ${MAX_SGT}]`);
  return value;
}
