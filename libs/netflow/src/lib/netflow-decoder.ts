import { DecodeErrorReason, emptyDecodeErrorCounts, type DecodeError, type DecodeErrorCounts } from './decode-error';
import { resolveDecoderOptions, type NetflowDecoderOptions } from './decoder-options';
import {
  DomainState,
  ExporterState,
  MAX_SAMPLERS_PER_DOMAIN,
  domainKeyOf,
  templateSignature,
  type TemplateEntry,
  type TemplateKind,
} from './exporter-state';
import type { FlowRecord, NetflowVersion } from './flow-record';
import type { FieldSpecifier } from './information-element';
import { readOptionsRecords, samplingRateOf, type OptionsRecordValues } from './options-record';
import { compileRecordDecoder, minimumRecordLength, type RecordDecoder, type SgtFieldRefs } from './record-compiler';
import { RecordContext } from './record-context';
import {
  parseDomainSnapshot,
  parseTemplateSnapshot,
  type DomainSnapshot,
  type ImportStateResult,
  type NetflowStateSnapshot,
  type TemplateSnapshot,
} from './state-snapshot';
import { decodeV5Records, V5_HEADER_LENGTH, V5_MAX_RECORDS, V5_RECORD_LENGTH } from './v5-records';

/** What one call to `decode` produced. */
export interface DecodeResult {
  exporter: string;
  /** Version from the first two bytes, or null when the packet was too short or of an unknown version. */
  version: NetflowVersion | null;
  /** v9 source id / IPFIX observation domain / v5 engine, null when the header could not be read. */
  observationDomain: number | null;
  /** Flow records of this packet, followed by records of held data released by templates in this packet. */
  records: FlowRecord[];
  /** Everything rejected in this packet; each entry was also counted in `stats().errors`. */
  errors: DecodeError[];
  /** Of `records`, how many came from held data (they have `fromHeldData: true`). */
  releasedRecords: number;
  /** Data sets of this packet held because their template is not known yet. */
  heldSets: number;
  /** Options data records read (sampling configuration, system init time). */
  optionsRecords: number;
  /** Loss newly detected from the sequence number (v5 flows, IPFIX records, v9 packets turned into an estimate of
   * records). Negative when a late packet fills a gap counted before. */
  lostRecords: number;
  /** A template was learned, changed or withdrawn: persist the exporter's templates again. */
  templatesChanged: boolean;
}

export enum HeldDropReason {
  /** Waited longer than maxHeldAgeMs. */
  EXPIRED = 'EXPIRED',
  /** Evicted to stay within the per-exporter caps (sets or bytes), oldest first. */
  EXPORTER_CAP = 'EXPORTER_CAP',
  /** Dropped to stay within maxHeldBytesTotal. */
  GLOBAL_CAP = 'GLOBAL_CAP',
  /** The exporter was forgotten. */
  EXPORTER_FORGOTTEN = 'EXPORTER_FORGOTTEN',
}

export interface NetflowDecoderStats {
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

const V9_HEADER_LENGTH = 20;
const IPFIX_HEADER_LENGTH = 16;

/**
 * Stateful NetFlow v5 / v9 / IPFIX decoder for one collector process. Pure: no I/O, no clock (time comes in as
 * `receivedAtMs`), no framework. `decode` never throws; everything it rejects is returned in `errors` and counted by
 * reason in `stats()`.
 */
export class NetflowDecoder {
  private readonly options: NetflowDecoderOptions;
  private readonly sgt: SgtFieldRefs;
  private readonly exporters = new Map<string, ExporterState>();
  private readonly compiled = new Map<string, RecordDecoder>();
  private readonly ctx = new RecordContext();
  private heldBytesTotal = 0;
  private readonly counters = {
    packets: { v5: 0, v9: 0, ipfix: 0, rejected: 0 },
    records: { v5: 0, v9: 0, ipfix: 0 },
    optionsRecords: 0,
    errors: emptyDecodeErrorCounts(),
    templates: { learned: 0, refreshed: 0, withdrawn: 0, compiled: 0 },
    held: {
      heldTotal: 0,
      released: 0,
      releasedRecords: 0,
      dropped: { EXPIRED: 0, EXPORTER_CAP: 0, GLOBAL_CAP: 0, EXPORTER_FORGOTTEN: 0 } as Record<HeldDropReason, number>,
    },
  };

  constructor(options: Partial<NetflowDecoderOptions> = {}) {
    this.options = resolveDecoderOptions(options);
    this.sgt = { source: [...this.options.sourceSgtFields], destination: [...this.options.destinationSgtFields] };
  }

