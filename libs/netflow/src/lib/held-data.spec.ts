import { buildIpfixMessage, buildV9Packet, type FieldValue, type IpfixSet, type TemplateField } from '../testing/packet-builders';
import { Ie } from './information-element';
import { HeldDropReason } from './held-data-store';
import { NetflowDecoder } from './netflow-decoder';

const EXPORT_SECS = 1_700_000_000;
const FIELDS: TemplateField[] = [
  { id: Ie.sourceIPv4Address, length: 4 },
  { id: Ie.octetDeltaCount, length: 4 },
  { id: Ie.flowStartMilliseconds, length: 8 },
];
const TEMPLATE: IpfixSet = { kind: 'template', templates: [{ templateId: 300, fields: FIELDS }] };

function ipfix(sets: IpfixSet[], observationDomain = 1): Uint8Array {
  return buildIpfixMessage({ exportTimeSecs: EXPORT_SECS, sequence: 0, observationDomain, sets });
}

function data(...sources: string[]): Uint8Array {
  const records: FieldValue[][] = sources.map((source, i) => [source, 100 + i, EXPORT_SECS * 1000 - 1_000]);
  return ipfix([{ kind: 'data', templateId: 300, fields: FIELDS, records }]);
}

describe('data that arrives before its template', () => {
  it('is held, then decoded and marked in the decode call that brings the template', () => {
    const decoder = new NetflowDecoder();
    const early = decoder.decode(data('10.0.0.1', '10.0.0.2'), 'a', 1_000);
    expect(early.records).toEqual([]);
    expect(early.heldSets).toBe(1);
    expect(decoder.stats().held).toMatchObject({ sets: 1, heldTotal: 1 });

    const later = decoder.decode(ipfix([TEMPLATE]), 'a', 2_000);
    expect(later.records.map((r) => [r.srcAddress, r.bytes, r.fromHeldData])).toEqual([
      ['10.0.0.1', 100, true],
      ['10.0.0.2', 101, true],
    ]);
    expect(later.releasedRecords).toBe(2);
    // Times come from the held packet's own header, not from the packet that released it.
    expect(later.records[0].startMs).toBe(EXPORT_SECS * 1000 - 1_000);
    expect(decoder.stats().held).toMatchObject({ sets: 0, bytes: 0, released: 1, releasedRecords: 2 });
    expect(decoder.stats().records.ipfix).toBe(2);
  });

  it('is decoded with its own v9 header uptime when its template comes in a later packet', () => {
    const fields: TemplateField[] = [
      { id: Ie.flowStartSysUpTime, length: 4 },
      { id: Ie.flowEndSysUpTime, length: 4 },
    ];
    const decoder = new NetflowDecoder();
    decoder.decode(
      buildV9Packet({ sysUptimeMs: 100_000, unixSecs: EXPORT_SECS, sequence: 1, sourceId: 0, flowSets: [{ kind: 'data', templateId: 256, fields, records: [[90_000, 99_000]] }] }),
      'a',
      0,
    );
    const released = decoder.decode(
      buildV9Packet({ sysUptimeMs: 700_000, unixSecs: EXPORT_SECS + 600, sequence: 2, sourceId: 0, flowSets: [{ kind: 'template', templates: [{ templateId: 256, fields }] }] }),
      'a',
      10,
    );
    expect(released.records.map((r) => [r.startMs, r.endMs, r.fromHeldData])).toEqual([
      [EXPORT_SECS * 1000 - 10_000, EXPORT_SECS * 1000 - 1_000, true],
    ]);
  });

  it('is not released by the same template id from another exporter or another domain', () => {
    const decoder = new NetflowDecoder();
    decoder.decode(data('10.0.0.1'), 'a', 0);
    expect(decoder.decode(ipfix([TEMPLATE]), 'b', 0).records).toEqual([]);
    expect(decoder.decode(ipfix([TEMPLATE], 2), 'a', 0).records).toEqual([]);
    expect(decoder.decode(ipfix([TEMPLATE], 1), 'a', 0).records).toHaveLength(1);
  });

  it('expires after maxHeldAgeMs, judged by the receivedAtMs of later packets, and is counted EXPIRED', () => {
    const decoder = new NetflowDecoder({ maxHeldAgeMs: 5_000 });
    decoder.decode(data('10.0.0.1'), 'a', 10_000);
    decoder.decode(data('10.0.0.2'), 'a', 14_000);
    const later = decoder.decode(ipfix([TEMPLATE]), 'a', 15_001);
    expect(later.records.map((r) => r.srcAddress)).toEqual(['10.0.0.2']);
    expect(decoder.stats().held.dropped[HeldDropReason.EXPIRED]).toBe(1);
  });

  it('expires on expireHeldData for exporters that send nothing more', () => {
    const decoder = new NetflowDecoder({ maxHeldAgeMs: 5_000 });
    decoder.decode(data('10.0.0.1'), 'a', 0);
    decoder.decode(data('10.0.0.2'), 'b', 3_000);
    expect(decoder.expireHeldData(7_000)).toBe(1);
    expect(decoder.stats().held).toMatchObject({ sets: 1, dropped: { EXPIRED: 1 } });
  });

  it('evicts the oldest sets beyond the per-exporter set cap, counted EXPORTER_CAP', () => {
    const decoder = new NetflowDecoder({ maxHeldSetsPerExporter: 2 });
    for (const source of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) decoder.decode(data(source), 'a', 0);
    decoder.decode(data('10.0.0.9'), 'b', 0);
    const released = decoder.decode(ipfix([TEMPLATE]), 'a', 0);
    expect(released.records.map((r) => r.srcAddress)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(decoder.stats().held.dropped[HeldDropReason.EXPORTER_CAP]).toBe(1);
    expect(decoder.stats().held.sets).toBe(1);
  });

  it('keeps held bytes within the per-exporter and global byte caps', () => {
    const setBytes = data('10.0.0.1').length - 16 - 4;
    const decoder = new NetflowDecoder({ maxHeldBytesPerExporter: setBytes * 3, maxHeldBytesTotal: setBytes * 4 });
    for (let i = 0; i < 5; i++) decoder.decode(data(`10.0.0.${i}`), 'a', 0);
    expect(decoder.stats().held.bytes).toBe(setBytes * 3);
    for (let i = 0; i < 2; i++) decoder.decode(data(`10.0.1.${i}`), 'b', 0);
    expect(decoder.stats().held.bytes).toBeLessThanOrEqual(setBytes * 4);
    expect(decoder.stats().held.dropped).toMatchObject({ EXPORTER_CAP: 2, GLOBAL_CAP: 1 });
  });

  it('drops a set larger than the per-exporter byte cap on arrival', () => {
    const decoder = new NetflowDecoder({ maxHeldBytesPerExporter: 10 });
    decoder.decode(data('10.0.0.1', '10.0.0.2'), 'a', 0);
    expect(decoder.stats().held).toMatchObject({ sets: 0, bytes: 0, dropped: { EXPORTER_CAP: 1 } });
  });

  it('holds options data too, so sampling announced before its options template still applies', () => {
    const decoder = new NetflowDecoder();
    const optionFields: TemplateField[] = [
      { id: 144, length: 4 },
      { id: Ie.samplingInterval, length: 4 },
    ];
    decoder.decode(ipfix([{ kind: 'data', templateId: 400, fields: optionFields, records: [[1, 100]] }]), 'a', 0);
    decoder.decode(ipfix([{ kind: 'optionsTemplate', templates: [{ templateId: 400, scopeFieldCount: 1, fields: optionFields }] }]), 'a', 0);
    decoder.decode(ipfix([TEMPLATE]), 'a', 0);
    expect(decoder.decode(data('10.0.0.1'), 'a', 0).records[0].samplingRate).toBe(100);
  });

  it('counts held sets of a forgotten exporter as dropped', () => {
    const decoder = new NetflowDecoder();
    decoder.decode(data('10.0.0.1'), 'a', 0);
    decoder.forgetExporter('a');
    expect(decoder.stats()).toMatchObject({ exporters: 0, held: { sets: 0, bytes: 0, dropped: { EXPORTER_FORGOTTEN: 1 } } });
  });
});
