import { buildIpfixMessage, buildV9Packet, type TemplateField } from '../testing/packet-builders';
import { DecodeErrorReason } from './decode-error';
import { Ie, VARIABLE_LENGTH } from './information-element';
import { NetflowDecoder } from './netflow-decoder';
import type { NetflowStateSnapshot } from './state-snapshot';

const EXPORT_SECS = 1_700_000_000;
const FIELDS: TemplateField[] = [
  { id: Ie.sourceIPv4Address, length: 4 },
  { id: 82, length: VARIABLE_LENGTH },
  { id: 77, length: 4, enterprise: 2011 },
  { id: Ie.packetDeltaCount, length: 4 },
  { id: Ie.selectorId, length: 2 },
];
const OPTION_FIELDS: TemplateField[] = [
  { id: Ie.selectorId, length: 2 },
  { id: Ie.samplingPacketInterval, length: 4 },
  { id: Ie.samplingPacketSpace, length: 4 },
];

function learn(decoder: NetflowDecoder, exporter: string): void {
  decoder.decode(
    buildIpfixMessage({
      exportTimeSecs: EXPORT_SECS,
      sequence: 0,
      observationDomain: 5,
      sets: [
        { kind: 'optionsTemplate', templates: [{ templateId: 400, scopeFieldCount: 1, fields: OPTION_FIELDS }] },
        { kind: 'data', templateId: 400, fields: OPTION_FIELDS, records: [[3, 1, 9]] },
        { kind: 'template', templates: [{ templateId: 300, fields: FIELDS }] },
      ],
    }),
    exporter,
    0,
  );
}

const dataPacket = buildIpfixMessage({
  exportTimeSecs: EXPORT_SECS,
  sequence: 1,
  observationDomain: 5,
  sets: [{ kind: 'data', templateId: 300, fields: FIELDS, records: [['10.1.1.1', 'eth0', 1, 7, 3]] }],
});

describe('template persistence', () => {
  it('restores templates and sampling through JSON so data decodes after a restart as before it', () => {
    const before = new NetflowDecoder();
    learn(before, '192.0.2.1');
    const expected = before.decode(dataPacket, '192.0.2.1', 0).records;

    const stored = JSON.stringify(before.exportState());
    const after = new NetflowDecoder();
    expect(after.importState(JSON.parse(stored))).toEqual({ templates: 2, domains: 1, rejected: 0 });
    const result = after.decode(dataPacket, '192.0.2.1', 0);
    expect(result.heldSets).toBe(0);
    expect(result.records).toEqual(expected);
    expect(result.records[0].samplingRate).toBe(10);
  });

  it('exports one exporter only when asked', () => {
    const decoder = new NetflowDecoder();
    learn(decoder, '192.0.2.1');
    learn(decoder, '192.0.2.2');
    const snapshot = decoder.exportState('192.0.2.2');
    expect(new Set(snapshot.templates.map((t) => t.exporter))).toEqual(new Set(['192.0.2.2']));
    expect(snapshot.templates).toHaveLength(2);
    expect(decoder.exportState('192.0.2.99')).toEqual({ formatVersion: 1, templates: [], domains: [] });
  });

  it('keeps IPFIX enterprise numbers and variable lengths in the snapshot', () => {
    const decoder = new NetflowDecoder();
    learn(decoder, '192.0.2.1');
    const template = decoder.exportState().templates.find((t) => t.templateId === 300);
    expect(template?.fields).toEqual(FIELDS.map((f) => ({ enterprise: 0, ...f })));
  });

  it('skips and counts snapshot entries that do not validate, importing the rest', () => {
    const decoder = new NetflowDecoder();
    learn(decoder, '192.0.2.1');
    const good = decoder.exportState();
    const snapshot = {
      ...good,
      templates: [
        ...good.templates,
        { ...good.templates[0], templateId: 12 },
        { ...good.templates[0], fields: [{ id: 'x', length: 4, enterprise: 0 }] },
        null,
      ],
      domains: [...good.domains, { ...good.domains[0], samplerRates: [[1, 0.5]] }],
    };
    const fresh = new NetflowDecoder();
    expect(fresh.importState(snapshot)).toEqual({ templates: 2, domains: 1, rejected: 4 });
    expect(fresh.stats().errors[DecodeErrorReason.INVALID_SNAPSHOT]).toBe(4);
  });

  it('rejects a snapshot of an unknown format as a whole', () => {
    const decoder = new NetflowDecoder();
    expect(decoder.importState({ formatVersion: 2, templates: [] })).toEqual({ templates: 0, domains: 0, rejected: 1 });
    expect(decoder.importState('garbage')).toEqual({ templates: 0, domains: 0, rejected: 1 });
  });

  it('applies the template caps to imported templates', () => {
    const decoder = new NetflowDecoder();
    learn(decoder, '192.0.2.1');
    const capped = new NetflowDecoder({ maxTemplatesPerExporter: 1 });
    const outcome = capped.importState(decoder.exportState());
    expect(outcome).toEqual({ templates: 1, domains: 1, rejected: 1 });
    expect(capped.stats().errors.TOO_MANY_TEMPLATES).toBe(1);
  });

  it('round-trips v9 options templates with their scope fields', () => {
    const decoder = new NetflowDecoder();
    decoder.decode(
      buildV9Packet({
        sysUptimeMs: 1,
        unixSecs: EXPORT_SECS,
        sequence: 0,
        sourceId: 3,
        flowSets: [
          {
            kind: 'optionsTemplate',
            templates: [{ templateId: 257, scopeFields: [{ id: 1, length: 4 }], optionFields: [{ id: Ie.samplingInterval, length: 4 }] }],
          },
        ],
      }),
      '192.0.2.1',
      0,
    );
    const snapshot: NetflowStateSnapshot = decoder.exportState();
    expect(snapshot.templates).toEqual([
      {
        exporter: '192.0.2.1',
        version: 9,
        observationDomain: 3,
        templateId: 257,
        kind: 'options',
        scopeFieldCount: 1,
        fields: [
          { id: 1, length: 4, enterprise: 0 },
          { id: Ie.samplingInterval, length: 4, enterprise: 0 },
        ],
        learnedAtMs: 0,
      },
    ]);
    const restored = new NetflowDecoder();
    restored.importState(snapshot);
    expect(restored.exportState()).toEqual(snapshot);
  });

  it('decodes data held before an import once the imported template is in place', () => {
    const source = new NetflowDecoder();
    learn(source, '192.0.2.1');
    const decoder = new NetflowDecoder();
    expect(decoder.decode(dataPacket, '192.0.2.1', 0).heldSets).toBe(1);
    decoder.importState(source.exportState());
    const next = decoder.decode(dataPacket, '192.0.2.1', 1);
    expect(next.records.map((r) => r.fromHeldData)).toEqual([true, false]);
  });
});