  /**
   * Decodes one export packet (a UDP payload) from `exporter` (its source address) received at `receivedAtMs`
   * (epoch milliseconds; used only to age held data). Never throws.
   */
  decode(packet: Uint8Array, exporter: string, receivedAtMs: number): DecodeResult {
    const result = this.newResult(exporter);
    let state: ExporterState | undefined;
    try {
      if (packet.length < 2) {
        this.reject(result, undefined, DecodeErrorReason.TRUNCATED_HEADER, 0, `packet of ${packet.length} bytes`);
        this.counters.packets.rejected++;
        return result;
      }
      const version = (packet[0] << 8) | packet[1];
      if (version !== 5 && version !== 9 && version !== 10) {
        this.reject(result, undefined, DecodeErrorReason.UNSUPPORTED_VERSION, 0, `version ${version}`);
        this.counters.packets.rejected++;
        return result;
      }
      result.version = version;
      state = this.exporterState(exporter);
      if (state === undefined) {
        this.reject(result, undefined, DecodeErrorReason.TOO_MANY_EXPORTERS, 0, `cap of ${this.options.maxExporters} exporters`);
        this.counters.packets.rejected++;
        return result;
      }
      state.packets++;
      if (state.held.length > 0) this.expireHeldOf(state, receivedAtMs);
      const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
      if (version === 5) this.decodeV5(packet, view, state, result);
      else if (version === 9) this.decodeV9(packet, view, state, result, receivedAtMs);
      else this.decodeIpfix(packet, view, state, result, receivedAtMs);
      state.records += result.records.length;
    } catch (err) {
      // Not expected: every read is bounds-checked. Kept so a decoder bug costs one packet, not the process.
      this.reject(result, state, DecodeErrorReason.DECODER_FAULT, 0, err instanceof Error ? err.message : String(err));
    }
    return result;
  }

  /** Drops held data older than maxHeldAgeMs at `nowMs` for every exporter; returns the number of sets dropped. */
  expireHeldData(nowMs: number): number {
    let dropped = 0;
    for (const state of this.exporters.values()) if (state.held.length > 0) dropped += this.expireHeldOf(state, nowMs);
    return dropped;
  }

  /**
   * Sets the 1-in-N rate to apply to an exporter's flows when the exporter itself announces none (v5 header interval
   * 0, no v9/IPFIX sampling options). `undefined` removes it.
   */
  setSamplingRate(exporter: string, rate: number | undefined): void {
    const state = this.exporterState(exporter);
    if (state === undefined) return;
    state.configuredSamplingRate = rate !== undefined && Number.isFinite(rate) && rate >= 1 ? rate : Number.NaN;
  }

  /** Forgets everything about an exporter (templates, sampling, sequence, held data). */
  forgetExporter(exporter: string): void {
    const state = this.exporters.get(exporter);
    if (state === undefined) return;
    for (const held of state.held) this.countHeldDrop(HeldDropReason.EXPORTER_FORGOTTEN, held.body.length);
    this.heldBytesTotal -= state.heldBytes;
    this.exporters.delete(exporter);
  }

  stats(): NetflowDecoderStats {
    let active = 0;
    let heldSets = 0;
    let lostRecords = 0;
    let latePackets = 0;
    let resets = 0;
    for (const state of this.exporters.values()) {
      active += state.templateCount;
      heldSets += state.held.length;
      for (const domain of state.domains.values()) {
        lostRecords += domain.lostRecords;
        latePackets += domain.sequence.late;
        resets += domain.sequence.resets;
      }
    }
    const c = this.counters;
    return {
      packets: { ...c.packets },
      records: { ...c.records },
      optionsRecords: c.optionsRecords,
      errors: { ...c.errors },
      templates: { active, ...c.templates },
      held: {
        sets: heldSets,
        bytes: this.heldBytesTotal,
        heldTotal: c.held.heldTotal,
        released: c.held.released,
        releasedRecords: c.held.releasedRecords,
        dropped: { ...c.held.dropped },
      },
      exporters: this.exporters.size,
      sequence: { lostRecords, latePackets, resets },
    };
  }

  /** Per-exporter view for an exporter registry: counters, sampling, sequence loss per domain. */
  exporterStatuses(): ExporterStatus[] {
    return [...this.exporters.values()].map((state) => ({
      exporter: state.address,
      packets: state.packets,
      records: state.records,
      errors: { ...state.errors },
      heldSets: state.held.length,
      heldBytes: state.heldBytes,
      domains: [...state.domains.values()].map((domain) => {
        let templates = 0;
        let optionsTemplates = 0;
        for (const t of domain.templates.values()) {
          if (t.kind === 'data') templates++;
          else optionsTemplates++;
        }
        const rate = this.domainRate(state, domain);
        return {
          version: domain.version,
          observationDomain: domain.observationDomain,
          templates,
          optionsTemplates,
          samplingRate: Number.isNaN(domain.samplingRate) && Number.isNaN(state.configuredSamplingRate) ? null : rate,
          samplers: domain.samplerRates.size + domain.selectorRates.size,
          lostSequenceUnits: domain.sequence.lost,
          lostRecords: domain.lostRecords,
          latePackets: domain.sequence.late,
          resets: domain.sequence.resets,
        };
      }),
    }));
  }

