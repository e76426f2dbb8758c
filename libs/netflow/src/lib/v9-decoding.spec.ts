import {
  V9_REALISTIC_FIELDS,
  buildIpfixMessage,
  buildV9Packet,
  flowFieldValues,
  sampleFlows,
  type FieldValue,
  type TemplateField,
  type V9FlowSet,
} from '../testing/packet-builders';
import { DecodeErrorReason } from './decode-error';
import { Ie } from './information-element';
import { NetflowDecoder } from './netflow-decoder';

const EXPORT_SECS = 1_700_000_000;
const EXPORT_MS = EXPORT_SECS * 1000;
const UPTIME = 50_000_000;
const EXPORTER = '192.0.2.1';

function v9(flowSets: V9FlowSet[], options: { sequence?: number; sourceId?: number; sysUptimeMs?: number } = {}): Uint8Array {
  return buildV9Packet({
    sysUptimeMs: options.sysUptimeMs ?? UPTIME,
    unixSecs: EXPORT_SECS,
    sequence: options.sequence ?? 0,
    sourceId: options.sourceId ?? 0,
    flowSets,
  });
}

/** 13-byte records, so back-to-back packing and flowset padding are visible. */
const SMALL: TemplateField[] = [
  { id: Ie.sourceIPv4Address, length: 4 },
  { id: Ie.destinationIPv4Address, length: 4 },
  { id: Ie.octetDeltaCount, length: 4 },
  { id: Ie.protocolIdentifier, length: 1 },
];

const errorsOf = (decoder: NetflowDecoder): Record<string, number> =>
  Object.fromEntries(Object.entries(decoder.stats().errors).filter(([, n]) => n > 0));

