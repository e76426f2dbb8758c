// Bad input: random, truncated, mutated and adversarial packets. Whatever arrives, `decode` returns, every rejection
// is in `errors` and counted once by reason in `stats()`, state stays within its caps, and good records in the same
// packet as a bad set are kept.
import fc from 'fast-check';
import {
  IPFIX_REALISTIC_FIELDS,
  V9_REALISTIC_FIELDS,
  buildIpfixMessage,
  buildV5Packet,
  buildV9Packet,
  flowFieldValues,
  sampleFlows,
  type FieldValue,
  type TemplateField,
} from '../testing/packet-builders';
import { DECODE_ERROR_REASONS, DecodeErrorReason } from './decode-error';
import { Ie, VARIABLE_LENGTH } from './information-element';
import type { DecodeResult } from './decode-result';
import { NetflowDecoder } from './netflow-decoder';
import { resolveDecoderOptions, type NetflowDecoderOptions } from './decoder-options';

const EXPORT_SECS = 1_700_000_000;
const EXPORT_MS = EXPORT_SECS * 1000;
const UPTIME = 10_000_000;

/**
 * Decodes and checks the accounting invariants that must hold for any input. Checks are plain comparisons gathered
 * into one assertion, because this runs tens of thousands of times per test.
 */
function decodeChecked(decoder: NetflowDecoder, packet: Uint8Array, exporter: string, receivedAtMs = 0): DecodeResult {
  const statsBefore = decoder.stats();
  const before = statsBefore.errors;
  let result: DecodeResult;
  try {
    result = decoder.decode(packet, exporter, receivedAtMs);
  } catch (err) {
    throw new Error(`decode threw: ${String(err)}`);
  }
  const statsAfter = decoder.stats();
  const after = statsAfter.errors;
  const problems: string[] = [];
  // Every packet is counted once: under its version when its header was accepted, as rejected otherwise.
  const packetsOf = (p: typeof statsAfter.packets): number => p.v5 + p.v9 + p.ipfix + p.rejected;
  if (packetsOf(statsAfter.packets) - packetsOf(statsBefore.packets) !== 1) problems.push('packet not counted exactly once');
  for (const reason of DECODE_ERROR_REASONS) {
    let reported = 0;
    for (const e of result.errors) if (e.reason === reason) reported++;
    if (after[reason] - before[reason] !== reported) problems.push(`${reason}: counted ${after[reason] - before[reason]}, reported ${reported}`);
  }
  if (after.DECODER_FAULT !== 0) problems.push(`decoder fault: ${result.errors.map((e) => e.detail).join('; ')}`);
  for (const r of result.records) {
    if (![r.bytes, r.packets, r.startMs, r.endMs].every(Number.isFinite)) problems.push(`non-finite numbers in ${JSON.stringify(r)}`);
  }
  if (problems.length > 0) expect(problems).toEqual([]);
  return result;
}

function expectBounded(decoder: NetflowDecoder, options: NetflowDecoderOptions): void {
  const stats = decoder.stats();
  expect(stats.exporters).toBeLessThanOrEqual(options.maxExporters);
  expect(stats.templates.active).toBeLessThanOrEqual(options.maxTemplatesPerExporter * stats.exporters);
  expect(stats.held.bytes).toBeLessThanOrEqual(options.maxHeldBytesTotal);
  expect(stats.held.sets).toBeLessThanOrEqual(options.maxHeldSetsPerExporter * stats.exporters);
}

const VARIABLE_FIELDS: TemplateField[] = [
  { id: Ie.sourceIPv4Address, length: 4 },
  { id: 82, length: VARIABLE_LENGTH },
  { id: 500, length: 2, enterprise: 9 },
  { id: Ie.octetDeltaCount, length: 8 },
];
const OPTION_FIELDS: TemplateField[] = [
  { id: Ie.selectorId, length: 4 },
  { id: Ie.samplingSize, length: 4 },
  { id: Ie.samplingPopulation, length: 4 },
  { id: 84, length: VARIABLE_LENGTH },
];