  /**
   * Templates and sampling state as plain JSON-serialisable objects, for persistence (all exporters, or one). Held
   * data and sequence state are deliberately left out: both are stale after a restart.
   */
  exportState(exporter?: string): NetflowStateSnapshot {
    const templates: TemplateSnapshot[] = [];
    const domains: DomainSnapshot[] = [];
    const states = exporter === undefined ? [...this.exporters.values()] : [this.exporters.get(exporter)].filter((s) => s !== undefined);
    for (const state of states) {
      for (const domain of state.domains.values()) {
        for (const t of domain.templates.values()) {
          templates.push({
            exporter: state.address,
            version: domain.version as 9 | 10,
            observationDomain: domain.observationDomain,
            templateId: t.templateId,
            kind: t.kind,
            scopeFieldCount: t.scopeFieldCount,
            fields: t.fields.map((f) => ({ id: f.id, length: f.length, enterprise: f.enterprise })),
            learnedAtMs: t.learnedAtMs,
          });
        }
        const hasSampling =
          !Number.isNaN(domain.samplingRate) || domain.samplerRates.size > 0 || domain.selectorRates.size > 0;
        if (hasSampling || !Number.isNaN(domain.systemInitMs)) {
          domains.push({
            exporter: state.address,
            version: domain.version,
            observationDomain: domain.observationDomain,
            samplingRate: Number.isNaN(domain.samplingRate) ? null : domain.samplingRate,
            systemInitMs: Number.isNaN(domain.systemInitMs) ? null : domain.systemInitMs,
            samplerRates: [...domain.samplerRates],
            selectorRates: [...domain.selectorRates],
          });
        }
      }
    }
    return { formatVersion: 1, templates, domains };
  }

  /**
   * Restores templates and sampling state saved by `exportState` (e.g. at boot, from PostgreSQL). Every entry is
   * validated like wire input and subject to the same caps; bad entries are skipped and counted, never thrown.
   */
  importState(snapshot: unknown): ImportStateResult {
    const outcome: ImportStateResult = { templates: 0, domains: 0, rejected: 0 };
    const scratch = this.newResult('');
    const root = typeof snapshot === 'object' && snapshot !== null ? (snapshot as Record<string, unknown>) : {};
    const rawTemplates = Array.isArray(root['templates']) ? root['templates'] : [];
    const rawDomains = Array.isArray(root['domains']) ? root['domains'] : [];
    if (root['formatVersion'] !== 1) {
      this.reject(scratch, undefined, DecodeErrorReason.INVALID_SNAPSHOT, 0, 'unknown snapshot format');
      outcome.rejected++;
      return outcome;
    }
    for (const raw of rawTemplates) {
      const t = parseTemplateSnapshot(raw);
      const state = t === undefined ? undefined : this.exporterState(t.exporter);
      if (t === undefined || state === undefined) {
        this.reject(scratch, undefined, DecodeErrorReason.INVALID_SNAPSHOT, 0, 'template snapshot');
        outcome.rejected++;
        continue;
      }
      const domain = this.domainState(state, t.version, t.observationDomain);
      const fields = t.fields.map((f) => ({ id: f.id, length: f.length, enterprise: f.enterprise }));
      const before = scratch.errors.length;
      this.learnTemplate(state, domain, t.kind, t.templateId, fields, t.scopeFieldCount, scratch, 0, t.learnedAtMs);
      if (scratch.errors.length > before) outcome.rejected++;
      else outcome.templates++;
    }
    for (const raw of rawDomains) {
      const d = parseDomainSnapshot(raw);
      const state = d === undefined ? undefined : this.exporterState(d.exporter);
      if (d === undefined || state === undefined) {
        this.reject(scratch, undefined, DecodeErrorReason.INVALID_SNAPSHOT, 0, 'domain snapshot');
        outcome.rejected++;
        continue;
      }
      const domain = this.domainState(state, d.version, d.observationDomain);
      if (d.samplingRate !== null) domain.samplingRate = d.samplingRate;
      if (d.systemInitMs !== null) domain.systemInitMs = d.systemInitMs;
      for (const [id, rate] of d.samplerRates) this.setBounded(domain.samplerRates, id, rate);
      for (const [id, rate] of d.selectorRates) this.setBounded(domain.selectorRates, id, rate);
      outcome.domains++;
    }
    return outcome;
  }

  // ---- versions -------------------------------------------------------------------------------------------------

  private decodeV5(packet: Uint8Array, view: DataView, state: ExporterState, result: DecodeResult): void {
    if (packet.length < V5_HEADER_LENGTH) {
      this.reject(result, state, DecodeErrorReason.TRUNCATED_HEADER, 0, `v5 packet of ${packet.length} bytes`);
      return;
    }
    const count = view.getUint16(2);
    if (count > V5_MAX_RECORDS) {
      this.reject(result, state, DecodeErrorReason.BAD_RECORD_COUNT, 2, `v5 count ${count}`);
      return;
    }
    const engine = view.getUint16(20);
    result.observationDomain = engine;
    const domain = this.domainState(state, 5, engine);
    const available = Math.floor((packet.length - V5_HEADER_LENGTH) / V5_RECORD_LENGTH);
    if (available < count) {
      this.reject(result, state, DecodeErrorReason.BAD_LENGTH, 0, `v5 count ${count} but room for ${available}`);
    }
    // Header sampling field: 2 bits of mode, 14 bits of interval (Cisco NetFlow v5 export format).
    const interval = view.getUint16(22) & 0x3fff;
    const rate = interval > 0 ? interval : this.domainRate(state, domain);
    const ctx = this.ctx;
    ctx.exporter = state.address;
    ctx.observationDomain = engine;
    ctx.version = 5;
    ctx.templateId = 0;
    ctx.sysUptimeMs = view.getUint32(4);
    ctx.exportMs = view.getUint32(8) * 1000 + Math.floor(view.getUint32(12) / 1_000_000);
    ctx.samplingRate = rate;
    ctx.fromHeldData = false;
    const decoded = decodeV5Records(packet, view, Math.min(count, available), ctx, result.records);
    this.counters.packets.v5++;
    this.counters.records.v5 += decoded;
    domain.records += decoded;
    const lost = domain.sequence.observe(view.getUint32(16), count);
    domain.lostRecords += lost;
    result.lostRecords = lost;
  }