describe('NetFlow v9', () => {
  it('decodes records packed back to back with only the flowset padded to 4 bytes', () => {
    const decoder = new NetflowDecoder();
    const records: FieldValue[][] = [
      ['10.0.0.1', '10.0.0.2', 100, 6],
      ['10.0.0.3', '10.0.0.4', 200, 17],
      ['10.0.0.5', '10.0.0.6', 300, 1],
    ];
    const packet = v9([
      { kind: 'template', templates: [{ templateId: 256, fields: SMALL }] },
      { kind: 'data', templateId: 256, fields: SMALL, records },
    ]);
    // 20 header + (4 + 4 + 4 * 4) template flowset + (4 + 39 + 1 padding) data flowset.
    expect(packet.length).toBe(20 + 24 + 44);
    const result = decoder.decode(packet, EXPORTER, 0);
    expect(result.errors).toEqual([]);
    expect(result.records.map((r) => [r.srcAddress, r.dstAddress, r.bytes, r.protocol])).toEqual(records);
  });

  it('decodes data arriving in a later packet than its template', () => {
    const decoder = new NetflowDecoder();
    decoder.decode(v9([{ kind: 'template', templates: [{ templateId: 300, fields: SMALL }] }]), EXPORTER, 0);
    const result = decoder.decode(v9([{ kind: 'data', templateId: 300, fields: SMALL, records: [['1.2.3.4', '5.6.7.8', 9, 6]] }]), EXPORTER, 10);
    expect(result.records.map((r) => [r.srcAddress, r.templateId, r.fromHeldData])).toEqual([['1.2.3.4', 300, false]]);
    expect(result.heldSets).toBe(0);
  });

  it('decodes every FlowRecord field of a realistic 25-field template', () => {
    const decoder = new NetflowDecoder();
    const fields = [...V9_REALISTIC_FIELDS];
    const [flow] = sampleFlows(1, 42, { baseMs: EXPORT_MS });
    const packet = v9([
      { kind: 'template', templates: [{ templateId: 400, fields }] },
      { kind: 'data', templateId: 400, fields, records: [flowFieldValues(fields, flow, { exportMs: EXPORT_MS, sysUptimeMs: UPTIME })] },
    ]);
    const [record] = decoder.decode(packet, EXPORTER, 0).records;
    expect(record).toEqual({
      exporter: EXPORTER,
      observationDomain: 0,
      version: 9,
      templateId: 400,
      srcAddress: flow.srcAddress,
      dstAddress: flow.dstAddress,
      srcPort: flow.srcPort,
      dstPort: flow.dstPort,
      protocol: flow.protocol,
      tcpFlags: flow.tcpFlags,
      bytes: flow.bytes,
      packets: flow.packets,
      rawBytes: flow.bytes,
      rawPackets: flow.packets,
      samplingRate: 1,
      startMs: flow.startMs,
      endMs: flow.endMs,
      inputInterface: flow.inputInterface,
      outputInterface: flow.outputInterface,
      srcMac: flow.srcMac,
      dstMac: flow.dstMac,
      srcVlan: flow.srcVlan,
      dstVlan: flow.dstVlan,
      direction: flow.direction,
      srcSgt: flow.srcSgt,
      dstSgt: flow.dstSgt,
      fromHeldData: false,
    });
  });

  it('turns FIRST/LAST_SWITCHED into epoch milliseconds across the sysUptime wrap', () => {
    const fields: TemplateField[] = [
      { id: Ie.flowStartSysUpTime, length: 4 },
      { id: Ie.flowEndSysUpTime, length: 4 },
    ];
    const packet = v9(
      [
        { kind: 'template', templates: [{ templateId: 256, fields }] },
        { kind: 'data', templateId: 256, fields, records: [[0xffff_ffff - 4_999, 500]] },
      ],
      { sysUptimeMs: 1_000 },
    );
    const [flow] = new NetflowDecoder().decode(packet, EXPORTER, 0).records;
    expect([flow.startMs, flow.endMs]).toEqual([EXPORT_MS - 6_000, EXPORT_MS - 500]);
  });

  it('keeps templates of two exporters using the same template id apart', () => {
    const decoder = new NetflowDecoder();
    const other: TemplateField[] = [
      { id: Ie.destinationIPv4Address, length: 4 },
      { id: Ie.sourceIPv4Address, length: 4 },
      { id: Ie.packetDeltaCount, length: 4 },
      { id: Ie.protocolIdentifier, length: 1 },
    ];
    decoder.decode(v9([{ kind: 'template', templates: [{ templateId: 260, fields: SMALL }] }]), '192.0.2.1', 0);
    decoder.decode(v9([{ kind: 'template', templates: [{ templateId: 260, fields: other }] }]), '192.0.2.2', 0);
    const data = v9([{ kind: 'data', templateId: 260, fields: SMALL, records: [['10.0.0.1', '10.0.0.2', 77, 6]] }]);
    const a = decoder.decode(data, '192.0.2.1', 0).records[0];
    const b = decoder.decode(data, '192.0.2.2', 0).records[0];
    expect([a.srcAddress, a.bytes, a.packets]).toEqual(['10.0.0.1', 77, 0]);
    expect([b.srcAddress, b.bytes, b.packets]).toEqual(['10.0.0.2', 0, 77]);
  });

  it('keeps templates of two source ids of one exporter apart', () => {
    const decoder = new NetflowDecoder();
    decoder.decode(v9([{ kind: 'template', templates: [{ templateId: 260, fields: SMALL }] }], { sourceId: 1 }), EXPORTER, 0);
    const result = decoder.decode(
      v9([{ kind: 'data', templateId: 260, fields: SMALL, records: [['10.0.0.1', '10.0.0.2', 77, 6]] }], { sourceId: 2 }),
      EXPORTER,
      0,
    );
    expect(result.records).toEqual([]);
    expect(result.heldSets).toBe(1);
  });

  it('keeps a v9 template and an IPFIX template with the same exporter, domain and id apart', () => {
    const decoder = new NetflowDecoder();
    decoder.decode(v9([{ kind: 'template', templates: [{ templateId: 260, fields: SMALL }] }]), EXPORTER, 0);
    const ipfix = buildIpfixMessage({
      exportTimeSecs: EXPORT_SECS,
      sequence: 0,
      observationDomain: 0,
      sets: [{ kind: 'data', templateId: 260, fields: SMALL, records: [['10.0.0.1', '10.0.0.2', 77, 6]] }],
    });
    expect(decoder.decode(ipfix, EXPORTER, 0).heldSets).toBe(1);
  });

  it('decodes with the new layout after a template id is redefined', () => {
    const decoder = new NetflowDecoder();
    const swapped: TemplateField[] = [SMALL[1], SMALL[0], SMALL[2], SMALL[3]];
    decoder.decode(v9([{ kind: 'template', templates: [{ templateId: 256, fields: SMALL }] }]), EXPORTER, 0);
    const changed = decoder.decode(v9([{ kind: 'template', templates: [{ templateId: 256, fields: swapped }] }]), EXPORTER, 0);
    expect(changed.templatesChanged).toBe(true);
    const result = decoder.decode(v9([{ kind: 'data', templateId: 256, fields: swapped, records: [['1.1.1.1', '2.2.2.2', 5, 6]] }]), EXPORTER, 0);
    // The first value now lands in the destination address.
    expect([result.records[0].srcAddress, result.records[0].dstAddress]).toEqual(['2.2.2.2', '1.1.1.1']);
  });

  it('reports a template refresh with an unchanged layout as no change', () => {
    const decoder = new NetflowDecoder();
    const template = v9([{ kind: 'template', templates: [{ templateId: 256, fields: SMALL }] }]);
    expect(decoder.decode(template, EXPORTER, 0).templatesChanged).toBe(true);
    expect(decoder.decode(template, EXPORTER, 1).templatesChanged).toBe(false);
    expect(decoder.stats().templates).toMatchObject({ active: 1, learned: 1, refreshed: 1 });
  });

  it('skips unknown and vendor field types by their length', () => {
    const fields: TemplateField[] = [
      { id: 40_000, length: 7 },
      { id: Ie.sourceIPv4Address, length: 4 },
      { id: 999, length: 3 },
      { id: Ie.destinationIPv4Address, length: 4 },
      { id: 33_000, length: 0 },
      { id: Ie.destinationTransportPort, length: 2 },
    ];
    const packet = v9([
      { kind: 'template', templates: [{ templateId: 256, fields }] },
      {
        kind: 'data',
        templateId: 256,
        fields,
        records: [[new Uint8Array(7).fill(0xff), '10.9.8.7', 0xabcdef, '10.6.5.4', 0, 8080]],
      },
    ]);
    const result = new NetflowDecoder().decode(packet, EXPORTER, 0);
    expect(result.errors).toEqual([]);
    expect(result.records.map((r) => [r.srcAddress, r.dstAddress, r.dstPort])).toEqual([['10.9.8.7', '10.6.5.4', 8080]]);
  });

  it('decodes MACs, VLANs, direction and interfaces of 2- and 4-byte widths, with post-MACs as fallbacks', () => {
    const fields: TemplateField[] = [
      { id: Ie.postSourceMacAddress, length: 6 },
      { id: Ie.postDestinationMacAddress, length: 6 },
      { id: Ie.vlanId, length: 2 },
      { id: Ie.postVlanId, length: 2 },
      { id: Ie.flowDirection, length: 1 },
      { id: Ie.ingressInterface, length: 2 },
      { id: Ie.egressInterface, length: 4 },
    ];
    const packet = v9([
      { kind: 'template', templates: [{ templateId: 256, fields }] },
      { kind: 'data', templateId: 256, fields, records: [['aa:bb:cc:00:11:22', '01:02:03:04:05:06', 10, 20, 1, 7, 70_000]] },
    ]);
    const [r] = new NetflowDecoder().decode(packet, EXPORTER, 0).records;
    expect([r.srcMac, r.dstMac, r.srcVlan, r.dstVlan, r.direction, r.inputInterface, r.outputInterface]).toEqual([
      'aa:bb:cc:00:11:22',
      '01:02:03:04:05:06',
      10,
      20,
      1,
      7,
      70_000,
    ]);
  });

  it('prefers source MAC 56 and destination MAC 80 over the post-NAT 81 and 57', () => {
    const fields: TemplateField[] = [
      { id: Ie.sourceMacAddress, length: 6 },
      { id: Ie.postSourceMacAddress, length: 6 },
      { id: Ie.postDestinationMacAddress, length: 6 },
      { id: Ie.destinationMacAddress, length: 6 },
    ];
    const packet = v9([
      { kind: 'template', templates: [{ templateId: 256, fields }] },
      { kind: 'data', templateId: 256, fields, records: [['00:00:00:00:00:56', '00:00:00:00:00:81', '00:00:00:00:00:57', '00:00:00:00:00:80']] },
    ]);
    const [r] = new NetflowDecoder().decode(packet, EXPORTER, 0).records;
    expect([r.srcMac, r.dstMac]).toEqual(['00:00:00:00:00:56', '00:00:00:00:00:80']);
  });

  it('reads TrustSec tags from Cisco field types 34000/34001 by default', () => {
    const fields: TemplateField[] = [
      { id: 34000, length: 2 },
      { id: 34001, length: 2 },
      { id: 411, length: 2 },
      { id: 412, length: 2 },
    ];
    const packet = v9([
      { kind: 'template', templates: [{ templateId: 256, fields }] },
      { kind: 'data', templateId: 256, fields, records: [[15, 22, 99, 98]] },
    ]);
    const [r] = new NetflowDecoder().decode(packet, EXPORTER, 0).records;
    expect([r.srcSgt, r.dstSgt]).toEqual([15, 22]);
  });

  it('reads TrustSec tags from configured field types instead', () => {
    const fields: TemplateField[] = [
      { id: 34000, length: 2 },
      { id: 45000, length: 2 },
      { id: 45001, length: 2 },
    ];
    const decoder = new NetflowDecoder({ sourceSgtFields: [{ id: 45000 }], destinationSgtFields: [{ id: 45001 }] });
    const packet = v9([
      { kind: 'template', templates: [{ templateId: 256, fields }] },
      { kind: 'data', templateId: 256, fields, records: [[1, 2, 3]] },
    ]);
    const [r] = decoder.decode(packet, EXPORTER, 0).records;
    expect([r.srcSgt, r.dstSgt]).toEqual([2, 3]);
  });

  it('decodes IPv6 addresses in RFC 5952 form', () => {
    const fields: TemplateField[] = [
      { id: Ie.sourceIPv6Address, length: 16 },
      { id: Ie.destinationIPv6Address, length: 16 },
    ];
    const packet = v9([
      { kind: 'template', templates: [{ templateId: 256, fields }] },
      { kind: 'data', templateId: 256, fields, records: [['2001:db8:0:0:1:0:0:1', 'fe80::0:0:1']] },
    ]);
    const [r] = new NetflowDecoder().decode(packet, EXPORTER, 0).records;
    expect([r.srcAddress, r.dstAddress]).toEqual(['2001:db8::1:0:0:1', 'fe80::1']);
  });

  describe('sampling from options data', () => {
    const SYSTEM_SCOPE: TemplateField[] = [{ id: 1, length: 4 }];
    const counters: TemplateField[] = [
      { id: Ie.packetDeltaCount, length: 4 },
      { id: Ie.octetDeltaCount, length: 4 },
    ];

    it('scales by the interval of an options record scoped to the system (fields 34/35)', () => {
      const decoder = new NetflowDecoder();
      const options: TemplateField[] = [
        { id: Ie.samplingInterval, length: 4 },
        { id: Ie.samplingAlgorithm, length: 1 },
      ];
      const packet = v9([
        { kind: 'optionsTemplate', templates: [{ templateId: 257, scopeFields: SYSTEM_SCOPE, optionFields: options }] },
        { kind: 'data', templateId: 257, fields: [...SYSTEM_SCOPE, ...options], records: [[0, 100, 2]] },
        { kind: 'template', templates: [{ templateId: 256, fields: counters }] },
        { kind: 'data', templateId: 256, fields: counters, records: [[3, 300]] },
      ]);
      const result = decoder.decode(packet, EXPORTER, 0);
      expect(result.optionsRecords).toBe(1);
      expect(result.records.map((r) => [r.packets, r.bytes, r.rawPackets, r.samplingRate])).toEqual([[300, 30_000, 3, 100]]);
    });

    it('uses each sampler table entry (fields 48-50) for records carrying that sampler id', () => {
      const decoder = new NetflowDecoder();
      const options: TemplateField[] = [
        { id: Ie.samplerId, length: 1 },
        { id: Ie.samplerMode, length: 1 },
        { id: Ie.samplerRandomInterval, length: 4 },
      ];
      const withSampler: TemplateField[] = [...counters, { id: Ie.samplerId, length: 1 }];
      const packet = v9([
        { kind: 'optionsTemplate', templates: [{ templateId: 257, scopeFields: SYSTEM_SCOPE, optionFields: options }] },
        {
          kind: 'data',
          templateId: 257,
          fields: [...SYSTEM_SCOPE, ...options],
          records: [
            [0, 1, 2, 10],
            [0, 2, 2, 1000],
          ],
        },
        { kind: 'template', templates: [{ templateId: 256, fields: withSampler }] },
        {
          kind: 'data',
          templateId: 256,
          fields: withSampler,
          records: [
            [1, 50, 1],
            [1, 50, 2],
            [1, 50, 3],
          ],
        },
      ]);
      const result = decoder.decode(packet, EXPORTER, 0);
      expect(result.records.map((r) => r.samplingRate)).toEqual([10, 1000, 1]);
      expect(result.records.map((r) => r.bytes)).toEqual([500, 50_000, 50]);
    });

    it('falls back to the domain-wide rate for a sampler id the exporter never described', () => {
      const decoder = new NetflowDecoder();
      const options: TemplateField[] = [{ id: Ie.samplingInterval, length: 2 }];
      const withSampler: TemplateField[] = [...counters, { id: Ie.samplerId, length: 2 }];
      decoder.decode(
        v9([
          { kind: 'optionsTemplate', templates: [{ templateId: 257, scopeFields: SYSTEM_SCOPE, optionFields: options }] },
          { kind: 'data', templateId: 257, fields: [...SYSTEM_SCOPE, ...options], records: [[0, 512]] },
          { kind: 'template', templates: [{ templateId: 256, fields: withSampler }] },
        ]),
        EXPORTER,
        0,
      );
      const result = decoder.decode(v9([{ kind: 'data', templateId: 256, fields: withSampler, records: [[1, 1, 9]] }]), EXPORTER, 0);
      expect(result.records[0].samplingRate).toBe(512);
    });

    it('uses an interval carried in the data record itself over the options data', () => {
      const decoder = new NetflowDecoder();
      const fields: TemplateField[] = [...counters, { id: Ie.samplingInterval, length: 4 }];
      const packet = v9([
        { kind: 'template', templates: [{ templateId: 256, fields }] },
        { kind: 'data', templateId: 256, fields, records: [[2, 20, 50]] },
      ]);
      expect(decoder.decode(packet, EXPORTER, 0).records[0].packets).toBe(100);
    });
  });

  describe('bounds and malformed input', () => {
    it('rejects a template set with a reserved flowset id as RESERVED_SET_ID and goes on with the next set', () => {
      const decoder = new NetflowDecoder();
      const packet = v9([
        { kind: 'raw', setId: 7, body: new Uint8Array(8) },
        { kind: 'template', templates: [{ templateId: 256, fields: SMALL }] },
        { kind: 'data', templateId: 256, fields: SMALL, records: [['1.1.1.1', '2.2.2.2', 3, 4]] },
      ]);
      const result = decoder.decode(packet, EXPORTER, 0);
      expect(result.errors.map((e) => e.reason)).toEqual([DecodeErrorReason.RESERVED_SET_ID]);
      expect(result.records).toHaveLength(1);
    });

    it('rejects template ids below 256 and templates without fields as MALFORMED_TEMPLATE', () => {
      const decoder = new NetflowDecoder();
      decoder.decode(v9([{ kind: 'template', templates: [{ templateId: 255, fields: SMALL }] }]), EXPORTER, 0);
      decoder.decode(v9([{ kind: 'template', templates: [{ templateId: 300, fields: [] }] }]), EXPORTER, 0);
      expect(errorsOf(decoder)).toEqual({ MALFORMED_TEMPLATE: 2 });
      expect(decoder.stats().templates.active).toBe(0);
    });

    it('rejects a template describing zero-length records as MALFORMED_TEMPLATE', () => {
      const decoder = new NetflowDecoder();
      decoder.decode(v9([{ kind: 'template', templates: [{ templateId: 300, fields: [{ id: 1, length: 0 }] }] }]), EXPORTER, 0);
      expect(errorsOf(decoder)).toEqual({ MALFORMED_TEMPLATE: 1 });
    });

    it('rejects templates over the field or record length caps as TEMPLATE_TOO_LARGE and keeps the next one', () => {
      const decoder = new NetflowDecoder({ maxFieldsPerTemplate: 8, maxTemplateRecordLength: 100 });
      const many = Array.from({ length: 9 }, () => ({ id: Ie.octetDeltaCount, length: 4 }));
      const long = [{ id: 999, length: 101 }];
      decoder.decode(
        v9([
          {
            kind: 'template',
            templates: [
              { templateId: 256, fields: many },
              { templateId: 257, fields: long },
              { templateId: 258, fields: SMALL },
            ],
          },
        ]),
        EXPORTER,
        0,
      );
      expect(errorsOf(decoder)).toEqual({ TEMPLATE_TOO_LARGE: 2 });
      expect(decoder.stats().templates.active).toBe(1);
    });

    it('refuses new templates beyond the per-exporter cap but still accepts redefinitions', () => {
      const decoder = new NetflowDecoder({ maxTemplatesPerExporter: 2 });
      const templates = [256, 257, 258].map((templateId) => ({ templateId, fields: SMALL }));
      decoder.decode(v9([{ kind: 'template', templates }]), EXPORTER, 0);
      expect(errorsOf(decoder)).toEqual({ TOO_MANY_TEMPLATES: 1 });
      const redefined = decoder.decode(v9([{ kind: 'template', templates: [{ templateId: 257, fields: [SMALL[0]] }] }]), EXPORTER, 0);
      expect(redefined.errors).toEqual([]);
      expect(decoder.stats().templates.active).toBe(2);
      // Another exporter has its own allowance.
      expect(decoder.decode(v9([{ kind: 'template', templates }]), '192.0.2.99', 0).errors).toHaveLength(1);
    });

    it('keeps the records of a good flowset in a packet whose next flowset is malformed', () => {
      const decoder = new NetflowDecoder();
      decoder.decode(v9([{ kind: 'template', templates: [{ templateId: 256, fields: SMALL }] }]), EXPORTER, 0);
      const packet = v9([
        { kind: 'data', templateId: 256, fields: SMALL, records: [['1.1.1.1', '2.2.2.2', 3, 4]] },
        { kind: 'raw', setId: 256, body: new Uint8Array(8), length: 200 },
      ]);
      const result = decoder.decode(packet, EXPORTER, 0);
      expect(result.records).toHaveLength(1);
      expect(result.errors.map((e) => e.reason)).toEqual([DecodeErrorReason.MALFORMED_SET]);
    });
  });

  describe('sequence numbers (count export packets)', () => {
    const packet = (sequence: number): Uint8Array =>
      v9([{ kind: 'data', templateId: 256, fields: SMALL, records: [['1.1.1.1', '2.2.2.2', 3, 4], ['1.1.1.1', '2.2.2.2', 3, 4]] }], {
        sequence,
      });
    const decoderWithTemplate = (sequence = 9): NetflowDecoder => {
      const decoder = new NetflowDecoder();
      decoder.decode(v9([{ kind: 'template', templates: [{ templateId: 256, fields: SMALL }] }], { sequence }), EXPORTER, 0);
      return decoder;
    };

    it('estimates lost records from lost packets and the records per packet seen so far', () => {
      const decoder = decoderWithTemplate();
      for (const sequence of [10, 11, 12]) expect(decoder.decode(packet(sequence), EXPORTER, 0).lostRecords).toBe(0);
      // Packets 13 and 14 missing; 8 records in 5 packets (the template-only one included) -> 1.6 per packet.
      expect(decoder.decode(packet(15), EXPORTER, 0).lostRecords).toBe(3);
      const [status] = decoder.exporterStatuses()[0].domains;
      expect(status).toMatchObject({ version: 9, lostSequenceUnits: 2, lostRecords: 3 });
    });

    it('counts no loss when the 32-bit sequence wraps around', () => {
      const decoder = decoderWithTemplate(0xffff_fffd);
      decoder.decode(packet(0xffff_fffe), EXPORTER, 0);
      decoder.decode(packet(0xffff_ffff), EXPORTER, 0);
      expect(decoder.decode(packet(0), EXPORTER, 0).lostRecords).toBe(0);
      expect(decoder.stats().sequence).toMatchObject({ lostRecords: 0 });
    });

    it('treats a big backward jump as an exporter restart, not as loss', () => {
      const decoder = decoderWithTemplate(999_999);
      expect(decoder.decode(packet(1_000_000), EXPORTER, 0).lostRecords).toBe(0);
      expect(decoder.decode(packet(1), EXPORTER, 0).lostRecords).toBe(0);
      expect(decoder.decode(packet(2), EXPORTER, 0).lostRecords).toBe(0);
      expect(decoder.stats().sequence).toMatchObject({ lostRecords: 0, resets: 1 });
    });

    it('takes back the loss a late packet had caused when it arrives', () => {
      const decoder = decoderWithTemplate();
      decoder.decode(packet(10), EXPORTER, 0);
      decoder.decode(packet(12), EXPORTER, 0);
      expect(decoder.decode(packet(11), EXPORTER, 0).lostRecords).toBeLessThan(0);
      expect(decoder.stats().sequence).toMatchObject({ lostRecords: 0, latePackets: 1 });
    });
  });
});
