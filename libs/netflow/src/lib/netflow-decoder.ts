import { DecodeErrorReason, emptyDecodeErrorCounts } from './decode-error';
import {
  newDecodeResult,
  type DecodeResult,
  type ExporterStatus,
  type NetflowDecoderStats,
} from './decode-result';
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
import type { NetflowVersion } from './flow-record';
import { HeldDataStore, HeldDropReason } from './held-data-store';
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
import { parseIpfixTemplateSet, parseV9OptionsTemplateSet, parseV9TemplateSet, type TemplateSetItem } from './template-sets';
import { decodeV5Records, V5_HEADER_LENGTH, V5_MAX_RECORDS, V5_RECORD_LENGTH } from './v5-records';


/** Header values a data set needs to be decoded later (held data keeps its own). */
interface PacketTimes {
  exportMs: number;
  sysUptimeMs: number;
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
  private readonly held: HeldDataStore;
  private readonly counters = {
    packets: { v5: 0, v9: 0, ipfix: 0, rejected: 0 },
    records: { v5: 0, v9: 0, ipfix: 0 },
    optionsRecords: 0,
    errors: emptyDecodeErrorCounts(),
    templates: { learned: 0, refreshed: 0, withdrawn: 0, compiled: 0 },
  };

  constructor(options: Partial<NetflowDecoderOptions> = {}) {
    this.options = resolveDecoderOptions(options);
    this.held = new HeldDataStore(this.options);
    this.sgt = { source: [...this.options.sourceSgtFields], destination: [...this.options.destinationSgtFields] };
  }