  private decodeV9(
    packet: Uint8Array,
    view: DataView,
    state: ExporterState,
    result: DecodeResult,
    receivedAtMs: number,
  ): void {
    if (packet.length < V9_HEADER_LENGTH) {
      this.reject(result, state, DecodeErrorReason.TRUNCATED_HEADER, 0, `v9 packet of ${packet.length} bytes`);
      return;
    }
    const sourceId = view.getUint32(16);
    result.observationDomain = sourceId;
    const domain = this.domainState(state, 9, sourceId);
    const header = { exportMs: view.getUint32(8) * 1000, sysUptimeMs: view.getUint32(4) };
    this.walkSets(packet, view, V9_HEADER_LENGTH, packet.length, 9, state, domain, header, result, receivedAtMs);
    this.counters.packets.v9++;
    // Released held records were counted when released.
    const decoded = result.records.length - result.releasedRecords;
    this.counters.records.v9 += decoded;
    domain.records += decoded + result.optionsRecords;
    // RFC 3954 section 5.1: the v9 sequence number counts export packets, not records.
    const lostPackets = domain.sequence.observe(view.getUint32(12), 1);
    if (lostPackets !== 0) {
      const perPacket = domain.sequence.packets > 0 ? Math.max(1, domain.records / domain.sequence.packets) : 1;
      const lost = Math.round(lostPackets * perPacket);
      domain.lostRecords += lost;
      result.lostRecords = lost;
    }
  }

  private decodeIpfix(
    packet: Uint8Array,
    view: DataView,
    state: ExporterState,
    result: DecodeResult,
    receivedAtMs: number,
  ): void {
    if (packet.length < IPFIX_HEADER_LENGTH) {
      this.reject(result, state, DecodeErrorReason.TRUNCATED_HEADER, 0, `IPFIX packet of ${packet.length} bytes`);
      return;
    }
    const length = view.getUint16(2);
    const domainId = view.getUint32(12);
    result.observationDomain = domainId;
    if (length < IPFIX_HEADER_LENGTH) {
      this.reject(result, state, DecodeErrorReason.BAD_LENGTH, 2, `IPFIX message length ${length}`);
      return;
    }
    let end = length;
    if (length > packet.length) {
      // Truncated in transit or lying: decode the complete sets that are there, report the rest.
      this.reject(result, state, DecodeErrorReason.BAD_LENGTH, 2, `IPFIX length ${length} > datagram ${packet.length}`);
      end = packet.length;
    }
    const domain = this.domainState(state, 10, domainId);
    const header = { exportMs: view.getUint32(4) * 1000, sysUptimeMs: 0 };
    const complete = this.walkSets(packet, view, IPFIX_HEADER_LENGTH, end, 10, state, domain, header, result, receivedAtMs);
    this.counters.packets.ipfix++;
    const decoded = result.records.length - result.releasedRecords;
    this.counters.records.ipfix += decoded;
    domain.records += decoded;
    // RFC 7011 section 3.1: the sequence number counts data records (options data records included) sent before
    // this message. When a set could not be counted (no template yet, malformed), the next expected number is
    // unknown: check this message, then resynchronise on the next one.
    const lost = domain.sequence.observe(view.getUint32(8), decoded + result.optionsRecords);
    domain.lostRecords += lost;
    result.lostRecords = lost;
    if (!complete) domain.sequence.resync();
  }

