import { ipv4Text, ipv6Text, macText } from './address-format';
import type { FlowRecord } from './flow-record';
import { Ie, VARIABLE_LENGTH, matchesFieldRef, type FieldRef, type FieldSpecifier } from './information-element';
import type { RecordContext } from './record-context';

/**
 * Decodes every record of one data set: `bytes[start, end)` holds records laid out as the template says. Appends one
 * FlowRecord per record to `out` and returns how many it appended. Never reads outside `[start, end)`; when a
 * variable-length field would overrun `end`, it stops and sets `ctx.malformedAt` to that record's offset.
 */
export type RecordDecoder = (
  bytes: Uint8Array,
  view: DataView,
  start: number,
  end: number,
  ctx: RecordContext,
  out: FlowRecord[],
) => number;

export interface SgtFieldRefs {
  source: readonly FieldRef[];
  destination: readonly FieldRef[];
}

/** Smallest number of bytes one record of this template occupies (variable-length fields count 1 byte). */
export function minimumRecordLength(fields: readonly FieldSpecifier[]): number {
  let length = 0;
  for (const field of fields) length += field.length === VARIABLE_LENGTH ? 1 : field.length;
  return length;
}

/** Field index chosen for each value a FlowRecord needs; -1 when the template does not carry it. */
interface FieldPlan {
  bytes: number;
  packets: number;
  protocol: number;
  tcpFlags: number;
  srcPort: number;
  dstPort: number;
  srcIpv4: number;
  dstIpv4: number;
  srcIpv6: number;
  dstIpv6: number;
  inputInterface: number;
  outputInterface: number;
  srcMac: number;
  dstMac: number;
  srcVlan: number;
  dstVlan: number;
  direction: number;
  srcSgt: number;
  dstSgt: number;
  samplerId: number;
  selectorId: number;
  recordSamplingInterval: number;
  systemInit: number;
  startMs: number;
  endMs: number;
  startUs: number;
  endUs: number;
  startNs: number;
  endNs: number;
  startS: number;
  endS: number;
  startUptime: number;
  endUptime: number;
  startDelta: number;
  endDelta: number;
  durationMs: number;
  durationUs: number;
}

const isNumeric = (f: FieldSpecifier): boolean => f.length >= 1 && f.length <= 8;
const isNtpTimestamp = (f: FieldSpecifier): boolean => f.length === 8;
const lengthIs =
  (n: number) =>
  (f: FieldSpecifier): boolean =>
    f.length === n;

/**
 * Index of the field to use for a value: the first element id of `ids` present in the template wins (so a preferred
 * element beats a fallback), and among repeats of that id the last occurrence wins. Taking the last repeat is what
 * makes tunnelled flows come out right: Huawei's SRv6 templates list the outer header's ports and protocol first and
 * the inner (user) header's after them, and the user's are the ones that describe the flow.
 */
function pick(fields: readonly FieldSpecifier[], ids: readonly number[], accept: (f: FieldSpecifier) => boolean): number {
  for (const id of ids) {
    for (let i = fields.length - 1; i >= 0; i--) {
      const f = fields[i];
      if (f.id === id && f.enterprise === 0 && accept(f)) return i;
    }
  }
  return -1;
}

function pickRef(fields: readonly FieldSpecifier[], refs: readonly FieldRef[]): number {
  for (const ref of refs) {
    for (let i = fields.length - 1; i >= 0; i--) if (isNumeric(fields[i]) && matchesFieldRef(fields[i], ref)) return i;
  }
  return -1;
}

