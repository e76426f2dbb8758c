import { ClusteringCoreError, ClusteringCoreErrorCode, invalidArgument } from './clustering-core.error';
import { createFeatureMatrix, type FeatureMatrix } from './feature-matrix';

export type ScalerKind = 'standard' | 'robust';

export interface FeatureScalerOptions {
  /** standard: mean and standard deviation; robust: median and IQR / 1.349 (falls back to the deviation when 0). */
  kind: ScalerKind;
  /** Scaled values are clipped to [-clip, clip] so one extreme feature cannot dominate every distance. */
  clip: number;
  /** Per-feature floor of the scale (a feature that is nearly constant would otherwise blow small noise up). */
  minScales?: ArrayLike<number>;
  featureNames?: readonly string[];
}

/** What is stored with a model (JSON-safe). */
export interface FeatureScalerState {
  kind: ScalerKind;
  clip: number;
  featureNames: string[];
  center: number[];
  scale: number[];
}

/**
 * Standardisation fitted on the clustering input and stored with the model, so an incremental assignment compares a
 * new endpoint in exactly the space the clusters were found in (the earlier version compared raw vectors against a
 * threshold tuned for standardised ones).
 */
export class FeatureScaler {
  private constructor(
    readonly kind: ScalerKind,
    readonly clip: number,
    readonly featureNames: readonly string[],
    readonly center: Float64Array,
    readonly scale: Float64Array,
  ) {}

  get dimension(): number {
    return this.center.length;
  }

  static fit(matrix: FeatureMatrix, options: FeatureScalerOptions): FeatureScaler {
    if (matrix.rows < 1) throw invalidArgument('cannot fit a scaler on an empty matrix');
    if (!(options.clip > 0)) throw invalidArgument('scaler clip must be positive');
    const { rows, cols, values } = matrix;
    const center = new Float64Array(cols);
    const scale = new Float64Array(cols);
    const column = new Float64Array(rows);
    for (let j = 0; j < cols; j++) {
      let sum = 0;
      for (let i = 0; i < rows; i++) {
        column[i] = values[i * cols + j];
        sum += column[i];
      }
      const mean = sum / rows;
      let squares = 0;
      for (let i = 0; i < rows; i++) squares += (column[i] - mean) * (column[i] - mean);
      const deviation = Math.sqrt(squares / rows);
      if (options.kind === 'robust') {
        column.sort();
        center[j] = quantile(column, 0.5);
        const iqr = (quantile(column, 0.75) - quantile(column, 0.25)) / 1.349;
        scale[j] = iqr > 0 ? iqr : deviation;
      } else {
        center[j] = mean;
        scale[j] = deviation;
      }
      const floor = options.minScales ? options.minScales[j] : 1e-9;
      if (!(scale[j] >= floor)) scale[j] = floor > 0 ? floor : 1;
    }
    const names = options.featureNames ? [...options.featureNames] : Array.from({ length: cols }, (_, j) => `f${j}`);
    if (names.length !== cols) throw new ClusteringCoreError(ClusteringCoreErrorCode.DIMENSION_MISMATCH, 'feature names do not match the matrix width');
    return new FeatureScaler(options.kind, options.clip, names, center, scale);
  }

  /** Scales one vector into `out` (may be the same array). */
  transformVector(vector: ArrayLike<number>, out: Float32Array | Float64Array, outOffset = 0, inOffset = 0): void {
    const d = this.dimension;
    for (let j = 0; j < d; j++) {
      const z = (vector[inOffset + j] - this.center[j]) / this.scale[j];
      out[outOffset + j] = z > this.clip ? this.clip : z < -this.clip ? -this.clip : z;
    }
  }

  transform(matrix: FeatureMatrix): FeatureMatrix {
    if (matrix.cols !== this.dimension) {
      throw new ClusteringCoreError(ClusteringCoreErrorCode.DIMENSION_MISMATCH, `matrix has ${matrix.cols} features, scaler ${this.dimension}`);
    }
    const out = createFeatureMatrix(matrix.rows, matrix.cols);
    for (let i = 0; i < matrix.rows; i++) this.transformVector(matrix.values, out.values, i * matrix.cols, i * matrix.cols);
    return out;
  }

  toJSON(): FeatureScalerState {
    return {
      kind: this.kind,
      clip: this.clip,
      featureNames: [...this.featureNames],
      center: Array.from(this.center),
      scale: Array.from(this.scale),
    };
  }

  static fromJSON(state: FeatureScalerState): FeatureScaler {
    const d = state.center.length;
    if (state.scale.length !== d || state.featureNames.length !== d || !state.scale.every((s) => s > 0) || !(state.clip > 0)) {
      throw new ClusteringCoreError(ClusteringCoreErrorCode.CORRUPT_ENCODING, 'scaler state is inconsistent');
    }
    return new FeatureScaler(state.kind, state.clip, state.featureNames, Float64Array.from(state.center), Float64Array.from(state.scale));
  }
}

function quantile(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
}