  /**
   * Walks the sets (flowsets) of a v9 packet or an IPFIX message. Returns false when some data could not be counted
   * (held for a template, malformed), which matters for IPFIX sequence accounting.
   */
  private walkSets(
    bytes: Uint8Array,
    view: DataView,
    start: number,
    end: number,
    version: 9 | 10,
    state: ExporterState,
    domain: DomainState,
    header: { exportMs: number; sysUptimeMs: number },
    result: DecodeResult,
    receivedAtMs: number,
  ): boolean {
    let complete = true;
    let p = start;
    while (end - p >= 4) {
      const setId = view.getUint16(p);
      const setLength = view.getUint16(p + 2);
      if (setLength < 4 || setLength > end - p) {
        this.reject(result, state, DecodeErrorReason.MALFORMED_SET, p, `set ${setId} length ${setLength}, ${end - p} left`);
        return false;
      }
      const bodyStart = p + 4;
      const bodyEnd = p + setLength;
      if (setId >= 256) {
        const ok = this.dataSet(bytes, view, bodyStart, bodyEnd, version, state, domain, setId, header, result, receivedAtMs);
        if (!ok) complete = false;
      } else if (version === 9 && setId === 0) {
        this.v9TemplateSet(view, bodyStart, bodyEnd, state, domain, result, receivedAtMs);
      } else if (version === 9 && setId === 1) {
        this.v9OptionsTemplateSet(view, bodyStart, bodyEnd, state, domain, result, receivedAtMs);
      } else if (version === 10 && (setId === 2 || setId === 3)) {
        this.ipfixTemplateSet(view, bodyStart, bodyEnd, setId === 3, state, domain, result, receivedAtMs);
      } else {
        this.reject(result, state, DecodeErrorReason.RESERVED_SET_ID, p, `set id ${setId}`);
      }
      p = bodyEnd;
    }
    return complete;
  }

  // ---- templates ------------------------------------------------------------------------------------------------

  /** RFC 3954 section 5.2: template flowset: {template id, field count, (type, length) * count} repeated. */
  private v9TemplateSet(
    view: DataView,
    start: number,
    end: number,
    state: ExporterState,
    domain: DomainState,
    result: DecodeResult,
    receivedAtMs: number,
  ): void {
    let p = start;
    while (end - p >= 4) {
      const templateId = view.getUint16(p);
      const count = view.getUint16(p + 2);
      if (templateId < 256) {
        if (!this.isPadding(view, p, end)) {
          this.reject(result, state, DecodeErrorReason.MALFORMED_TEMPLATE, p, `template id ${templateId}`);
        }
        return;
      }
      const recordLength = 4 + count * 4;
      if (recordLength > end - p) {
        this.reject(result, state, DecodeErrorReason.MALFORMED_TEMPLATE, p, `template ${templateId} truncated`);
        return;
      }
      if (count === 0) {
        this.reject(result, state, DecodeErrorReason.MALFORMED_TEMPLATE, p, `template ${templateId} without fields`);
      } else if (count > this.options.maxFieldsPerTemplate) {
        this.reject(result, state, DecodeErrorReason.TEMPLATE_TOO_LARGE, p, `template ${templateId}: ${count} fields`);
      } else {
        const fields: FieldSpecifier[] = new Array(count);
        for (let i = 0; i < count; i++) {
          fields[i] = { id: view.getUint16(p + 4 + i * 4), length: view.getUint16(p + 6 + i * 4), enterprise: 0 };
        }
        this.learnTemplate(state, domain, 'data', templateId, fields, 0, result, p, receivedAtMs);
      }
      p += recordLength;
    }
  }

  /**
   * RFC 3954 section 6.1: options template flowset: {template id, scope length (bytes), option length (bytes),
   * scope (type, length) pairs, option (type, length) pairs} repeated, then padding.
   */
  private v9OptionsTemplateSet(
    view: DataView,
    start: number,
    end: number,
    state: ExporterState,
    domain: DomainState,
    result: DecodeResult,
    receivedAtMs: number,
  ): void {
    let p = start;
    while (end - p >= 6) {
      const templateId = view.getUint16(p);
      const scopeLength = view.getUint16(p + 2);
      const optionLength = view.getUint16(p + 4);
      if (templateId < 256) {
        if (!this.isPadding(view, p, end)) {
          this.reject(result, state, DecodeErrorReason.MALFORMED_TEMPLATE, p, `options template id ${templateId}`);
        }
        return;
      }
      if (scopeLength % 4 !== 0 || optionLength % 4 !== 0 || 6 + scopeLength + optionLength > end - p) {
        this.reject(result, state, DecodeErrorReason.MALFORMED_TEMPLATE, p, `options template ${templateId} lengths`);
        return;
      }
      const count = (scopeLength + optionLength) / 4;
      const scopeCount = scopeLength / 4;
      if (scopeCount === 0 || count === scopeCount) {
        this.reject(result, state, DecodeErrorReason.MALFORMED_TEMPLATE, p, `options template ${templateId} empty part`);
      } else if (count > this.options.maxFieldsPerTemplate) {
        this.reject(result, state, DecodeErrorReason.TEMPLATE_TOO_LARGE, p, `options template ${templateId}: ${count} fields`);
      } else {
        const fields: FieldSpecifier[] = new Array(count);
        for (let i = 0; i < count; i++) {
          fields[i] = { id: view.getUint16(p + 6 + i * 4), length: view.getUint16(p + 8 + i * 4), enterprise: 0 };
        }
        this.learnTemplate(state, domain, 'options', templateId, fields, scopeCount, result, p, receivedAtMs);
      }
      p += 6 + scopeLength + optionLength;
    }
  }

