import { Ie, VARIABLE_LENGTH, type FieldSpecifier } from './information-element';

/** What the decoder takes from one options data record: sampling configuration and system init time. */
export interface OptionsRecordValues {
  samplerId?: number;
  selectorId?: number;
  samplingInterval?: number;
  samplingAlgorithm?: number;
  samplerRandomInterval?: number;
  selectorAlgorithm?: number;
  samplingPacketInterval?: number;
  samplingPacketSpace?: number;
  samplingSize?: number;
  samplingPopulation?: number;
  samplingProbability?: number;
  systemInitTimeMilliseconds?: number;
}

const NUMERIC_OPTIONS: ReadonlyMap<number, keyof OptionsRecordValues> = new Map([
  [Ie.samplerId, 'samplerId'],
  [Ie.selectorId, 'selectorId'],
  [Ie.samplingInterval, 'samplingInterval'],
  [Ie.samplingAlgorithm, 'samplingAlgorithm'],
  [Ie.samplerRandomInterval, 'samplerRandomInterval'],
  [Ie.selectorAlgorithm, 'selectorAlgorithm'],
  [Ie.samplingPacketInterval, 'samplingPacketInterval'],
  [Ie.samplingPacketSpace, 'samplingPacketSpace'],
  [Ie.samplingSize, 'samplingSize'],
  [Ie.samplingPopulation, 'samplingPopulation'],
  [Ie.systemInitTimeMilliseconds, 'systemInitTimeMilliseconds'],
]);

function readUnsigned(view: DataView, offset: number, length: number): number {
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 256 + view.getUint8(offset + i);
  return value;
}

export interface OptionsSetResult {
  records: number;
  /** Offset of a record whose variable-length fields overran the set, or -1. */
  malformedAt: number;
}

/**
 * Walks the options data records of one set. Options data is rare (one record per sampler every few seconds or
 * minutes), so it is interpreted field by field rather than compiled. In v9 the scope fields use their own type
 * space (1 System, 2 Interface, 3 Line Card, 4 Cache, 5 Template: RFC 3954 section 6.1) and are skipped; in IPFIX
 * scope fields are ordinary information elements (RFC 7011 section 3.4.2.2) and are read like the others.
 */
export function readOptionsRecords(
  view: DataView,
  start: number,
  end: number,
  version: 9 | 10,
  fields: readonly FieldSpecifier[],
  scopeFieldCount: number,
  minRecordLength: number,
  onRecord: (values: OptionsRecordValues) => void,
): OptionsSetResult {
  let records = 0;
  let o = start;
  while (end - o >= minRecordLength) {
    const values: OptionsRecordValues = {};
    let p = o;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      let length = field.length;
      if (length === VARIABLE_LENGTH) {
        if (p >= end) return { records, malformedAt: o };
        length = view.getUint8(p++);
        if (length === 255) {
          if (p + 2 > end) return { records, malformedAt: o };
          length = view.getUint16(p);
          p += 2;
        }
      }
      if (p + length > end) return { records, malformedAt: o };
      const interpret = field.enterprise === 0 && (version === 10 || i >= scopeFieldCount);
      if (interpret && length >= 1 && length <= 8) {
        if (field.id === Ie.samplingProbability) {
          if (length === 8) values.samplingProbability = view.getFloat64(p);
          else if (length === 4) values.samplingProbability = view.getFloat32(p);
        } else {
          const key = NUMERIC_OPTIONS.get(field.id);
          if (key !== undefined) values[key] = readUnsigned(view, p, length);
        }
      }
      p += length;
    }
    records++;
    onRecord(values);
    o = p;
  }
  return { records, malformedAt: -1 };
}

/**
 * 1-in-N packet sampling rate described by an options record, or undefined when it describes none.
 *
 * - PSAMP (RFC 5476/5477): random n-out-of-N (selectorAlgorithm 3) gives samplingSize n and samplingPopulation N;
 *   systematic count-based (1) gives samplingPacketInterval (packets taken) and samplingPacketSpace (packets
 *   skipped); uniform probabilistic (4) gives samplingProbability. Cisco IOS XR sends 3 with size 1 and population N
 *   next to a samplingPacketInterval of 1, so size/population is checked first.
 * - NetFlow v9 / older IPFIX: samplingInterval (34) or samplerRandomInterval (50), both "1 out of N".
 */
export function samplingRateOf(values: OptionsRecordValues): number | undefined {
  let rate: number | undefined;
  const { samplingSize, samplingPopulation, samplingPacketInterval, samplingPacketSpace, samplingProbability } = values;
  if (samplingSize !== undefined && samplingPopulation !== undefined && samplingSize > 0 && samplingPopulation > 0) {
    rate = samplingPopulation / samplingSize;
  } else if (samplingPacketInterval !== undefined && samplingPacketInterval > 0 && samplingPacketSpace !== undefined) {
    rate = (samplingPacketInterval + samplingPacketSpace) / samplingPacketInterval;
  } else if (samplingProbability !== undefined && samplingProbability > 0 && samplingProbability <= 1) {
    rate = 1 / samplingProbability;
  } else if (values.samplerRandomInterval !== undefined && values.samplerRandomInterval > 0) {
    rate = values.samplerRandomInterval;
  } else if (values.samplingInterval !== undefined && values.samplingInterval > 0) {
    rate = values.samplingInterval;
  } else if (samplingPacketInterval !== undefined && samplingPacketInterval > 0) {
    // An interval without a space: exporters that send it alone mean "1 out of N".
    rate = samplingPacketInterval;
  }
  if (rate === undefined || !Number.isFinite(rate) || rate < 1) return undefined;
  return rate;
}
