import type { DecodeError, DecodeErrorCounts } from './decode-error';
import type { FlowRecord, NetflowVersion } from './flow-record';
import type { HeldDropReason } from './held-data-store';

/** What one call to `decode` produced. */
export interface DecodeResult {
  exporter: string;
  /** Version from the first two bytes, or null when the packet was too short or of an unknown version. */
  version: NetflowVersion | null;
  /** v9 source id / IPFIX observation domain / v5 engine, null when the header could not be read. */
  observationDomain: number | null;
  /** Flow records of this packet, and records of held data released by templates in this packet. */
  records: FlowRecord[];
  /** Everything rejected in this packet; each entry was also counted in `stats().errors`. */
  errors: DecodeError[];
  /** Of `records`, how many came from held data (they have `fromHeldData: true`). */
  releasedRecords: number;
  /** Data sets of this packet held because their template is not known yet. */
  heldSets: number;
  /** Options data records read (sampling configuration, system init time). */
  optionsRecords: number;
  /**
   * Loss newly detected from the sequence number: v5 flows, IPFIX records, v9 lost packets turned into an estimate of
   * records. Negative when a late packet fills a gap counted before.
   */
  lostRecords: number;
  /** A template was learned, changed or withdrawn: persist the exporter's templates again. */
  templatesChanged: boolean;
}

export function newDecodeResult(exporter: string): DecodeResult {
  return {
    exporter,
    version: null,
    observationDomain: null,
    records: [],
    errors: [],
    releasedRecords: 0,
    heldSets: 0,
    optionsRecords: 0,
    lostRecords: 0,
    templatesChanged: false,
  };
}

export interface NetflowDecoderStats {
  /** Packets whose header was accepted, per version; `rejected`: packets dropped whole (header, version, cap). */
  packets: { v5: number; v9: number; ipfix: number; rejected: number };
  records: { v5: number; v9: number; ipfix: number };
  optionsRecords: number;
  errors: DecodeErrorCounts;
  templates: { active: number; learned: number; refreshed: number; withdrawn: number; compiled: number };
  held: {
    /** Data sets waiting for their template now, and their bytes. */
    sets: number;
    bytes: number;
    /** Data sets ever held, released (decoded when their template came), and records decoded from them. */
    heldTotal: number;
    released: number;
    releasedRecords: number;
    /** Data sets dropped without being decoded, by reason. */
    dropped: Record<HeldDropReason, number>;
  };
  exporters: number;
  sequence: { lostRecords: number; latePackets: number; resets: number };
}

export interface DomainStatus {
  version: NetflowVersion;
  observationDomain: number;
  templates: number;
  optionsTemplates: number;
  /** Domain-wide rate from options data (or configuration); null when unknown. */
  samplingRate: number | null;
  samplers: number;
  /** In the unit the version counts: flows (v5), packets (v9), records (IPFIX). */
  lostSequenceUnits: number;
  /** Lost records (v9: estimated from lost packets and the average records per packet). */
  lostRecords: number;
  latePackets: number;
  resets: number;
}

export interface ExporterStatus {
  exporter: string;
  packets: number;
  records: number;
  errors: DecodeErrorCounts;
  heldSets: number;
  heldBytes: number;
  domains: DomainStatus[];
}