  /**
   * RFC 7011 sections 3.4.1, 3.4.2 and 8.1: template records {id, field count, specifiers}, options template records
   * {id, field count, scope field count, specifiers}; a specifier with the enterprise bit set is followed by a 4-byte
   * enterprise number. Field count 0 withdraws the template; template id 2 (set 2) or 3 (set 3) with field count 0
   * withdraws all templates of that kind in the domain.
   */
  private ipfixTemplateSet(
    view: DataView,
    start: number,
    end: number,
    options: boolean,
    state: ExporterState,
    domain: DomainState,
    result: DecodeResult,
    receivedAtMs: number,
  ): void {
    const kind: TemplateKind = options ? 'options' : 'data';
    let p = start;
    while (end - p >= 4) {
      const templateId = view.getUint16(p);
      const count = view.getUint16(p + 2);
      if (count === 0) {
        if (templateId === (options ? 3 : 2)) {
          this.withdrawAll(state, domain, kind, result);
        } else if (templateId >= 256) {
          this.withdraw(state, domain, templateId, result);
        } else if (!this.isPadding(view, p, end)) {
          this.reject(result, state, DecodeErrorReason.MALFORMED_TEMPLATE, p, `withdrawal of template id ${templateId}`);
          return;
        } else {
          return;
        }
        p += 4;
        continue;
      }
      if (templateId < 256) {
        this.reject(result, state, DecodeErrorReason.MALFORMED_TEMPLATE, p, `template id ${templateId}`);
        return;
      }
      let q = p + 4;
      let scopeCount = 0;
      if (options) {
        if (end - q < 2) {
          this.reject(result, state, DecodeErrorReason.MALFORMED_TEMPLATE, p, `options template ${templateId} truncated`);
          return;
        }
        scopeCount = view.getUint16(q);
        q += 2;
      }
      const keep = count <= this.options.maxFieldsPerTemplate;
      const fields: FieldSpecifier[] = [];
      for (let i = 0; i < count; i++) {
        if (end - q < 4) {
          this.reject(result, state, DecodeErrorReason.MALFORMED_TEMPLATE, p, `template ${templateId} truncated`);
          return;
        }
        let id = view.getUint16(q);
        const length = view.getUint16(q + 2);
        q += 4;
        let enterprise = 0;
        if (id & 0x8000) {
          if (end - q < 4) {
            this.reject(result, state, DecodeErrorReason.MALFORMED_TEMPLATE, p, `template ${templateId} truncated`);
            return;
          }
          enterprise = view.getUint32(q);
          id &= 0x7fff;
          q += 4;
        }
        if (keep) fields.push({ id, length, enterprise });
      }
      if (!keep) {
        this.reject(result, state, DecodeErrorReason.TEMPLATE_TOO_LARGE, p, `template ${templateId}: ${count} fields`);
      } else if (options && (scopeCount === 0 || scopeCount > count)) {
        // RFC 7011 section 3.4.2.2: "The Scope Field Count MUST NOT be zero."
        this.reject(result, state, DecodeErrorReason.MALFORMED_TEMPLATE, p, `options template ${templateId} scope ${scopeCount}`);
      } else {
        this.learnTemplate(state, domain, kind, templateId, fields, scopeCount, result, p, receivedAtMs);
      }
      p = q;
    }
  }

  private learnTemplate(
    state: ExporterState,
    domain: DomainState,
    kind: TemplateKind,
    templateId: number,
    fields: FieldSpecifier[],
    scopeFieldCount: number,
    result: DecodeResult,
    offset: number,
    receivedAtMs: number,
  ): void {
    if (fields.length > this.options.maxFieldsPerTemplate) {
      this.reject(result, state, DecodeErrorReason.TEMPLATE_TOO_LARGE, offset, `template ${templateId}: ${fields.length} fields`);
      return;
    }
    const minRecordLength = minimumRecordLength(fields);
    if (minRecordLength === 0) {
      this.reject(result, state, DecodeErrorReason.MALFORMED_TEMPLATE, offset, `template ${templateId} describes empty records`);
      return;
    }
    if (minRecordLength > this.options.maxTemplateRecordLength) {
      this.reject(result, state, DecodeErrorReason.TEMPLATE_TOO_LARGE, offset, `template ${templateId}: ${minRecordLength} bytes`);
      return;
    }
    let signature = templateSignature(domain.version, fields);
    if (kind === 'options') signature += `#${scopeFieldCount}`;
    const existing = domain.templates.get(templateId);
    if (existing !== undefined && existing.kind === kind && existing.signature === signature) {
      existing.learnedAtMs = receivedAtMs;
      this.counters.templates.refreshed++;
    } else {
      if (existing === undefined) {
        if (state.templateCount >= this.options.maxTemplatesPerExporter) {
          this.reject(result, state, DecodeErrorReason.TOO_MANY_TEMPLATES, offset, `template ${templateId}`);
          return;
        }
        state.templateCount++;
      }
      const entry: TemplateEntry = {
        kind,
        templateId,
        fields,
        scopeFieldCount,
        minRecordLength,
        signature,
        decoder: undefined,
        learnedAtMs: receivedAtMs,
      };
      domain.templates.set(templateId, entry);
      this.counters.templates.learned++;
      result.templatesChanged = true;
    }
    if (state.held.length > 0) this.releaseHeld(state, domain, templateId, result);
  }

