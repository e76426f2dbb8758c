import { allocateSgt, SgtCategory, type ClusterLabel } from '@clarion/clustering-core';
import type { SgtBinding, SgtInsert } from '../data';

/** Values outside the conventional ranges (2-39) taken when a category's range is full; the API allows up to 65519. */
const OVERFLOW_FIRST = 40;
const OVERFLOW_LAST = 65519;
const NAME_MAX = 32;

/** The registry's category vocabulary (CreateSgtRequestDto) has no 'special': such groups are stored as 'custom'. */
function registryCategory(category: SgtCategory): string {
  return category === SgtCategory.SPECIAL ? 'custom' : category;
}

function freeValue(category: SgtCategory, used: Set<number>): number | null {
  const inRange = allocateSgt(category, used);
  if (inRange !== null) return inRange;
  for (let v = OVERFLOW_FIRST; v <= OVERFLOW_LAST; v++) if (!used.has(v)) return v;
  return null;
}

/** `base`, else `base_2`, `base_3`, ... (cut so the suffix fits in 32 characters). */
function uniqueName(base: string, used: Set<string>): string {
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const name = `${base.slice(0, NAME_MAX - suffix.length).replace(/_+$/, '')}${suffix}`;
    if (!used.has(name)) return name;
  }
}

/**
 * SGTs to create for clusters that have none: the lowest free value of the label's category range (past the range
 * when it is full), named after the label's suggested SGT name, made unique in the tenant by a numeric suffix.
 * Clusters are taken in id order so the same run proposes the same values.
 */
export function planSgts(clusters: ReadonlyArray<{ id: string; label: ClusterLabel }>, existing: readonly SgtBinding[]): { inserts: SgtInsert[]; unallocated: string[] } {
  const bound = new Set(existing.map((s) => s.clusterId).filter((id): id is string => id !== null));
  const values = new Set(existing.map((s) => s.value));
  const names = new Set(existing.map((s) => s.name));
  const inserts: SgtInsert[] = [];
  const unallocated: string[] = [];
  for (const cluster of [...clusters].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (bound.has(cluster.id)) continue;
    const value = freeValue(cluster.label.category, values);
    if (value === null) {
      unallocated.push(cluster.id);
      continue;
    }
    const name = uniqueName(cluster.label.sgtName, names);
    values.add(value);
    names.add(name);
    bound.add(cluster.id);
    inserts.push({
      value,
      name,
      description: `Proposed for cluster ${cluster.id}: ${cluster.label.label}`.slice(0, 500),
      category: registryCategory(cluster.label.category),
      clusterId: cluster.id,
    });
  }
  return { inserts, unallocated };
}