/** One valid packet of each version and shape, as the material mutations start from. */
function validCorpus(): Uint8Array[] {
  const flows = sampleFlows(12, 7, { baseMs: EXPORT_MS });
  const v9Fields = [...V9_REALISTIC_FIELDS];
  const ipfixFields = [...IPFIX_REALISTIC_FIELDS];
  return [
    buildV5Packet({
      sysUptimeMs: UPTIME,
      unixSecs: EXPORT_SECS,
      sequence: 1,
      records: flows.map((f) => ({ ...f, firstUptimeMs: UPTIME - 5_000, lastUptimeMs: UPTIME - 1_000 })),
    }),
    buildV9Packet({
      sysUptimeMs: UPTIME,
      unixSecs: EXPORT_SECS,
      sequence: 1,
      sourceId: 3,
      flowSets: [
        { kind: 'template', templates: [{ templateId: 256, fields: v9Fields }] },
        {
          kind: 'optionsTemplate',
          templates: [{ templateId: 257, scopeFields: [{ id: 1, length: 4 }], optionFields: [{ id: Ie.samplingInterval, length: 4 }] }],
        },
        { kind: 'data', templateId: 257, fields: [{ id: 1, length: 4 }, { id: Ie.samplingInterval, length: 4 }], records: [[0, 10]] },
        { kind: 'data', templateId: 256, fields: v9Fields, records: flows.map((f) => flowFieldValues(v9Fields, f, { exportMs: EXPORT_MS, sysUptimeMs: UPTIME })) },
      ],
    }),
    buildIpfixMessage({
      exportTimeSecs: EXPORT_SECS,
      sequence: 1,
      observationDomain: 9,
      sets: [
        { kind: 'template', templates: [{ templateId: 300, fields: ipfixFields }, { templateId: 301, fields: VARIABLE_FIELDS }] },
        { kind: 'optionsTemplate', templates: [{ templateId: 302, scopeFieldCount: 1, fields: OPTION_FIELDS }] },
        { kind: 'data', templateId: 302, fields: OPTION_FIELDS, records: [[1, 1, 100, 'sampler-1']] },
        { kind: 'data', templateId: 300, fields: ipfixFields, records: flows.map((f) => flowFieldValues(ipfixFields, f)) },
        {
          kind: 'data',
          templateId: 301,
          fields: VARIABLE_FIELDS,
          records: [
            ['10.0.0.1', 'x'.repeat(300), 1, 5],
            ['10.0.0.2', '', 2, 6],
          ],
        },
        { kind: 'withdrawal', templateIds: [301] },
      ],
    }),
  ];
}

const CORPUS = validCorpus();