  private withdraw(state: ExporterState, domain: DomainState, templateId: number, result: DecodeResult): void {
    if (domain.templates.delete(templateId)) {
      state.templateCount--;
      this.counters.templates.withdrawn++;
      result.templatesChanged = true;
    }
  }

  private withdrawAll(state: ExporterState, domain: DomainState, kind: TemplateKind, result: DecodeResult): void {
    for (const [id, entry] of domain.templates) {
      if (entry.kind === kind) this.withdraw(state, domain, id, result);
    }
  }

  /** Trailing zero bytes after the last record: padding to a 4-byte boundary (RFC 3954 5.2, RFC 7011 3.3.1). */
  private isPadding(view: DataView, start: number, end: number): boolean {
    for (let i = start; i < end; i++) if (view.getUint8(i) !== 0) return false;
    return true;
  }

  // ---- data -----------------------------------------------------------------------------------------------------

  /** Returns false when the set's records could not all be counted (held, or malformed). */
  private dataSet(
    bytes: Uint8Array,
    view: DataView,
    start: number,
    end: number,
    version: 9 | 10,
    state: ExporterState,
    domain: DomainState,
    templateId: number,
    header: { exportMs: number; sysUptimeMs: number },
    result: DecodeResult,
    receivedAtMs: number,
  ): boolean {
    const template = domain.templates.get(templateId);
    if (template === undefined) {
      this.hold(state, domain, templateId, bytes, start, end, header, receivedAtMs, result);
      return false;
    }
    return this.decodeWithTemplate(bytes, view, start, end, version, state, domain, template, header, false, result);
  }

  private decodeWithTemplate(
    bytes: Uint8Array,
    view: DataView,
    start: number,
    end: number,
    version: 9 | 10,
    state: ExporterState,
    domain: DomainState,
    template: TemplateEntry,
    header: { exportMs: number; sysUptimeMs: number },
    fromHeldData: boolean,
    result: DecodeResult,
  ): boolean {
    if (template.kind === 'options') {
      const outcome = readOptionsRecords(
        view,
        start,
        end,
        version,
        template.fields,
        template.scopeFieldCount,
        template.minRecordLength,
        (values) => this.applyOptions(domain, values),
      );
      result.optionsRecords += outcome.records;
      this.counters.optionsRecords += outcome.records;
      if (outcome.malformedAt >= 0) {
        this.reject(result, state, DecodeErrorReason.MALFORMED_RECORD, outcome.malformedAt, `options template ${template.templateId}`);
        return false;
      }
      return true;
    }
    const decoder = template.decoder ?? this.decoderFor(template, version);
    const ctx = this.ctx;
    ctx.exporter = state.address;
    ctx.observationDomain = domain.observationDomain;
    ctx.version = version;
    ctx.templateId = template.templateId;
    ctx.exportMs = header.exportMs;
    ctx.sysUptimeMs = header.sysUptimeMs;
    ctx.systemInitMs = domain.systemInitMs;
    ctx.samplingRate = this.domainRate(state, domain);
    ctx.samplerRates = domain.samplerRates;
    ctx.selectorRates = domain.selectorRates;
    ctx.fromHeldData = fromHeldData;
    ctx.malformedAt = -1;
    const decoded = decoder(bytes, view, start, end, ctx, result.records);
    if (fromHeldData) result.releasedRecords += decoded;
    if (ctx.malformedAt >= 0) {
      this.reject(result, state, DecodeErrorReason.MALFORMED_RECORD, ctx.malformedAt, `template ${template.templateId}`);
      return false;
    }
    return true;
  }

  private decoderFor(template: TemplateEntry, version: 9 | 10): RecordDecoder {
    let decoder = this.compiled.get(template.signature);
    if (decoder === undefined) {
      decoder = compileRecordDecoder(version, template.fields, this.sgt);
      this.counters.templates.compiled++;
      if (this.compiled.size >= this.options.compiledDecoderCacheSize) {
        const oldest = this.compiled.keys().next();
        if (!oldest.done) this.compiled.delete(oldest.value);
      }
      if (this.options.compiledDecoderCacheSize > 0) this.compiled.set(template.signature, decoder);
    }
    template.decoder = decoder;
    return decoder;
  }

  private applyOptions(domain: DomainState, values: OptionsRecordValues): void {
    if (values.systemInitTimeMilliseconds !== undefined && values.systemInitTimeMilliseconds > 0) {
      domain.systemInitMs = values.systemInitTimeMilliseconds;
    }
    const rate = samplingRateOf(values);
    if (rate === undefined) return;
    if (values.selectorId !== undefined) this.setBounded(domain.selectorRates, values.selectorId, rate);
    if (values.samplerId !== undefined) this.setBounded(domain.samplerRates, values.samplerId, rate);
    if (values.selectorId === undefined && values.samplerId === undefined) domain.samplingRate = rate;
  }

  private setBounded(map: Map<number, number>, id: number, rate: number): void {
    if (map.size >= MAX_SAMPLERS_PER_DOMAIN && !map.has(id)) return;
    map.set(id, rate);
  }

