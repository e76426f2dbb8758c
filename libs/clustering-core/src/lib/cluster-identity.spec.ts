import { clusterIdStability, matchClusterIds } from './cluster-identity';
import { matrixFromRows } from './feature-matrix';
import { hdbscan, NOISE } from './hdbscan';
import { SeededRandom } from './seeded-random';

const range = (prefix: string, from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

describe('matchClusterIds', () => {
  it('keeps ids across a re-run with 5 % new points', () => {
    const rng = new SeededRandom(17);
    const centres = [[0, 0, 0], [7, 0, 0], [0, 7, 0], [0, 0, 7], [7, 7, 7]];
    const point = (g: number) => centres[g].map((c) => c + 0.8 * rng.normal());
    const keys: string[] = [];
    const rows: number[][] = [];
    for (let i = 0; i < 800; i++) {
      keys.push(`ep${i}`);
      rows.push(point(i % 5));
    }
    const run = (ks: string[], rs: number[][]) => {
      const result = hdbscan(matrixFromRows(rs), { minClusterSize: 25, minSamples: 8 });
      const members: string[][] = result.clusters.map(() => []);
      ks.forEach((k, i) => result.labels[i] !== NOISE && members[result.labels[i]].push(k));
      return { result, members };
    };
    const first = run(keys, rows);
    const firstIds = matchClusterIds([], first.members);
    expect(firstIds.matches).toHaveLength(5);
    for (let i = 800; i < 840; i++) {
      keys.push(`ep${i}`);
      rows.push(point(i % 5));
    }
    const second = run(keys, rows);
    const previous = firstIds.matches.map((m) => ({ id: m.id, members: first.members[m.label] }));
    const secondIds = matchClusterIds(previous, second.members);
    expect(new Set(secondIds.matches.map((m) => m.id))).toEqual(new Set(firstIds.matches.map((m) => m.id)));
    expect(secondIds.retiredIds).toEqual([]);
    const assignment = (members: string[][], ids: string[]) => {
      const map = new Map<string, string | null>();
      members.forEach((ms, label) => ms.forEach((k) => map.set(k, ids[label])));
      for (const k of keys) if (!map.has(k)) map.set(k, null);
      return map;
    };
    const before = assignment(first.members, firstIds.matches.map((m) => m.id));
    const after = assignment(second.members, secondIds.matches.map((m) => m.id));
    for (const k of keys.slice(800)) before.delete(k);
    expect(clusterIdStability(before, after)).toBeGreaterThanOrEqual(0.95);
  });

  it('keeps the id on the larger part of a split and mints a new id for the other part', () => {
    const previous = [{ id: 'cl-a', members: range('e', 0, 100) }];
    const result = matchClusterIds(previous, [range('e', 0, 30), range('e', 30, 100)]);
    expect(result.matches.map((m) => m.previousId)).toEqual([null, 'cl-a']);
    expect(result.matches[0].id).toMatch(/^cl-[0-9a-f]{12}$/);
  });

  it('keeps the id of the better-matching part of a merge and retires the other', () => {
    const previous = [
      { id: 'cl-big', members: range('e', 0, 80) },
      { id: 'cl-small', members: range('e', 80, 100) },
    ];
    const result = matchClusterIds(previous, [range('e', 0, 100)]);
    expect(result.matches[0].id).toBe('cl-big');
    expect(result.retiredIds).toEqual(['cl-small']);
  });

  it('keeps the id of a cluster that grew to four times its size', () => {
    const result = matchClusterIds([{ id: 'cl-x', members: range('e', 0, 50) }], [range('e', 0, 200)]);
    expect(result.matches[0].id).toBe('cl-x');
  });

  it('does not reuse an id for a cluster sharing only a minority of members', () => {
    const result = matchClusterIds([{ id: 'cl-x', members: range('e', 0, 100) }], [[...range('e', 0, 20), ...range('n', 0, 80)]]);
    expect(result.matches[0].previousId).toBeNull();
    expect(result.retiredIds).toEqual(['cl-x']);
  });

  it('mints the same ids for the same members whatever the label order, never reusing reserved ids', () => {
    const a = range('a', 0, 10);
    const b = range('b', 0, 10);
    const first = matchClusterIds([], [a, b]);
    const swapped = matchClusterIds([], [b, a]);
    expect(swapped.matches[0].id).toBe(first.matches[1].id);
    expect(swapped.matches[1].id).toBe(first.matches[0].id);
    const reserved = matchClusterIds([], [a], { reservedIds: [first.matches[0].id] });
    expect(reserved.matches[0].id).not.toBe(first.matches[0].id);
  });
});