  /**
   * Decodes one export packet (a UDP payload) from `exporter` (its source address) received at `receivedAtMs`
   * (epoch milliseconds; used only to age held data). Never throws.
   */
  decode(packet: Uint8Array, exporter: string, receivedAtMs: number): DecodeResult {
    const result = newDecodeResult(exporter);
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
      if (state.held.length > 0) this.held.expire(state, receivedAtMs);
      const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
      let accepted: boolean;
      if (version === 5) accepted = this.decodeV5(packet, view, state, result);
      else if (version === 9) accepted = this.decodeV9(packet, view, state, result, receivedAtMs);
      else accepted = this.decodeIpfix(packet, view, state, result, receivedAtMs);
      if (!accepted) this.counters.packets.rejected++;
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
    for (const state of this.exporters.values()) if (state.held.length > 0) dropped += this.held.expire(state, nowMs);
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
    this.held.dropAll(state, HeldDropReason.EXPORTER_FORGOTTEN);
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
        bytes: this.held.bytesTotal,
        heldTotal: this.held.heldTotal,
        released: this.held.released,
        releasedRecords: this.held.releasedRecords,
        dropped: { ...this.held.dropped },
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
    const scratch = newDecodeResult('');
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
        const reason = t === undefined ? DecodeErrorReason.INVALID_SNAPSHOT : DecodeErrorReason.TOO_MANY_EXPORTERS;
        this.reject(scratch, undefined, reason, 0, 'template snapshot');
        outcome.rejected++;
        continue;
      }
      const domain = this.domainState(state, t.version, t.observationDomain);
      const fields = t.fields.map((f) => ({ id: f.id, length: f.length, enterprise: f.enterprise }));
      const before = scratch.errors.length;
      this.learnTemplate(state, domain, t.kind, t.templateId, fields, t.scopeFieldCount, scratch, 0, t.learnedAtMs, false);
      if (scratch.errors.length > before) outcome.rejected++;
      else outcome.templates++;
    }
    for (const raw of rawDomains) {
      const d = parseDomainSnapshot(raw);
      const state = d === undefined ? undefined : this.exporterState(d.exporter);
      if (d === undefined || state === undefined) {
        const reason = d === undefined ? DecodeErrorReason.INVALID_SNAPSHOT : DecodeErrorReason.TOO_MANY_EXPORTERS;
        this.reject(scratch, undefined, reason, 0, 'domain snapshot');
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

  /** Returns false when the packet's header was rejected. */
  private decodeV5(packet: Uint8Array, view: DataView, state: ExporterState, result: DecodeResult): boolean {
    if (packet.length < V5_HEADER_LENGTH) {
      this.reject(result, state, DecodeErrorReason.TRUNCATED_HEADER, 0, `v5 packet of ${packet.length} bytes`);
      return false;
    }
    const count = view.getUint16(2);
    if (count > V5_MAX_RECORDS) {
      this.reject(result, state, DecodeErrorReason.BAD_RECORD_COUNT, 2, `v5 count ${count}`);
      return false;
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
    return true;
  }

  private decodeV9(
    packet: Uint8Array,
    view: DataView,
    state: ExporterState,
    result: DecodeResult,
    receivedAtMs: number,
  ): boolean {
    if (packet.length < V9_HEADER_LENGTH) {
      this.reject(result, state, DecodeErrorReason.TRUNCATED_HEADER, 0, `v9 packet of ${packet.length} bytes`);
      return false;
    }
    const sourceId = view.getUint32(16);
    result.observationDomain = sourceId;
    const domain = this.domainState(state, 9, sourceId);
    const header: PacketTimes = { exportMs: view.getUint32(8) * 1000, sysUptimeMs: view.getUint32(4) };
    this.walkSets(packet, view, V9_HEADER_LENGTH, packet.length, 9, state, domain, header, result, receivedAtMs);
    this.counters.packets.v9++;
    // Released held records were counted when released.
    const decoded = result.records.length - result.releasedRecords;
    this.counters.records.v9 += decoded;
    domain.records += decoded + result.optionsRecords;
    // RFC 3954 section 5.1: the v9 sequence number counts export packets, not records.
    // Lost records are estimated as lost packets times the average records per packet seen so far.
    if (domain.sequence.observe(view.getUint32(12), 1) !== 0) {
      const perPacket = Math.max(1, domain.records / domain.sequence.packets);
      const lostRecords = Math.round(domain.sequence.lost * perPacket);
      result.lostRecords = lostRecords - domain.lostRecords;
      domain.lostRecords = lostRecords;
    }
    return true;
  }

  private decodeIpfix(
    packet: Uint8Array,
    view: DataView,
    state: ExporterState,
    result: DecodeResult,
    receivedAtMs: number,
  ): boolean {
    if (packet.length < IPFIX_HEADER_LENGTH) {
      this.reject(result, state, DecodeErrorReason.TRUNCATED_HEADER, 0, `IPFIX packet of ${packet.length} bytes`);
      return false;
    }
    const length = view.getUint16(2);
    const domainId = view.getUint32(12);
    result.observationDomain = domainId;
    if (length < IPFIX_HEADER_LENGTH) {
      this.reject(result, state, DecodeErrorReason.BAD_LENGTH, 2, `IPFIX message length ${length}`);
      return false;
    }
    let end = length;
    if (length > packet.length) {
      // Truncated in transit or lying: decode the complete sets that are there, report the rest.
      this.reject(result, state, DecodeErrorReason.BAD_LENGTH, 2, `IPFIX length ${length} > datagram ${packet.length}`);
      end = packet.length;
    }
    const domain = this.domainState(state, 10, domainId);
    const header: PacketTimes = { exportMs: view.getUint32(4) * 1000, sysUptimeMs: 0 };
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
    return true;
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
    header: PacketTimes,
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
      } else if (version === 9 && (setId === 0 || setId === 1)) {
        const items =
          setId === 0
            ? parseV9TemplateSet(view, bodyStart, bodyEnd, this.options.maxFieldsPerTemplate)
            : parseV9OptionsTemplateSet(view, bodyStart, bodyEnd, this.options.maxFieldsPerTemplate);
        this.applyTemplateSet(items, state, domain, result, receivedAtMs);
      } else if (version === 10 && (setId === 2 || setId === 3)) {
        const items = parseIpfixTemplateSet(view, bodyStart, bodyEnd, setId === 3, this.options.maxFieldsPerTemplate);
        this.applyTemplateSet(items, state, domain, result, receivedAtMs);
      } else {
        this.reject(result, state, DecodeErrorReason.RESERVED_SET_ID, p, `set id ${setId}`);
      }
      p = bodyEnd;
    }
    return complete;
  }

  // ---- templates ------------------------------------------------------------------------------------------------

  private applyTemplateSet(
    items: TemplateSetItem[],
    state: ExporterState,
    domain: DomainState,
    result: DecodeResult,
    receivedAtMs: number,
  ): void {
    for (const item of items) {
      switch (item.type) {
        case 'template':
          this.learnTemplate(state, domain, item.kind, item.templateId, item.fields, item.scopeFieldCount, result, item.offset, receivedAtMs);
          break;
        case 'withdraw':
          this.withdraw(state, domain, item.templateId, result);
          break;
        case 'withdrawAll':
          for (const [id, entry] of domain.templates) if (entry.kind === item.kind) this.withdraw(state, domain, id, result);
          break;
        case 'error':
          this.reject(result, state, item.reason, item.offset, item.detail);
          break;
      }
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
    releaseHeld = true,
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
    if (releaseHeld && state.held.length > 0) this.releaseHeld(state, domain, templateId, result);
  }

  private withdraw(state: ExporterState, domain: DomainState, templateId: number, result: DecodeResult): void {
    if (domain.templates.delete(templateId)) {
      state.templateCount--;
      this.counters.templates.withdrawn++;
      result.templatesChanged = true;
    }
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
    header: PacketTimes,
    result: DecodeResult,
    receivedAtMs: number,
  ): boolean {
    const template = domain.templates.get(templateId);
    if (template === undefined) {
      this.hold(state, domain, templateId, bytes, start, end, header, receivedAtMs, result);
      return false;
    }
    // Held data whose template was restored by importState (no packet to release it in): decode it first, in order.
    if (state.held.length > 0) this.releaseHeld(state, domain, templateId, result);
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
    header: PacketTimes,
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
    header: PacketTimes,
    receivedAtMs: number,
    result: DecodeResult,
  ): void {
    result.heldSets++;
    this.held.hold(state, {
      domainKey: domain.key,
      templateId,
      body: bytes.slice(start, end),
      receivedAtMs,
      exportMs: header.exportMs,
      sysUptimeMs: header.sysUptimeMs,
    });
  }

  private releaseHeld(state: ExporterState, domain: DomainState, templateId: number, result: DecodeResult): void {
    const template = domain.templates.get(templateId);
    if (template === undefined) return;
    const version = domain.version as 9 | 10;
    for (const held of this.held.take(state, domain.key, templateId)) {
      const view = new DataView(held.body.buffer, held.body.byteOffset, held.body.byteLength);
      const before = result.releasedRecords;
      this.decodeWithTemplate(held.body, view, 0, held.body.length, version, state, domain, template, held, true, result);
      const released = result.releasedRecords - before;
      this.held.releasedRecords += released;
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

