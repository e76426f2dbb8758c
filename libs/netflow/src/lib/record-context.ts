import type { NetflowVersion } from './flow-record';

/**
 * What a compiled record decoder needs to know about the packet and the exporter besides the record bytes. One
 * instance is reused for every set (a fixed shape keeps the generated code's property loads monomorphic).
 */
export class RecordContext {
  exporter = '';
  observationDomain = 0;
  version: NetflowVersion = 9;
  templateId = 0;
  /** Export time from the packet header, epoch milliseconds. */
  exportMs = 0;
  /** v9 header sysUptime (milliseconds since the exporter booted). */
  sysUptimeMs = 0;
  /** IPFIX systemInitTimeMilliseconds learned from options data; NaN when unknown. */
  systemInitMs = Number.NaN;
  /** Domain-wide 1-in-N sampling rate (options data without a sampler id, or configured); 1 when unknown. */
  samplingRate = 1;
  /** Rates per sampler id (IE 48, v9 FLOW_SAMPLER_ID). */
  samplerRates: Map<number, number> = new Map();
  /** Rates per selector id (IE 302, PSAMP selectorId). */
  selectorRates: Map<number, number> = new Map();
  /** Times later than export time by more than this are shifted back (see record-compiler). */
  futureToleranceMs = 2_000;
  fromHeldData = false;
  /** Set by a decoder to the offset of a record whose variable-length fields overran the set; -1 otherwise. */
  malformedAt = -1;
}