function planFields(fields: readonly FieldSpecifier[], sgt: SgtFieldRefs): FieldPlan {
  return {
    bytes: pick(fields, [Ie.octetDeltaCount, Ie.octetTotalCount, Ie.initiatorOctets], isNumeric),
    packets: pick(fields, [Ie.packetDeltaCount, Ie.packetTotalCount, Ie.initiatorPackets], isNumeric),
    protocol: pick(fields, [Ie.protocolIdentifier], isNumeric),
    tcpFlags: pick(fields, [Ie.tcpControlBits], isNumeric),
    srcPort: pick(fields, [Ie.sourceTransportPort, Ie.udpSourcePort, Ie.tcpSourcePort], isNumeric),
    dstPort: pick(fields, [Ie.destinationTransportPort, Ie.udpDestinationPort, Ie.tcpDestinationPort], isNumeric),
    srcIpv4: pick(fields, [Ie.sourceIPv4Address], lengthIs(4)),
    dstIpv4: pick(fields, [Ie.destinationIPv4Address], lengthIs(4)),
    srcIpv6: pick(fields, [Ie.sourceIPv6Address], lengthIs(16)),
    dstIpv6: pick(fields, [Ie.destinationIPv6Address], lengthIs(16)),
    inputInterface: pick(fields, [Ie.ingressInterface], isNumeric),
    outputInterface: pick(fields, [Ie.egressInterface], isNumeric),
    srcMac: pick(fields, [Ie.sourceMacAddress, Ie.postSourceMacAddress], lengthIs(6)),
    dstMac: pick(fields, [Ie.destinationMacAddress, Ie.postDestinationMacAddress], lengthIs(6)),
    srcVlan: pick(fields, [Ie.vlanId, Ie.dot1qVlanId], isNumeric),
    dstVlan: pick(fields, [Ie.postVlanId, Ie.postDot1qVlanId], isNumeric),
    direction: pick(fields, [Ie.flowDirection], isNumeric),
    srcSgt: pickRef(fields, sgt.source),
    dstSgt: pickRef(fields, sgt.destination),
    samplerId: pick(fields, [Ie.samplerId], isNumeric),
    selectorId: pick(fields, [Ie.selectorId], isNumeric),
    recordSamplingInterval: pick(fields, [Ie.samplingInterval, Ie.samplerRandomInterval], isNumeric),
    systemInit: pick(fields, [Ie.systemInitTimeMilliseconds], isNumeric),
    startMs: pick(fields, [Ie.flowStartMilliseconds], isNumeric),
    endMs: pick(fields, [Ie.flowEndMilliseconds], isNumeric),
    startUs: pick(fields, [Ie.flowStartMicroseconds], isNtpTimestamp),
    endUs: pick(fields, [Ie.flowEndMicroseconds], isNtpTimestamp),
    startNs: pick(fields, [Ie.flowStartNanoseconds], isNtpTimestamp),
    endNs: pick(fields, [Ie.flowEndNanoseconds], isNtpTimestamp),
    startS: pick(fields, [Ie.flowStartSeconds], isNumeric),
    endS: pick(fields, [Ie.flowEndSeconds], isNumeric),
    startUptime: pick(fields, [Ie.flowStartSysUpTime], isNumeric),
    endUptime: pick(fields, [Ie.flowEndSysUpTime], isNumeric),
    startDelta: pick(fields, [Ie.flowStartDeltaMicroseconds], isNumeric),
    endDelta: pick(fields, [Ie.flowEndDeltaMicroseconds], isNumeric),
    durationMs: pick(fields, [Ie.flowDurationMilliseconds], isNumeric),
    durationUs: pick(fields, [Ie.flowDurationMicroseconds], isNumeric),
  };
}

/** Big-endian unsigned read of a 1-8 byte field at JS expression `pos` (exact up to 2^53). */
function readUnsigned(length: number, pos: string): string {
  switch (length) {
    case 1:
      return `b[${pos}]`;
    case 2:
      return `v.getUint16(${pos})`;
    case 3:
      return `((b[${pos}] << 16) | (b[${pos} + 1] << 8) | b[${pos} + 2])`;
    case 4:
      return `v.getUint32(${pos})`;
    default:
      return `(${readUnsigned(length - 4, pos)} * 4294967296 + v.getUint32(${pos} + ${length - 4}))`;
  }
}

/** Seconds since 1900 (NTP era 0) to seconds since 1970. */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

