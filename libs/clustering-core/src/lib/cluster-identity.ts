import { hashString } from './hashing';

export interface PreviousCluster {
  id: string;
  /** Endpoint keys that were members in the previous run. */
  members: readonly string[];
}

export interface ClusterIdMatch {
  /** Index of the cluster in the current run (its HDBSCAN label). */
  label: number;
  id: string;
  /** The previous cluster whose id it keeps, or null when minted. */
  previousId: string | null;
  /** Members shared with that previous cluster. */
  overlap: number;
  jaccard: number;
}

export interface ClusterIdMatching {
  matches: ClusterIdMatch[];
  /** Previous ids no current cluster kept (the group dissolved or merged into another). */
  retiredIds: string[];
}

export interface ClusterIdOptions {
  /**
   * A pair is matched when the shared members are at least this share of the previous or of the current cluster
   * (a cluster that grew or shrank keeps its id), candidates ranked by Jaccard similarity.
   */
  minContainment: number;
  /** Prefix of minted ids. */
  idPrefix: string;
  /** Ids that must never be minted again (every id ever used by this tenant). */
  reservedIds: Iterable<string>;
}

export const DEFAULT_CLUSTER_ID_OPTIONS: Readonly<Omit<ClusterIdOptions, 'reservedIds'>> = Object.freeze({
  minContainment: 0.5,
  idPrefix: 'cl-',
});

/**
 * Gives the clusters of a new run stable ids: each keeps the id of the previous cluster it overlaps most (greedy
 * maximum-Jaccard matching, one-to-one, ties broken by overlap, then previous id, then label), so approved SGTs do not
 * churn when a re-run relabels the same groups. A split keeps the id on the larger part; a merge keeps the id of the
 * better-matching part. Unmatched clusters get a new id derived from a hash of their sorted members: the same input
 * always mints the same id, and a collision with an existing or reserved id is re-hashed.
 */
export function matchClusterIds(
  previous: readonly PreviousCluster[],
  current: ReadonlyArray<readonly string[]>,
  options: Partial<ClusterIdOptions> = {},
): ClusterIdMatching {
  const minContainment = options.minContainment ?? DEFAULT_CLUSTER_ID_OPTIONS.minContainment;
  const prefix = options.idPrefix ?? DEFAULT_CLUSTER_ID_OPTIONS.idPrefix;
  const previousOf = new Map<string, number>();
  previous.forEach((cluster, p) => {
    for (const member of cluster.members) previousOf.set(member, p);
  });
  interface Candidate {
    p: number;
    label: number;
    overlap: number;
    jaccard: number;
  }
  const candidates: Candidate[] = [];
  current.forEach((members, label) => {
    const overlaps = new Map<number, number>();
    for (const member of members) {
      const p = previousOf.get(member);
      if (p !== undefined) overlaps.set(p, (overlaps.get(p) ?? 0) + 1);
    }
    for (const [p, overlap] of overlaps) {
      const previousSize = previous[p].members.length;
      const jaccard = overlap / (previousSize + members.length - overlap);
      if (overlap >= minContainment * previousSize || overlap >= minContainment * members.length) {
        candidates.push({ p, label, overlap, jaccard });
      }
    }
  });
  candidates.sort(
    (a, b) => b.jaccard - a.jaccard || b.overlap - a.overlap || compare(previous[a.p].id, previous[b.p].id) || a.label - b.label,
  );
  const takenPrevious = new Set<number>();
  const byLabel = new Map<number, Candidate>();
  for (const candidate of candidates) {
    if (takenPrevious.has(candidate.p) || byLabel.has(candidate.label)) continue;
    takenPrevious.add(candidate.p);
    byLabel.set(candidate.label, candidate);
  }
  const used = new Set<string>([...previous.map((c) => c.id), ...(options.reservedIds ?? [])]);
  const matches: ClusterIdMatch[] = current.map((members, label) => {
    const match = byLabel.get(label);
    if (match) {
      return { label, id: previous[match.p].id, previousId: previous[match.p].id, overlap: match.overlap, jaccard: match.jaccard };
    }
    return { label, id: '', previousId: null, overlap: 0, jaccard: 0 };
  });
  // Mint in a deterministic order (by the members' own hash) so ids do not depend on label numbering.
  const toMint = matches.filter((m) => m.previousId === null).map((m) => ({ match: m, digest: membersDigest(current[m.label]) }));
  toMint.sort((a, b) => compare(a.digest, b.digest) || a.match.label - b.match.label);
  for (const { match, digest } of toMint) {
    let id = `${prefix}${digest}`;
    for (let attempt = 1; used.has(id); attempt++) id = `${prefix}${hex(hashString(`${digest}#${attempt}`, 0x1d5))}`;
    used.add(id);
    match.id = id;
  }
  const retiredIds = previous.filter((_, p) => !takenPrevious.has(p)).map((c) => c.id);
  return { matches, retiredIds };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hex(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

function membersDigest(members: readonly string[]): string {
  const sorted = [...members].sort(compare);
  let a = 0x9e3779b9;
  let b = 0x85ebca6b;
  for (const member of sorted) {
    a = Math.imul(a ^ hashString(member, 0x11), 0x01000193) >>> 0;
    b = Math.imul(b ^ hashString(member, 0x29), 0x27d4eb2f) >>> 0;
  }
  return hex(a ^ (b >>> 7)) + hex(b).slice(0, 4);
}

/**
 * Share of endpoints present in both runs whose cluster id is unchanged (noise counts as one id, null). The
 * benchmark's `stability`.
 */
export function clusterIdStability(before: ReadonlyMap<string, string | null>, after: ReadonlyMap<string, string | null>): number {
  let common = 0;
  let kept = 0;
  for (const [endpoint, id] of before) {
    if (!after.has(endpoint)) continue;
    common++;
    if (after.get(endpoint) === id) kept++;
  }
  return common > 0 ? kept / common : 1;
}
