import { emptyDecodeErrorCounts, type DecodeErrorCounts } from './decode-error';
import type { NetflowVersion } from './flow-record';
import type { FieldSpecifier } from './information-element';
import type { RecordDecoder } from './record-compiler';
import { SequenceTracker } from './sequence-tracker';

export type TemplateKind = 'data' | 'options';

/** A template as learned from the wire (or restored from a snapshot). */
export interface TemplateEntry {
  kind: TemplateKind;
  templateId: number;
  fields: FieldSpecifier[];
  /** Options templates: how many of `fields` are scope fields. 0 for data templates. */
  scopeFieldCount: number;
  minRecordLength: number;
  /** Identity of the layout: equal signatures decode identically, so they share one compiled decoder. */
  signature: string;
  /** Compiled on first use, so a storm of templates that never see data costs no compilation. */
  decoder: RecordDecoder | undefined;
  learnedAtMs: number;
}

/** A data set that arrived before its template, with what is needed to decode it later. */
export interface HeldSet {
  domainKey: number;
  templateId: number;
  body: Uint8Array;
  receivedAtMs: number;
  exportMs: number;
  sysUptimeMs: number;
}

/** Samplers per domain are bounded so an exporter cannot grow the tables without limit. */
export const MAX_SAMPLERS_PER_DOMAIN = 1_024;

/** State of one (version, source id / observation domain) of one exporter. */
export class DomainState {
  readonly templates = new Map<number, TemplateEntry>();
  readonly samplerRates = new Map<number, number>();
  readonly selectorRates = new Map<number, number>();
  /** Domain-wide rate from options data without a sampler id; NaN when none seen. */
  samplingRate = Number.NaN;
  systemInitMs = Number.NaN;
  readonly sequence: SequenceTracker;
  /** Records decoded in this domain, to turn v9's lost packets into an estimate of lost records. */
  records = 0;
  lostRecords = 0;

  constructor(
    readonly key: number,
    readonly version: NetflowVersion,
    readonly observationDomain: number,
    reorderWindow: number,
    maxGap: number,
  ) {
    this.sequence = new SequenceTracker(reorderWindow, maxGap);
  }
}

export class ExporterState {
  readonly domains = new Map<number, DomainState>();
  templateCount = 0;
  held: HeldSet[] = [];
  heldBytes = 0;
  /** Rate set by configuration (setSamplingRate); used when the exporter itself says nothing. */
  configuredSamplingRate = Number.NaN;
  packets = 0;
  records = 0;
  readonly errors: DecodeErrorCounts = emptyDecodeErrorCounts();

  constructor(readonly address: string) {}
}

/** Domains of different versions never share templates: the key folds the version in. */
export function domainKeyOf(version: NetflowVersion, observationDomain: number): number {
  return version * 0x1_0000_0000 + observationDomain;
}

export function templateSignature(version: NetflowVersion, fields: readonly FieldSpecifier[]): string {
  let signature = String(version);
  for (const f of fields) signature += `|${f.enterprise}.${f.id}.${f.length}`;
  return signature;
}
