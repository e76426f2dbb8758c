/**
 * Why (part of) an export packet was rejected. String values, so they can be used directly as a Prometheus label
 * and stored in the exporter registry. Every rejection the decoder makes is exactly one of these, counted once.
 */
export enum DecodeErrorReason {
  /** Shorter than the 2-byte version, or than the version's fixed header (sFlow: the datagram header). */
  TRUNCATED_HEADER = 'TRUNCATED_HEADER',
  /** First two bytes are not 5, 9 or 10 (sFlow: the 32-bit version is not 5). */
  UNSUPPORTED_VERSION = 'UNSUPPORTED_VERSION',
  /**
   * A length in a header disagrees with the datagram (IPFIX message length, v5 count * 48); sFlow: bytes left after
   * the last sample the header announces (the samples are kept).
   */
  BAD_LENGTH = 'BAD_LENGTH',
  /**
   * v5 header announces more than 30 records; sFlow: the datagram announces more samples than it holds (the samples
   * there are kept), or a sample more records than it holds (that sample is dropped).
   */
  BAD_RECORD_COUNT = 'BAD_RECORD_COUNT',
  /** sFlow: the agent address type is neither 1 (IPv4) nor 2 (IPv6); the datagram names no exporter and is dropped. */
  BAD_AGENT_ADDRESS = 'BAD_AGENT_ADDRESS',
  /**
   * sFlow: a sample whose length runs past the datagram (the rest of the datagram is unreadable: earlier samples are
   * kept), or whose fixed fields do not fit in its length (that sample is dropped, the next one is read).
   */
  MALFORMED_SAMPLE = 'MALFORMED_SAMPLE',
  /** A set/flowset header is shorter than 4 bytes or runs past the end of the message; the rest is unreadable. */
  MALFORMED_SET = 'MALFORMED_SET',
  /** A set id the RFC reserves (v9: 2-255, IPFIX: 0, 1, 4-255); skipped by its length. */
  RESERVED_SET_ID = 'RESERVED_SET_ID',
  /** A template record that cannot be parsed: truncated, id below 256, no fields, zero record length. */
  MALFORMED_TEMPLATE = 'MALFORMED_TEMPLATE',
  /** A template with more fields, or a longer record, than the configured caps. */
  TEMPLATE_TOO_LARGE = 'TEMPLATE_TOO_LARGE',
  /** A new template beyond the cap of templates per exporter. */
  TOO_MANY_TEMPLATES = 'TOO_MANY_TEMPLATES',
  /** A packet from a new exporter beyond the cap of exporters with state (sFlow: agents, sub-agents per agent). */
  TOO_MANY_EXPORTERS = 'TOO_MANY_EXPORTERS',
  /**
   * A data record whose variable-length fields run past the end of its set; earlier records of the set are kept.
   * sFlow: a flow or counter record that runs past its sample or is too short for its type; its sample is dropped.
   */
  MALFORMED_RECORD = 'MALFORMED_RECORD',
  /** A template snapshot handed to `importState` that does not validate. */
  INVALID_SNAPSHOT = 'INVALID_SNAPSHOT',
  /** An unexpected exception inside the decoder (a bug): the rest of that packet is dropped. Should stay 0. */
  DECODER_FAULT = 'DECODER_FAULT',
}

export const DECODE_ERROR_REASONS: readonly DecodeErrorReason[] = Object.values(DecodeErrorReason);

export interface DecodeError {
  reason: DecodeErrorReason;
  /** Byte offset in the packet where the problem was found (0 for whole-packet problems). */
  offset: number;
  /** Short human-readable detail for logs; never part of a metric label. */
  detail: string;
}

export type DecodeErrorCounts = Record<DecodeErrorReason, number>;

export function emptyDecodeErrorCounts(): DecodeErrorCounts {
  const counts = {} as DecodeErrorCounts;
  for (const reason of DECODE_ERROR_REASONS) counts[reason] = 0;
  return counts;
}