function ntpToEpochMs(pos: string): string {
  // RFC 7011 section 6.1.9/6.1.10: dateTimeMicroseconds/Nanoseconds are NTP timestamps: 32-bit seconds since 1900
  // and a 32-bit binary fraction of a second. fraction / 2^32 * 1000 = fraction / 4294967.296.
  return `((v.getUint32(${pos}) - ${NTP_UNIX_OFFSET_S}) * 1000 + Math.floor(v.getUint32(${pos} + 4) / 4294967.296))`;
}

function isZeroExpr(length: number, pos: string): string {
  const parts: string[] = [];
  for (let i = 0; i < length; i += 4) parts.push(`v.getUint32(${pos} + ${i}) === 0`);
  return parts.join(' && ');
}

/**
 * Turns a template into a specialised JavaScript function, once: every field offset is a constant (or, after a
 * variable-length field, a local computed once per record), every read is a direct DataView/byte access, and fields
 * the FlowRecord does not need cost nothing. The generated source contains only numbers derived from the template,
 * never bytes copied from the packet, so `new Function` cannot be used to inject code.
 */
export function compileRecordDecoder(version: 9 | 10, fields: readonly FieldSpecifier[], sgt: SgtFieldRefs): RecordDecoder {
  const plan = planFields(fields, sgt);
  const variable = fields.some((f) => f.length === VARIABLE_LENGTH);
  const minLength = minimumRecordLength(fields);

  // Position expression of every field. Fixed-length prefix: `o + k`. After a variable-length field: `pN + k`,
  // where pN is computed by a bounds-checked walk emitted below.
  const positions: string[] = [];
  const walk: string[] = [];
  let base = 'o';
  let k = 0;
  fields.forEach((field, i) => {
    if (field.length !== VARIABLE_LENGTH) {
      positions.push(k === 0 ? base : `${base} + ${k}`);
      k += field.length;
      return;
    }
    // RFC 7011 section 7: a length byte below 255 is the length; 255 is followed by a 2-byte length.
    const at = k === 0 ? base : `${base} + ${k}`;
    walk.push(
      `var l${i} = ${at}; if (l${i} >= end) { ctx.malformedAt = o; break; }`,
      `var n${i} = b[l${i}]; l${i} += 1;`,
      `if (n${i} === 255) { if (l${i} + 2 > end) { ctx.malformedAt = o; break; } n${i} = v.getUint16(l${i}); l${i} += 2; }`,
      `var p${i} = l${i} + n${i};`,
    );
    positions.push(`l${i}`);
    base = `p${i}`;
    k = 0;
  });
  const recordEnd = k === 0 ? base : `${base} + ${k}`;

  const pos = (index: number): string => positions[index];
  const num = (index: number, fallback: string): string =>
    index < 0 ? fallback : readUnsigned(fields[index].length, pos(index));
  const nullable = (index: number): string => num(index, 'null');

  const address = (v4: number, v6: number): string => {
    if (v4 < 0 && v6 < 0) return 'null';
    if (v6 < 0) return `fmt4(b, ${pos(v4)})`;
    if (v4 < 0) return `fmt6(b, ${pos(v6)})`;
    // Both families in one template: the later one describes the (inner) flow unless it is all zeros.
    return v6 > v4
      ? `(${isZeroExpr(16, pos(v6))} ? fmt4(b, ${pos(v4)}) : fmt6(b, ${pos(v6)}))`
      : `(${isZeroExpr(4, pos(v4))} ? fmt6(b, ${pos(v6)}) : fmt4(b, ${pos(v4)}))`;
  };
  const mac = (index: number): string => (index < 0 ? 'null' : `fmtMac(b, ${pos(index)})`);

  const body: string[] = [];

  // Sampling rate for this record.
  if (plan.recordSamplingInterval >= 0 || plan.selectorId >= 0 || plan.samplerId >= 0) {
    body.push('var r = defaultRate;');
    if (plan.samplerId >= 0) {
      body.push(`if (samplerRates.size !== 0) { var sr = samplerRates.get(${num(plan.samplerId, '0')}); if (sr !== undefined) r = sr; }`);
    }
    if (plan.selectorId >= 0) {
      body.push(`if (selectorRates.size !== 0) { var xr = selectorRates.get(${num(plan.selectorId, '0')}); if (xr !== undefined) r = xr; }`);
    }
    if (plan.recordSamplingInterval >= 0) {
      body.push(`var ir = ${num(plan.recordSamplingInterval, '0')}; if (ir > 1) r = ir;`);
    }
  } else {
    body.push('var r = defaultRate;');
  }

  body.push(`var rb = ${num(plan.bytes, '0')};`, `var rp = ${num(plan.packets, '0')};`);
  body.push(...timeStatements(version, plan, fields, pos));

  const sgtExpr = (index: number): string => nullable(index);
  body.push(
    'out.push({',
    '  exporter: exporter,',
    '  observationDomain: observationDomain,',
    '  version: version,',
    '  templateId: templateId,',
    `  srcAddress: ${address(plan.srcIpv4, plan.srcIpv6)},`,
    `  dstAddress: ${address(plan.dstIpv4, plan.dstIpv6)},`,
    `  srcPort: ${num(plan.srcPort, '0')},`,
    `  dstPort: ${num(plan.dstPort, '0')},`,
    `  protocol: ${num(plan.protocol, '0')},`,
    `  tcpFlags: ${num(plan.tcpFlags, '0')},`,
    '  bytes: rb * r,',
    '  packets: rp * r,',
    '  rawBytes: rb,',
    '  rawPackets: rp,',
    '  samplingRate: r,',
    '  startMs: s,',
    '  endMs: e,',
    `  inputInterface: ${num(plan.inputInterface, '0')},`,
    `  outputInterface: ${num(plan.outputInterface, '0')},`,
    `  srcMac: ${mac(plan.srcMac)},`,
    `  dstMac: ${mac(plan.dstMac)},`,
    `  srcVlan: ${nullable(plan.srcVlan)},`,
    `  dstVlan: ${nullable(plan.dstVlan)},`,
    `  direction: ${nullable(plan.direction)},`,
    `  srcSgt: ${sgtExpr(plan.srcSgt)},`,
    `  dstSgt: ${sgtExpr(plan.dstSgt)},`,
    '  fromHeldData: fromHeldData',
    '});',
    'n++;',
  );

  const prologue = [
    '"use strict";',
    'var n = 0;',
    'var exporter = ctx.exporter, observationDomain = ctx.observationDomain, version = ctx.version;',
    'var templateId = ctx.templateId, fromHeldData = ctx.fromHeldData, exportMs = ctx.exportMs;',
    'var uptime = ctx.sysUptimeMs, contextInit = ctx.systemInitMs, tolerance = ctx.futureToleranceMs;',
    'var defaultRate = ctx.samplingRate, samplerRates = ctx.samplerRates, selectorRates = ctx.selectorRates;',
  ];

  let source: string;
  if (!variable) {
    source = [
      ...prologue,
      `for (var o = start; end - o >= ${minLength}; o += ${minLength}) {`,
      ...body,
      '}',
      'return n;',
    ].join('\n');
  } else {
    source = [
      ...prologue,
      'var o = start;',
      `while (end - o >= ${minLength}) {`,
      ...walk,
      `var re = ${recordEnd};`,
      'if (re > end) { ctx.malformedAt = o; break; }',
      ...body,
      'o = re;',
      '}',
      'return n;',
    ].join('\n');
  }

  const factory = new Function('fmt4', 'fmt6', 'fmtMac', `return function decodeRecords(b, v, start, end, ctx, out) {\n${source}\n};`);
  return factory(ipv4Text, ipv6Text, macText) as RecordDecoder;
}

