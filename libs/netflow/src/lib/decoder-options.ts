import type { FieldRef } from './information-element';

/** Limits and knobs of a NetflowDecoder. Every cap exists so that a hostile or broken exporter costs bounded memory. */
export interface NetflowDecoderOptions {
  /** Exporters with state (templates, sequence, held data); packets from more are rejected (TOO_MANY_EXPORTERS). */
  maxExporters: number;
  /** Data plus options templates per exporter, all domains together (TOO_MANY_TEMPLATES beyond). */
  maxTemplatesPerExporter: number;
  /** Fields per template (TEMPLATE_TOO_LARGE beyond). */
  maxFieldsPerTemplate: number;
  /** Minimum record length a template may describe, in bytes (TEMPLATE_TOO_LARGE beyond). */
  maxTemplateRecordLength: number;
  /** Data sets that wait for their template, per exporter. */
  maxHeldSetsPerExporter: number;
  /** Bytes of data sets that wait for their template, per exporter. */
  maxHeldBytesPerExporter: number;
  /** Bytes of data sets that wait for their template, all exporters together. */
  maxHeldBytesTotal: number;
  /** How long a data set may wait for its template, against the `receivedAtMs` given to `decode`. */
  maxHeldAgeMs: number;
  /** Fields that carry the TrustSec source group tag; the first one present in a template wins. */
  sourceSgtFields: FieldRef[];
  /** Fields that carry the TrustSec destination group tag. */
  destinationSgtFields: FieldRef[];
  /** A sequence number this far behind the expected one is a late packet; further behind is an exporter restart. */
  sequenceReorderWindow: number;
  /** A sequence number this far ahead of the expected one is an exporter restart rather than loss. */
  sequenceMaxGap: number;
  /** Compiled record decoders kept, shared by every exporter sending the same template layout. */
  compiledDecoderCacheSize: number;
}

export const DEFAULT_NETFLOW_DECODER_OPTIONS: Readonly<NetflowDecoderOptions> = Object.freeze({
  maxExporters: 10_000,
  maxTemplatesPerExporter: 512,
  // Real templates have 10-60 fields (the Huawei capture in the fixtures has 51); 256 leaves room for odd ones.
  maxFieldsPerTemplate: 256,
  maxTemplateRecordLength: 8_192,
  maxHeldSetsPerExporter: 256,
  maxHeldBytesPerExporter: 512 * 1024,
  maxHeldBytesTotal: 64 * 1024 * 1024,
  // Exporters usually resend templates every 20-60 s or every N packets; data older than a minute would mostly
  // be decoded with stale sampling state anyway.
  maxHeldAgeMs: 60_000,
  sourceSgtFields: [{ id: 34000 }],
  destinationSgtFields: [{ id: 34001 }],
  sequenceReorderWindow: 1_000,
  sequenceMaxGap: 1 << 24,
  compiledDecoderCacheSize: 1_024,
});

export function resolveDecoderOptions(options: Partial<NetflowDecoderOptions> = {}): NetflowDecoderOptions {
  const resolved: NetflowDecoderOptions = { ...DEFAULT_NETFLOW_DECODER_OPTIONS, ...options };
  for (const key of [
    'maxExporters',
    'maxTemplatesPerExporter',
    'maxFieldsPerTemplate',
    'maxTemplateRecordLength',
    'maxHeldSetsPerExporter',
    'maxHeldBytesPerExporter',
    'maxHeldBytesTotal',
    'maxHeldAgeMs',
    'sequenceReorderWindow',
    'sequenceMaxGap',
    'compiledDecoderCacheSize',
  ] as const) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`NetflowDecoderOptions.${key} must be a non-negative integer`);
  }
  return resolved;
}
