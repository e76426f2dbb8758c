// Agreement between a clustering and reference labels: what the benchmark and the end-to-end tests measure.

function pairs(x: number): number {
  return (x * (x - 1)) / 2;
}

/**
 * Adjusted Rand index (Hubert and Arabie 1985) between two labelings of the same points; every distinct value,
 * including a noise label, is one group. 1 = identical partitions, ~0 = chance agreement.
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length) throw new RangeError('labelings differ in length');
  if (n < 2) return 1;
  const joint = new Map<string, number>();
  const rows = new Map<number, number>();
  const cols = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]}|${b[i]}`;
    joint.set(key, (joint.get(key) ?? 0) + 1);
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    cols.set(b[i], (cols.get(b[i]) ?? 0) + 1);
  }
  let index = 0;
  for (const v of joint.values()) index += pairs(v);
  let sumRows = 0;
  for (const v of rows.values()) sumRows += pairs(v);
  let sumCols = 0;
  for (const v of cols.values()) sumCols += pairs(v);
  const expected = (sumRows * sumCols) / pairs(n);
  const maximum = (sumRows + sumCols) / 2;
  if (maximum === expected) return 1;
  return (index - expected) / (maximum - expected);
}

/**
 * Purity of the clustered points: for each predicted cluster (noise excluded) the count of its most common reference
 * label, summed, over the number of clustered points. 1 when no cluster mixes reference groups.
 */
export function clusterPurity(predicted: ArrayLike<number>, reference: ArrayLike<number>, noise = -1): number {
  const counts = new Map<number, Map<number, number>>();
  let clustered = 0;
  for (let i = 0; i < predicted.length; i++) {
    if (predicted[i] === noise) continue;
    clustered++;
    let inner = counts.get(predicted[i]);
    if (!inner) {
      inner = new Map();
      counts.set(predicted[i], inner);
    }
    inner.set(reference[i], (inner.get(reference[i]) ?? 0) + 1);
  }
  if (clustered === 0) return 0;
  let majority = 0;
  for (const inner of counts.values()) majority += Math.max(...inner.values());
  return majority / clustered;
}

/** Share of points labelled noise. */
export function noiseRate(labels: ArrayLike<number>, noise = -1): number {
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === noise) n++;
  return labels.length > 0 ? n / labels.length : 0;
}