/**
 * Statements that leave the flow's first and last packet times, epoch milliseconds, in `s` and `e`. Which encoding
 * is used is decided here, once per template: absolute milliseconds, then microseconds, nanoseconds, seconds, then
 * sysUpTime-relative, then export-time deltas. A missing end is the export time; a missing start is the end.
 */
function timeStatements(
  version: 9 | 10,
  plan: FieldPlan,
  fields: readonly FieldSpecifier[],
  pos: (i: number) => string,
): string[] {
  const read = (i: number): string => readUnsigned(fields[i].length, pos(i));
  const out: string[] = [];
  const absolute = (
    ms: number,
    us: number,
    ns: number,
    s: number,
    delta: number,
  ): string | undefined => {
    if (ms >= 0) return read(ms);
    if (us >= 0) return ntpToEpochMs(pos(us));
    if (ns >= 0) return ntpToEpochMs(pos(ns));
    if (s >= 0) return `${read(s)} * 1000`;
    // flowStart/EndDeltaMicroseconds: "negative time offset ... relative to the export time" (RFC 5102).
    if (delta >= 0) return `exportMs - Math.round(${read(delta)} / 1000)`;
    return undefined;
  };
  const startAbs = absolute(plan.startMs, plan.startUs, plan.startNs, plan.startS, -1);
  const endAbs = absolute(plan.endMs, plan.endUs, plan.endNs, plan.endS, -1);
  let start = startAbs;
  let end = endAbs;

  const hasUptime = plan.startUptime >= 0 || plan.endUptime >= 0;
  if (hasUptime && (start === undefined || end === undefined)) {
    const su = plan.startUptime >= 0 ? read(plan.startUptime) : undefined;
    const eu = plan.endUptime >= 0 ? read(plan.endUptime) : undefined;
    if (version === 9) {
      // RFC 3954: FIRST/LAST_SWITCHED are sysUptime (ms since boot) at the first/last packet. The header carries
      // sysUptime and Unix seconds at export; the 32-bit signed difference survives the uptime counter wrapping.
      if (start === undefined && su !== undefined) start = `exportMs - ((uptime - ${su}) | 0)`;
      if (end === undefined && eu !== undefined) end = `exportMs - ((uptime - ${eu}) | 0)`;
    } else {
      // IPFIX flowStart/EndSysUpTime are relative to systemInitTimeMilliseconds (IE 160), from the record itself or
      // from options data. Without it the absolute time is unknowable; keep the duration and end at export time.
      out.push(`var init = ${plan.systemInit >= 0 ? read(plan.systemInit) : 'contextInit'};`);
      out.push(`var us0 = ${su ?? 'undefined'}, ue0 = ${eu ?? 'undefined'};`);
      const fallbackStart = su !== undefined && eu !== undefined ? 'exportMs - (ue0 - us0)' : 'exportMs';
      if (start === undefined && su !== undefined) start = `(init === init ? init + us0 : ${fallbackStart})`;
      if (end === undefined && eu !== undefined) end = '(init === init ? init + ue0 : exportMs)';
    }
  }
  if (start === undefined) start = absolute(-1, -1, -1, -1, plan.startDelta);
  if (end === undefined) end = absolute(-1, -1, -1, -1, plan.endDelta);

  if (start !== undefined) out.push(`var s = ${start};`);
  if (end !== undefined) {
    out.push(`var e = ${end};`);
  } else if (start !== undefined && plan.durationMs >= 0) {
    out.push(`var e = s + ${read(plan.durationMs)};`);
  } else if (start !== undefined && plan.durationUs >= 0) {
    out.push(`var e = s + Math.round(${read(plan.durationUs)} / 1000);`);
  } else {
    out.push('var e = exportMs;');
  }
  if (start === undefined) {
    if (plan.durationMs >= 0) out.push(`var s = e - ${read(plan.durationMs)};`);
    else if (plan.durationUs >= 0) out.push(`var s = e - Math.round(${read(plan.durationUs)} / 1000);`);
    else out.push('var s = e;');
  }
  // A flow cannot end after the exporter exported it. When it seems to (an exporter with a wrong
  // systemInitTimeMilliseconds, a sysUptime counter reset), shift the flow back so it ends at export time and keeps
  // its duration, instead of storing it days in the future.
  out.push('if (e > exportMs + tolerance) { s -= e - exportMs; e = exportMs; }');
  return out;
}