  private domainRate(state: ExporterState, domain: DomainState): number {
    if (!Number.isNaN(domain.samplingRate)) return domain.samplingRate;
    if (!Number.isNaN(state.configuredSamplingRate)) return state.configuredSamplingRate;
    return 1;
  }

  // ---- held data ------------------------------------------------------------------------------------------------

  private hold(
    state: ExporterState,
    domain: DomainState,
    templateId: number,
    bytes: Uint8Array,
    start: number,
    end: number,
    header: { exportMs: number; sysUptimeMs: number },
    receivedAtMs: number,
    result: DecodeResult,
  ): void {
    const size = end - start;
    result.heldSets++;
    this.counters.held.heldTotal++;
    const { maxHeldSetsPerExporter, maxHeldBytesPerExporter, maxHeldBytesTotal } = this.options;
    if (size > maxHeldBytesPerExporter || maxHeldSetsPerExporter === 0) {
      this.countHeldDrop(HeldDropReason.EXPORTER_CAP, size);
      return;
    }
    while (state.held.length >= maxHeldSetsPerExporter || state.heldBytes + size > maxHeldBytesPerExporter) {
      this.dropOldestHeld(state, HeldDropReason.EXPORTER_CAP);
    }
    while (this.heldBytesTotal + size > maxHeldBytesTotal && state.held.length > 0) {
      this.dropOldestHeld(state, HeldDropReason.GLOBAL_CAP);
    }
    if (this.heldBytesTotal + size > maxHeldBytesTotal) {
      this.countHeldDrop(HeldDropReason.GLOBAL_CAP, size);
      return;
    }
    state.held.push({
      domainKey: domain.key,
      templateId,
      body: bytes.slice(start, end),
      receivedAtMs,
      exportMs: header.exportMs,
      sysUptimeMs: header.sysUptimeMs,
    });
    state.heldBytes += size;
    this.heldBytesTotal += size;
  }

  private dropOldestHeld(state: ExporterState, reason: HeldDropReason): void {
    const oldest = state.held.shift();
    if (oldest === undefined) return;
    state.heldBytes -= oldest.body.length;
    this.heldBytesTotal -= oldest.body.length;
    this.countHeldDrop(reason, oldest.body.length);
  }

  private countHeldDrop(reason: HeldDropReason, _bytes: number): void {
    this.counters.held.dropped[reason]++;
  }

  private expireHeldOf(state: ExporterState, nowMs: number): number {
    const maxAge = this.options.maxHeldAgeMs;
    let expired = 0;
    const kept = state.held.filter((held) => {
      if (nowMs - held.receivedAtMs <= maxAge) return true;
      expired++;
      state.heldBytes -= held.body.length;
      this.heldBytesTotal -= held.body.length;
      this.countHeldDrop(HeldDropReason.EXPIRED, held.body.length);
      return false;
    });
    if (expired > 0) state.held = kept;
    return expired;
  }

  private releaseHeld(state: ExporterState, domain: DomainState, templateId: number, result: DecodeResult): void {
    const matching = state.held.filter((h) => h.domainKey === domain.key && h.templateId === templateId);
    if (matching.length === 0) return;
    state.held = state.held.filter((h) => !(h.domainKey === domain.key && h.templateId === templateId));
    const template = domain.templates.get(templateId);
    if (template === undefined) return;
    const version = domain.version as 9 | 10;
    for (const held of matching) {
      state.heldBytes -= held.body.length;
      this.heldBytesTotal -= held.body.length;
      this.counters.held.released++;
      const view = new DataView(held.body.buffer, held.body.byteOffset, held.body.byteLength);
      const before = result.releasedRecords;
      this.decodeWithTemplate(held.body, view, 0, held.body.length, version, state, domain, template, held, true, result);
      const released = result.releasedRecords - before;
      this.counters.held.releasedRecords += released;
      if (version === 9) this.counters.records.v9 += released;
      else this.counters.records.ipfix += released;
      domain.records += released;
    }
  }

  // ---- bookkeeping ----------------------------------------------------------------------------------------------

  private exporterState(address: string): ExporterState | undefined {
    let state = this.exporters.get(address);
    if (state === undefined) {
      if (this.exporters.size >= this.options.maxExporters) return undefined;
      state = new ExporterState(address);
      this.exporters.set(address, state);
    }
    return state;
  }

  private domainState(state: ExporterState, version: NetflowVersion, observationDomain: number): DomainState {
    const key = domainKeyOf(version, observationDomain);
    let domain = state.domains.get(key);
    if (domain === undefined) {
      domain = new DomainState(key, version, observationDomain, this.options.sequenceReorderWindow, this.options.sequenceMaxGap);
      state.domains.set(key, domain);
    }
    return domain;
  }

  private newResult(exporter: string): DecodeResult {
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

  private reject(
    result: DecodeResult,
    state: ExporterState | undefined,
    reason: DecodeErrorReason,
    offset: number,
    detail: string,
  ): void {
    this.counters.errors[reason]++;
    if (state !== undefined) state.errors[reason]++;
    result.errors.push({ reason, offset, detail });
  }
}