describe('bad input', () => {
  it('decodes the valid corpus without errors (the baseline the mutations start from)', () => {
    const decoder = new NetflowDecoder();
    for (const packet of CORPUS) expect(decodeChecked(decoder, packet, 'x').errors).toEqual([]);
    expect(decoder.stats().records).toEqual({ v5: 12, v9: 12, ipfix: 14 });
  });

  it('never throws and counts every rejection for random bytes', () => {
    const decoder = new NetflowDecoder();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_000 }), (packet) => {
        decodeChecked(decoder, packet, 'random');
      }),
      { numRuns: 2_000 },
    );
  });

  it('never throws for random bytes behind a valid version number', () => {
    const decoder = new NetflowDecoder();
    fc.assert(
      fc.property(fc.constantFrom(5, 9, 10), fc.uint8Array({ maxLength: 1_500 }), (version, body) => {
        const packet = new Uint8Array(body.length + 2);
        packet[1] = version;
        packet.set(body, 2);
        // A plausible IPFIX length, so the set walker is reached most of the time.
        if (version === 10 && packet.length >= 4) new DataView(packet.buffer).setUint16(2, packet.length);
        decodeChecked(decoder, packet, `v${version}`);
      }),
      { numRuns: 3_000 },
    );
  });

  it('never throws for every truncation of every valid packet', () => {
    for (const packet of CORPUS) {
      const decoder = new NetflowDecoder();
      for (let length = 0; length <= packet.length; length++) decodeChecked(decoder, packet.subarray(0, length), 'truncated');
    }
  });

  it('never throws and stays bounded for mutated valid packets fed to one decoder in sequence', () => {
    const options = { maxTemplatesPerExporter: 16, maxHeldSetsPerExporter: 8, maxHeldBytesPerExporter: 4_096, maxHeldBytesTotal: 16_384 };
    const decoder = new NetflowDecoder(options);
    const resolved = resolveDecoderOptions(options);
    fc.assert(
      fc.property(
        fc.constantFrom(...CORPUS.keys()),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }),
        fc.constantFrom('a', 'b', 'c'),
        (index, mutations, exporter) => {
          const packet = CORPUS[index].slice();
          for (const [at, value] of mutations) packet[at % packet.length] = value;
          decodeChecked(decoder, packet, exporter, 0);
          expectBounded(decoder, resolved);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('never throws for lying set lengths', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2), fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 8 }), (index, lengths) => {
        const decoder = new NetflowDecoder();
        const packet = CORPUS[index].slice();
        const view = new DataView(packet.buffer);
        // Walk the sets as written, replacing each set length with a lie.
        let p = index === 1 ? 20 : 16;
        for (const lie of lengths) {
          if (p + 4 > packet.length) break;
          const honest = view.getUint16(p + 2);
          view.setUint16(p + 2, lie);
          p += Math.max(4, honest);
        }
        decodeChecked(decoder, packet, 'liar');
      }),
      { numRuns: 1_000 },
    );
  });

  it('decodes templates with zero-length fields without looping, and rejects all-zero-length ones', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.integer({ min: 1, max: 400 }), length: fc.constantFrom(0, 0, 1, 2, 4, 8, VARIABLE_LENGTH) }), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }),
        (fields, rawRecords) => {
          const decoder = new NetflowDecoder();
          const message = buildIpfixMessage({
            exportTimeSecs: EXPORT_SECS,
            sequence: 0,
            observationDomain: 1,
            sets: [
              { kind: 'template', templates: [{ templateId: 400, fields }] },
              { kind: 'raw', setId: 400, body: Uint8Array.from(rawRecords.flatMap((r) => [...r])) },
            ],
          });
          const result = decodeChecked(decoder, message, 'zero');
          const empty = fields.every((f) => f.length === 0);
          expect(result.errors.some((e) => e.reason === DecodeErrorReason.MALFORMED_TEMPLATE)).toBe(empty);
        },
      ),
    );
  });

  it('rejects templates with thousands of fields as TEMPLATE_TOO_LARGE without storing them', () => {
    const decoder = new NetflowDecoder();
    const huge: TemplateField[] = Array.from({ length: 3_000 }, (_, i) => ({ id: (i % 500) + 1, length: 1, enterprise: i % 3 === 0 ? 9 : 0 }));
    const ipfix = buildIpfixMessage({
      exportTimeSecs: EXPORT_SECS,
      sequence: 0,
      observationDomain: 1,
      sets: [{ kind: 'template', templates: [{ templateId: 300, fields: huge }, { templateId: 301, fields: VARIABLE_FIELDS }] }],
    });
    const v9 = buildV9Packet({
      sysUptimeMs: UPTIME,
      unixSecs: EXPORT_SECS,
      sequence: 0,
      sourceId: 0,
      flowSets: [{ kind: 'template', templates: [{ templateId: 300, fields: huge.map((f) => ({ id: f.id, length: f.length })) }] }],
    });
    expect(decodeChecked(decoder, ipfix, 'x').errors.map((e) => e.reason)).toEqual([DecodeErrorReason.TEMPLATE_TOO_LARGE]);
    expect(decodeChecked(decoder, v9, 'x').errors.map((e) => e.reason)).toEqual([DecodeErrorReason.TEMPLATE_TOO_LARGE]);
    // The template after the huge one in the same set was still learned.
    expect(decoder.stats().templates.active).toBe(1);
  });

  it('keeps the template cache, exporters and held data within their caps under template storms', () => {
    const options = { maxExporters: 5, maxTemplatesPerExporter: 20, maxHeldSetsPerExporter: 4, maxHeldBytesTotal: 8_192 };
    const resolved = resolveDecoderOptions(options);
    const decoder = new NetflowDecoder(options);
    const field = fc.record({ id: fc.integer({ min: 1, max: 0x7fff }), length: fc.integer({ min: 0, max: 20 }) });
    const template = fc.record({ templateId: fc.integer({ min: 256, max: 0xffff }), fields: fc.array(field, { minLength: 1, maxLength: 30 }) });
    fc.assert(
      fc.property(
        fc.array(template, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        (templates, exporter, domain, v9) => {
          const packet = v9
            ? buildV9Packet({ sysUptimeMs: 1, unixSecs: EXPORT_SECS, sequence: 0, sourceId: domain, flowSets: [{ kind: 'template', templates }] })
            : buildIpfixMessage({
                exportTimeSecs: EXPORT_SECS,
                sequence: 0,
                observationDomain: domain,
                sets: [
                  { kind: 'template', templates },
                  { kind: 'raw', setId: 256 + exporter, body: new Uint8Array(40) },
                ],
              });
          decodeChecked(decoder, packet, `storm-${exporter}`);
          expectBounded(decoder, resolved);
        },
      ),
      { numRuns: 300 },
    );
    expect(decoder.stats().errors.TOO_MANY_EXPORTERS).toBeGreaterThan(0);
    expect(decoder.stats().errors.TOO_MANY_TEMPLATES).toBeGreaterThan(0);
  });

  it('keeps the good records of a packet whose other set is bad', () => {
    const fields = [...IPFIX_REALISTIC_FIELDS];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.oneof(
          // A set that lies about its length.
          fc.record({ setId: fc.integer({ min: 256, max: 0xffff }), body: fc.uint8Array({ maxLength: 40 }), length: fc.integer({ min: 0, max: 0xffff }) }),
          // A reserved set id.
          fc.record({ setId: fc.integer({ min: 4, max: 255 }), body: fc.uint8Array({ maxLength: 40 }) }),
          // A template set of garbage.
          fc.record({ setId: fc.constant(2), body: fc.uint8Array({ minLength: 4, maxLength: 40 }) }),
        ),
        fc.boolean(),
        (count, bad, badFirst) => {
          const decoder = new NetflowDecoder();
          decoder.decode(
            buildIpfixMessage({ exportTimeSecs: EXPORT_SECS, sequence: 0, observationDomain: 1, sets: [{ kind: 'template', templates: [{ templateId: 300, fields }] }] }),
            'x',
            0,
          );
          const flows = sampleFlows(count, count, { baseMs: EXPORT_MS });
          const good = { kind: 'data' as const, templateId: 300, fields, records: flows.map((f): FieldValue[] => flowFieldValues(fields, f)) };
          const badSet = { kind: 'raw' as const, ...bad };
          // A set that lies about its length can only come last: nothing after it is reachable.
          const lying = 'length' in bad;
          const sets = badFirst && !lying ? [badSet, good] : [good, badSet];
          const result = decodeChecked(decoder, buildIpfixMessage({ exportTimeSecs: EXPORT_SECS, sequence: 1, observationDomain: 1, sets }), 'x');
          const decoded = result.records.filter((r) => r.templateId === 300).map((r) => [r.srcAddress, r.bytes]);
          expect(decoded.slice(0, count)).toEqual(flows.map((f) => [f.srcAddress, f.bytes]));
        },
      ),
      { numRuns: 300 },
    );
  });
});
