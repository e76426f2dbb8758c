import { ClusteringCoreError, ClusteringCoreErrorCode, invalidArgument } from './clustering-core.error';

/** Row-major matrix of feature vectors: row i is values[i * cols .. (i + 1) * cols). */
export interface FeatureMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly values: Float32Array;
}

export function createFeatureMatrix(rows: number, cols: number, values?: Float32Array): FeatureMatrix {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 1) throw invalidArgument('bad matrix shape');
  const data = values ?? new Float32Array(rows * cols);
  if (data.length !== rows * cols) {
    throw new ClusteringCoreError(ClusteringCoreErrorCode.DIMENSION_MISMATCH, `matrix of ${rows}x${cols} needs ${rows * cols} values`);
  }
  return { rows, cols, values: data };
}

/** Builds a matrix from equally long rows. */
export function matrixFromRows(rows: ReadonlyArray<ArrayLike<number>>, cols?: number): FeatureMatrix {
  const width = cols ?? (rows.length > 0 ? rows[0].length : 1);
  const matrix = createFeatureMatrix(rows.length, width);
  rows.forEach((row, i) => {
    if (row.length !== width) throw new ClusteringCoreError(ClusteringCoreErrorCode.DIMENSION_MISMATCH, `row ${i} has ${row.length} values, expected ${width}`);
    for (let j = 0; j < width; j++) matrix.values[i * width + j] = row[j];
  });
  return matrix;
}

export function matrixRow(matrix: FeatureMatrix, index: number): Float32Array {
  return matrix.values.subarray(index * matrix.cols, (index + 1) * matrix.cols);
}

/** Rows `indices` of `matrix`, in that order, as a new matrix. */
export function selectRows(matrix: FeatureMatrix, indices: ArrayLike<number>): FeatureMatrix {
  const out = createFeatureMatrix(indices.length, matrix.cols);
  for (let i = 0; i < indices.length; i++) out.values.set(matrixRow(matrix, indices[i]), i * matrix.cols);
  return out;
}

export function squaredDistance(a: ArrayLike<number>, aOffset: number, b: ArrayLike<number>, bOffset: number, dim: number): number {
  let sum = 0;
  for (let k = 0; k < dim; k++) {
    const d = a[aOffset + k] - b[bOffset + k];
    sum += d * d;
  }
  return sum;
}
