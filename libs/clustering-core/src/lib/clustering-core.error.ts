/** Why a clustering-core operation refused its input. Tests assert the code, never the message. */
export enum ClusteringCoreErrorCode {
  /** An argument outside its documented range (precision, width, min cluster size, ...). */
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  /** Two sketches or profiles built with different parameters cannot be merged or compared. */
  INCOMPATIBLE_PARAMETERS = 'INCOMPATIBLE_PARAMETERS',
  /** Bytes handed to a decoder are truncated, of an unknown version, or otherwise not what an encoder wrote. */
  CORRUPT_ENCODING = 'CORRUPT_ENCODING',
  /** A feature vector or matrix whose width differs from the model's feature space. */
  DIMENSION_MISMATCH = 'DIMENSION_MISMATCH',
}

export class ClusteringCoreError extends Error {
  constructor(
    readonly code: ClusteringCoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ClusteringCoreError';
  }
}

export function invalidArgument(message: string): ClusteringCoreError {
  return new ClusteringCoreError(ClusteringCoreErrorCode.INVALID_ARGUMENT, message);
}
