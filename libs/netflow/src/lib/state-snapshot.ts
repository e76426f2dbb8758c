import type { TemplateKind } from './exporter-state';
import type { NetflowVersion } from './flow-record';
import { VARIABLE_LENGTH } from './information-element';

/** One template, as plain JSON: what the ingest service stores (e.g. one PostgreSQL row per template). */
export interface TemplateSnapshot {
  exporter: string;
  version: 9 | 10;
  observationDomain: number;
  templateId: number;
  kind: TemplateKind;
  /** Options templates: number of leading scope fields. 0 for data templates. */
  scopeFieldCount: number;
  fields: Array<{ id: number; length: number; enterprise: number }>;
  learnedAtMs: number;
}

/** Sampling state and system init time of one domain, learned from options data. */
export interface DomainSnapshot {
  exporter: string;
  version: NetflowVersion;
  observationDomain: number;
  /** Domain-wide 1-in-N rate, null when the exporter announced none. */
  samplingRate: number | null;
  systemInitMs: number | null;
  /** [sampler id (IE 48), rate] pairs. */
  samplerRates: Array<[number, number]>;
  /** [selector id (IE 302), rate] pairs. */
  selectorRates: Array<[number, number]>;
}

export interface NetflowStateSnapshot {
  formatVersion: 1;
  templates: TemplateSnapshot[];
  domains: DomainSnapshot[];
}

export interface ImportStateResult {
  templates: number;
  domains: number;
  /** Entries that did not validate or did not fit the caps; also counted as INVALID_SNAPSHOT / TOO_MANY_*. */
  rejected: number;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isUint = (value: unknown, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
const isRate = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 1;

/** Validates one stored template; snapshots come from a database, which is a trust boundary like the wire. */
export function parseTemplateSnapshot(value: unknown): TemplateSnapshot | undefined {
  if (!isObject(value)) return undefined;
  const { exporter, version, observationDomain, templateId, kind, scopeFieldCount, fields, learnedAtMs } = value;
  if (typeof exporter !== 'string' || exporter.length === 0) return undefined;
  if (version !== 9 && version !== 10) return undefined;
  if (!isUint(observationDomain, 0xffff_ffff) || !isUint(templateId, 0xffff) || templateId < 256) return undefined;
  if (kind !== 'data' && kind !== 'options') return undefined;
  if (!Array.isArray(fields) || fields.length === 0) return undefined;
  if (!isUint(scopeFieldCount, fields.length)) return undefined;
  if ((kind === 'options') !== scopeFieldCount > 0) return undefined;
  const parsed: TemplateSnapshot['fields'] = [];
  for (const field of fields) {
    if (!isObject(field)) return undefined;
    const { id, length, enterprise } = field;
    if (!isUint(id, 0xffff) || !isUint(length, VARIABLE_LENGTH) || !isUint(enterprise, 0xffff_ffff)) return undefined;
    // IPFIX element ids are 15 bits: the 16th bit on the wire is the enterprise flag (RFC 7011 section 3.2).
    if (version === 10 && id > 0x7fff) return undefined;
    if (version === 9 && enterprise !== 0) return undefined;
    parsed.push({ id, length, enterprise });
  }
  return {
    exporter,
    version,
    observationDomain,
    templateId,
    kind,
    scopeFieldCount,
    fields: parsed,
    learnedAtMs: typeof learnedAtMs === 'number' && Number.isFinite(learnedAtMs) ? learnedAtMs : 0,
  };
}

function parseRatePairs(value: unknown): Array<[number, number]> | undefined {
  if (!Array.isArray(value)) return undefined;
  const pairs: Array<[number, number]> = [];
  for (const pair of value) {
    if (!Array.isArray(pair) || pair.length !== 2 || !isUint(pair[0], Number.MAX_SAFE_INTEGER) || !isRate(pair[1])) {
      return undefined;
    }
    pairs.push([pair[0], pair[1]]);
  }
  return pairs;
}

export function parseDomainSnapshot(value: unknown): DomainSnapshot | undefined {
  if (!isObject(value)) return undefined;
  const { exporter, version, observationDomain, samplingRate, systemInitMs } = value;
  if (typeof exporter !== 'string' || exporter.length === 0) return undefined;
  if (version !== 5 && version !== 9 && version !== 10) return undefined;
  if (!isUint(observationDomain, 0xffff_ffff)) return undefined;
  if (samplingRate !== null && !isRate(samplingRate)) return undefined;
  if (systemInitMs !== null && !(typeof systemInitMs === 'number' && Number.isFinite(systemInitMs))) return undefined;
  const samplerRates = parseRatePairs(value['samplerRates']);
  const selectorRates = parseRatePairs(value['selectorRates']);
  if (!samplerRates || !selectorRates) return undefined;
  return { exporter, version, observationDomain, samplingRate, systemInitMs, samplerRates, selectorRates };
}
