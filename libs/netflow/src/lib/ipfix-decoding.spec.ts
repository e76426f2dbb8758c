import { buildIpfixMessage, type FieldValue, type IpfixSet, type TemplateField } from '../testing/packet-builders';
import { DecodeErrorReason } from './decode-error';
import type { FlowRecord } from './flow-record';
import { Ie, VARIABLE_LENGTH } from './information-element';
import { NetflowDecoder } from './netflow-decoder';

const EXPORT_SECS = 1_700_000_000;
const EXPORT_MS = EXPORT_SECS * 1000;
const EXPORTER = '2001:db8::7';

function ipfix(sets: IpfixSet[], options: { sequence?: number; observationDomain?: number; length?: number } = {}): Uint8Array {
  return buildIpfixMessage({
    exportTimeSecs: EXPORT_SECS,
    sequence: options.sequence ?? 0,
    observationDomain: options.observationDomain ?? 1,
    sets,
    length: options.length,
  });
}

const BASIC: TemplateField[] = [
  { id: Ie.sourceIPv4Address, length: 4 },
  { id: Ie.destinationIPv4Address, length: 4 },
  { id: Ie.octetDeltaCount, length: 8 },
  { id: Ie.packetDeltaCount, length: 8 },
];

/** Decodes one record of `fields` with `values` through a fresh decoder (template and data in one message). */
function decodeOne(fields: TemplateField[], values: FieldValue[], decoder = new NetflowDecoder()): FlowRecord {
  const result = decoder.decode(
    ipfix([
      { kind: 'template', templates: [{ templateId: 300, fields }] },
      { kind: 'data', templateId: 300, fields, records: [values] },
    ]),
    EXPORTER,
    0,
  );
  expect(result.errors).toEqual([]);
  expect(result.records).toHaveLength(1);
  return result.records[0];
}

const NTP_OFFSET_S = 2_208_988_800;

describe('IPFIX', () => {
  it('skips enterprise-specific elements by length, reading their 4-byte enterprise number', () => {
    const fields: TemplateField[] = [
      { id: Ie.sourceIPv4Address, length: 4, enterprise: 9 }, // Cisco's element 8, not sourceIPv4Address
      { id: Ie.sourceIPv4Address, length: 4 },
      { id: 1234, length: 5, enterprise: 2011 },
      { id: Ie.destinationTransportPort, length: 2 },
    ];
    const r = decodeOne(fields, ['9.9.9.9', '10.0.0.1', 0xffffffff, 443]);
    expect([r.srcAddress, r.dstPort]).toEqual(['10.0.0.1', 443]);
  });

  it('reads TrustSec tags from an enterprise element when configured so', () => {
    const decoder = new NetflowDecoder({ sourceSgtFields: [{ id: 34000 }, { id: 1232, enterprise: 9 }], destinationSgtFields: [] });
    const r = decodeOne([{ id: 1232, length: 2, enterprise: 9 }], [77], decoder);
    expect([r.srcSgt, r.dstSgt]).toEqual([77, null]);
  });

  it('decodes variable-length elements with 1-byte and 255 + 2-byte length prefixes', () => {
    const fields: TemplateField[] = [
      { id: 82, length: VARIABLE_LENGTH }, // interfaceName
      { id: Ie.sourceIPv4Address, length: 4 },
      { id: 83, length: VARIABLE_LENGTH }, // interfaceDescription
      { id: Ie.destinationTransportPort, length: 2 },
    ];
    const decoder = new NetflowDecoder();
    const result = decoder.decode(
      ipfix([
        { kind: 'template', templates: [{ templateId: 300, fields }] },
        {
          kind: 'data',
          templateId: 300,
          fields,
          records: [
            ['Gi0/0/1', '10.0.0.1', 'x'.repeat(300), 80],
            ['', '10.0.0.2', '', 443],
            ['y'.repeat(254), '10.0.0.3', 'z'.repeat(255), 22],
          ],
        },
      ]),
      EXPORTER,
      0,
    );
    expect(result.errors).toEqual([]);
    expect(result.records.map((r) => [r.srcAddress, r.dstPort])).toEqual([
      ['10.0.0.1', 80],
      ['10.0.0.2', 443],
      ['10.0.0.3', 22],
    ]);
  });

  it('keeps the records before a variable-length field that overruns its set and reports MALFORMED_RECORD', () => {
    const fields: TemplateField[] = [
      { id: Ie.sourceIPv4Address, length: 4 },
      { id: 82, length: VARIABLE_LENGTH },
    ];
    const decoder = new NetflowDecoder();
    decoder.decode(ipfix([{ kind: 'template', templates: [{ templateId: 300, fields }] }]), EXPORTER, 0);
    // Record 1 is fine; record 2 claims 200 bytes of name with 3 left.
    const body = Uint8Array.from([10, 0, 0, 1, 2, 65, 66, 10, 0, 0, 2, 200, 1, 2, 3]);
    const result = decoder.decode(ipfix([{ kind: 'raw', setId: 300, body }]), EXPORTER, 0);
    expect(result.records.map((r) => r.srcAddress)).toEqual(['10.0.0.1']);
    expect(result.errors.map((e) => e.reason)).toEqual([DecodeErrorReason.MALFORMED_RECORD]);
  });

  it('ignores set padding shorter than a record', () => {
    const decoder = new NetflowDecoder();
    const result = decoder.decode(
      ipfix([
        { kind: 'template', templates: [{ templateId: 300, fields: BASIC }] },
        { kind: 'data', templateId: 300, fields: BASIC, records: [['1.1.1.1', '2.2.2.2', 3, 4]], paddingBytes: 7 },
      ]),
      EXPORTER,
      0,
    );
    expect(result.errors).toEqual([]);
    expect(result.records).toHaveLength(1);
  });

  describe('template withdrawal', () => {
    const data = ipfix([{ kind: 'data', templateId: 300, fields: BASIC, records: [['1.1.1.1', '2.2.2.2', 3, 4]] }]);

    it("drops a template withdrawal's template so later data is held, not decoded", () => {
      const decoder = new NetflowDecoder();
      decoder.decode(ipfix([{ kind: 'template', templates: [{ templateId: 300, fields: BASIC }] }]), EXPORTER, 0);
      expect(decoder.decode(data, EXPORTER, 0).records).toHaveLength(1);
      const withdrawal = decoder.decode(ipfix([{ kind: 'withdrawal', templateIds: [300] }]), EXPORTER, 0);
      expect(withdrawal.templatesChanged).toBe(true);
      const after = decoder.decode(data, EXPORTER, 0);
      expect(after.records).toEqual([]);
      expect(after.heldSets).toBe(1);
      expect(decoder.stats().templates).toMatchObject({ active: 0, withdrawn: 1 });
    });

    it('withdraws all data templates of the domain with template id 2, leaving options templates', () => {
      const decoder = new NetflowDecoder();
      decoder.decode(
        ipfix([
          { kind: 'template', templates: [{ templateId: 300, fields: BASIC }, { templateId: 301, fields: BASIC }] },
          { kind: 'optionsTemplate', templates: [{ templateId: 400, scopeFieldCount: 1, fields: [{ id: Ie.selectorId, length: 4 }, { id: Ie.samplingInterval, length: 4 }] }] },
        ]),
        EXPORTER,
        0,
      );
      decoder.decode(ipfix([{ kind: 'withdrawAll' }]), EXPORTER, 0);
      expect(decoder.exporterStatuses()[0].domains[0]).toMatchObject({ templates: 0, optionsTemplates: 1 });
      decoder.decode(ipfix([{ kind: 'withdrawAll', options: true }]), EXPORTER, 0);
      expect(decoder.exporterStatuses()[0].domains[0]).toMatchObject({ templates: 0, optionsTemplates: 0 });
      expect(decoder.stats().errors.MALFORMED_TEMPLATE).toBe(0);
    });

    it('leaves templates of other observation domains in place', () => {
      const decoder = new NetflowDecoder();
      decoder.decode(ipfix([{ kind: 'template', templates: [{ templateId: 300, fields: BASIC }] }], { observationDomain: 1 }), EXPORTER, 0);
      decoder.decode(ipfix([{ kind: 'template', templates: [{ templateId: 300, fields: BASIC }] }], { observationDomain: 2 }), EXPORTER, 0);
      decoder.decode(ipfix([{ kind: 'withdrawAll' }], { observationDomain: 1 }), EXPORTER, 0);
      expect(decoder.stats().templates.active).toBe(1);
    });
  });

  it('rejects an options template whose scope field count is zero as MALFORMED_TEMPLATE', () => {
    const decoder = new NetflowDecoder();
    const result = decoder.decode(
      ipfix([{ kind: 'optionsTemplate', templates: [{ templateId: 400, scopeFieldCount: 0, fields: [{ id: Ie.samplingInterval, length: 4 }] }] }]),
      EXPORTER,
      0,
    );
    expect(result.errors.map((e) => e.reason)).toEqual([DecodeErrorReason.MALFORMED_TEMPLATE]);
  });

  describe('time encodings', () => {
    it('reads flowStart/EndSeconds (150/151)', () => {
      const r = decodeOne(
        [
          { id: Ie.flowStartSeconds, length: 4 },
          { id: Ie.flowEndSeconds, length: 4 },
        ],
        [EXPORT_SECS - 60, EXPORT_SECS - 1],
      );
      expect([r.startMs, r.endMs]).toEqual([EXPORT_MS - 60_000, EXPORT_MS - 1_000]);
    });

    it('reads flowStart/EndMilliseconds (152/153)', () => {
      const r = decodeOne(
        [
          { id: Ie.flowStartMilliseconds, length: 8 },
          { id: Ie.flowEndMilliseconds, length: 8 },
        ],
        [EXPORT_MS - 1_234, EXPORT_MS - 5],
      );
      expect([r.startMs, r.endMs]).toEqual([EXPORT_MS - 1_234, EXPORT_MS - 5]);
    });

    it('reads flowStart/EndMicroseconds (154/155) in NTP format, seconds since 1900 and a binary fraction', () => {
      const ntp = (ms: number): bigint => {
        const seconds = BigInt(Math.floor(ms / 1000) + NTP_OFFSET_S);
        const fraction = BigInt(Math.round(((ms % 1000) / 1000) * 2 ** 32));
        return (seconds << 32n) | fraction;
      };
      const r = decodeOne(
        [
          { id: Ie.flowStartMicroseconds, length: 8 },
          { id: Ie.flowEndMicroseconds, length: 8 },
        ],
        [ntp(EXPORT_MS - 2_500), ntp(EXPORT_MS - 250)],
      );
      expect([r.startMs, r.endMs]).toEqual([EXPORT_MS - 2_500, EXPORT_MS - 250]);
    });

    it('reads flowStart/EndNanoseconds (156/157) in NTP format', () => {
      // 0.75 s = 0xC0000000 / 2^32.
      const start = (BigInt(EXPORT_SECS - 10 + NTP_OFFSET_S) << 32n) | 0xc000_0000n;
      const end = (BigInt(EXPORT_SECS - 1 + NTP_OFFSET_S) << 32n) | 0n;
      const r = decodeOne(
        [
          { id: Ie.flowStartNanoseconds, length: 8 },
          { id: Ie.flowEndNanoseconds, length: 8 },
        ],
        [start, end],
      );
      expect([r.startMs, r.endMs]).toEqual([EXPORT_MS - 9_250, EXPORT_MS - 1_000]);
    });

    it('adds flowStart/EndSysUpTime (22/21) to a systemInitTimeMilliseconds (160) in the record', () => {
      const init = EXPORT_MS - 86_400_000;
      const r = decodeOne(
        [
          { id: Ie.systemInitTimeMilliseconds, length: 8 },
          { id: Ie.flowStartSysUpTime, length: 4 },
          { id: Ie.flowEndSysUpTime, length: 4 },
        ],
        [init, 86_000_000, 86_390_000],
      );
      expect([r.startMs, r.endMs]).toEqual([init + 86_000_000, init + 86_390_000]);
    });

    it('adds flowStart/EndSysUpTime to a systemInitTimeMilliseconds learned from options data', () => {
      const init = EXPORT_MS - 3_600_000;
      const decoder = new NetflowDecoder();
      const optionFields: TemplateField[] = [
        { id: 144, length: 4 }, // exportingProcessId as scope
        { id: Ie.systemInitTimeMilliseconds, length: 8 },
      ];
      const fields: TemplateField[] = [
        { id: Ie.flowStartSysUpTime, length: 4 },
        { id: Ie.flowEndSysUpTime, length: 4 },
      ];
      const result = decoder.decode(
        ipfix([
          { kind: 'optionsTemplate', templates: [{ templateId: 400, scopeFieldCount: 1, fields: optionFields }] },
          { kind: 'data', templateId: 400, fields: optionFields, records: [[1, init]] },
          { kind: 'template', templates: [{ templateId: 300, fields }] },
          { kind: 'data', templateId: 300, fields, records: [[3_000_000, 3_500_000]] },
        ]),
        EXPORTER,
        0,
      );
      expect(result.records.map((r) => [r.startMs, r.endMs])).toEqual([[init + 3_000_000, init + 3_500_000]]);
    });

    it('ends a sysUpTime flow at export time, keeping its duration, when no system init time is known', () => {
      const r = decodeOne(
        [
          { id: Ie.flowStartSysUpTime, length: 4 },
          { id: Ie.flowEndSysUpTime, length: 4 },
        ],
        [1_000_000, 1_045_000],
      );
      expect([r.startMs, r.endMs]).toEqual([EXPORT_MS - 45_000, EXPORT_MS]);
    });

    it('subtracts flowStart/EndDeltaMicroseconds (158/159) from the export time', () => {
      const r = decodeOne(
        [
          { id: Ie.flowStartDeltaMicroseconds, length: 4 },
          { id: Ie.flowEndDeltaMicroseconds, length: 4 },
        ],
        [20_000_000, 1_500_000],
      );
      expect([r.startMs, r.endMs]).toEqual([EXPORT_MS - 20_000, EXPORT_MS - 1_500]);
    });

    it('derives the end from flowDurationMilliseconds (161) when only the start is exported', () => {
      const r = decodeOne(
        [
          { id: Ie.flowStartMilliseconds, length: 8 },
          { id: Ie.flowDurationMilliseconds, length: 4 },
        ],
        [EXPORT_MS - 10_000, 4_000],
      );
      expect([r.startMs, r.endMs]).toEqual([EXPORT_MS - 10_000, EXPORT_MS - 6_000]);
    });

    it('prefers milliseconds over seconds when a template carries both', () => {
      const r = decodeOne(
        [
          { id: Ie.flowStartSeconds, length: 4 },
          { id: Ie.flowStartMilliseconds, length: 8 },
          { id: Ie.flowEndMilliseconds, length: 8 },
        ],
        [1, EXPORT_MS - 777, EXPORT_MS - 7],
      );
      expect([r.startMs, r.endMs]).toEqual([EXPORT_MS - 777, EXPORT_MS - 7]);
    });

    it('uses the export time when a record carries no time at all', () => {
      const r = decodeOne(BASIC, ['1.1.1.1', '2.2.2.2', 1, 1]);
      expect([r.startMs, r.endMs]).toEqual([EXPORT_MS, EXPORT_MS]);
    });

    it('shifts a flow that would end after its own export time back to end at export time', () => {
      const r = decodeOne(
        [
          { id: Ie.flowStartMilliseconds, length: 8 },
          { id: Ie.flowEndMilliseconds, length: 8 },
        ],
        [EXPORT_MS + 86_400_000, EXPORT_MS + 86_460_000],
      );
      expect([r.startMs, r.endMs]).toEqual([EXPORT_MS - 60_000, EXPORT_MS]);
    });
  });

  describe('sampling from options data', () => {
    const counters: TemplateField[] = [
      { id: Ie.packetDeltaCount, length: 4 },
      { id: Ie.octetDeltaCount, length: 4 },
      { id: Ie.selectorId, length: 4 },
    ];

    function rateFor(optionFields: TemplateField[], values: FieldValue[], selector = 1): number {
      const decoder = new NetflowDecoder();
      const result = decoder.decode(
        ipfix([
          { kind: 'optionsTemplate', templates: [{ templateId: 400, scopeFieldCount: 1, fields: optionFields }] },
          { kind: 'data', templateId: 400, fields: optionFields, records: [values] },
          { kind: 'template', templates: [{ templateId: 300, fields: counters }] },
          { kind: 'data', templateId: 300, fields: counters, records: [[2, 100, selector]] },
        ]),
        EXPORTER,
        0,
      );
      expect(result.errors).toEqual([]);
      const [r] = result.records;
      expect([r.packets, r.bytes]).toEqual([2 * r.samplingRate, 100 * r.samplingRate]);
      return r.samplingRate;
    }
    const selector = { id: Ie.selectorId, length: 4 };

    it('takes samplingPopulation / samplingSize (309/310) for random n-out-of-N selection', () => {
      const fields = [selector, { id: Ie.samplingPacketInterval, length: 4 }, { id: Ie.selectorAlgorithm, length: 2 }, { id: Ie.samplingSize, length: 4 }, { id: Ie.samplingPopulation, length: 4 }];
      expect(rateFor(fields, [1, 1, 3, 1, 256])).toBe(256);
    });

    it('takes (samplingPacketInterval + samplingPacketSpace) / interval (305/306) for systematic selection', () => {
      const fields = [selector, { id: Ie.samplingPacketInterval, length: 4 }, { id: Ie.samplingPacketSpace, length: 4 }];
      expect(rateFor(fields, [1, 1, 99])).toBe(100);
    });

    it('takes 1 / samplingProbability (311)', () => {
      const probability = new Uint8Array(8);
      new DataView(probability.buffer).setFloat64(0, 0.001);
      const fields = [selector, { id: Ie.samplingProbability, length: 8 }];
      expect(rateFor(fields, [1, probability])).toBeCloseTo(1000, 6);
    });

    it('takes samplingInterval (34) and samplerRandomInterval (50)', () => {
      expect(rateFor([selector, { id: Ie.samplingInterval, length: 4 }], [1, 32])).toBe(32);
      expect(rateFor([selector, { id: Ie.samplerRandomInterval, length: 4 }], [1, 64])).toBe(64);
    });

    it('does not apply a selector rate to records of another selector', () => {
      expect(rateFor([selector, { id: Ie.samplingInterval, length: 4 }], [1, 32], 2)).toBe(1);
    });

    it('applies a rate announced without a selector to every record of the domain', () => {
      const decoder = new NetflowDecoder();
      const optionFields: TemplateField[] = [{ id: 144, length: 4 }, { id: Ie.samplingInterval, length: 4 }];
      const result = decoder.decode(
        ipfix([
          { kind: 'optionsTemplate', templates: [{ templateId: 400, scopeFieldCount: 1, fields: optionFields }] },
          { kind: 'data', templateId: 400, fields: optionFields, records: [[9, 10]] },
          { kind: 'template', templates: [{ templateId: 300, fields: BASIC }] },
          { kind: 'data', templateId: 300, fields: BASIC, records: [['1.1.1.1', '2.2.2.2', 5, 1]] },
        ]),
        EXPORTER,
        0,
      );
      expect(result.records.map((r) => [r.samplingRate, r.bytes])).toEqual([[10, 50]]);
    });
  });

  describe('addresses', () => {
    it('uses the later of IPv4 and IPv6 addresses in one template unless it is all zeros', () => {
      const fields: TemplateField[] = [
        { id: Ie.sourceIPv6Address, length: 16 },
        { id: Ie.destinationIPv6Address, length: 16 },
        { id: Ie.sourceIPv4Address, length: 4 },
        { id: Ie.destinationIPv4Address, length: 4 },
      ];
      const inner = decodeOne(fields, ['2001:db8::1', '2001:db8::2', '192.0.2.1', '192.0.2.2']);
      expect([inner.srcAddress, inner.dstAddress]).toEqual(['192.0.2.1', '192.0.2.2']);
      const v6only = decodeOne(fields, ['2001:db8::1', '2001:db8::2', '0.0.0.0', '0.0.0.0']);
      expect([v6only.srcAddress, v6only.dstAddress]).toEqual(['2001:db8::1', '2001:db8::2']);
    });

    it('leaves addresses null when the template has none', () => {
      const r = decodeOne([{ id: Ie.octetDeltaCount, length: 8 }], [1]);
      expect([r.srcAddress, r.dstAddress]).toEqual([null, null]);
    });
  });

  it('reads counters sent in fewer bytes than their type (reduced-size encoding, RFC 7011 6.2)', () => {
    const fields: TemplateField[] = [
      { id: Ie.octetDeltaCount, length: 3 },
      { id: Ie.packetDeltaCount, length: 2 },
      { id: Ie.ingressInterface, length: 1 },
      { id: Ie.egressInterface, length: 6 },
    ];
    const r = decodeOne(fields, [0xabcdef, 0x1234, 0xfe, 2 ** 40 + 5]);
    expect([r.bytes, r.packets, r.inputInterface, r.outputInterface]).toEqual([0xabcdef, 0x1234, 0xfe, 2 ** 40 + 5]);
  });

  it('reads 64-bit counters exactly up to 2^53', () => {
    const r = decodeOne(BASIC, ['1.1.1.1', '2.2.2.2', BigInt(Number.MAX_SAFE_INTEGER), 2n ** 32n + 1n]);
    expect([r.bytes, r.packets]).toEqual([Number.MAX_SAFE_INTEGER, 2 ** 32 + 1]);
  });

  describe('message framing', () => {
    const template: IpfixSet = { kind: 'template', templates: [{ templateId: 300, fields: BASIC }] };
    const data: IpfixSet = { kind: 'data', templateId: 300, fields: BASIC, records: [['1.1.1.1', '2.2.2.2', 3, 4]] };

    it('decodes the complete sets of a message longer than its datagram and reports BAD_LENGTH', () => {
      const message = ipfix([template, data, data]);
      const truncated = message.subarray(0, message.length - 10);
      const result = new NetflowDecoder().decode(truncated, EXPORTER, 0);
      expect(result.records).toHaveLength(1);
      expect(result.errors.map((e) => e.reason)).toEqual([DecodeErrorReason.BAD_LENGTH, DecodeErrorReason.MALFORMED_SET]);
    });

    it('rejects a message length below the 16-byte header as BAD_LENGTH', () => {
      const result = new NetflowDecoder().decode(ipfix([template, data], { length: 15 }), EXPORTER, 0);
      expect(result.records).toEqual([]);
      expect(result.errors.map((e) => e.reason)).toEqual([DecodeErrorReason.BAD_LENGTH]);
    });

    it('ignores datagram bytes after the message length', () => {
      const message = ipfix([template, data]);
      const padded = new Uint8Array(message.length + 9);
      padded.set(message);
      padded.fill(0xee, message.length);
      const result = new NetflowDecoder().decode(padded, EXPORTER, 0);
      expect(result.errors).toEqual([]);
      expect(result.records).toHaveLength(1);
    });

    it('rejects a set shorter than its own header as MALFORMED_SET, keeping earlier sets', () => {
      const result = new NetflowDecoder().decode(ipfix([template, data, { kind: 'raw', setId: 300, body: new Uint8Array(4), length: 3 }]), EXPORTER, 0);
      expect(result.records).toHaveLength(1);
      expect(result.errors.map((e) => e.reason)).toEqual([DecodeErrorReason.MALFORMED_SET]);
    });

    it('rejects set ids 0, 1 and 4-255 as RESERVED_SET_ID', () => {
      const result = new NetflowDecoder().decode(
        ipfix([0, 1, 4, 255].map((setId) => ({ kind: 'raw' as const, setId, body: new Uint8Array(4) }))),
        EXPORTER,
        0,
      );
      expect(result.errors.map((e) => e.reason)).toEqual(new Array(4).fill(DecodeErrorReason.RESERVED_SET_ID));
    });
  });

  describe('sequence numbers (count data records)', () => {
    const fields = BASIC;
    const message = (sequence: number, records: number): Uint8Array =>
      ipfix([{ kind: 'data', templateId: 300, fields, records: Array.from({ length: records }, () => ['1.1.1.1', '2.2.2.2', 1, 1]) }], {
        sequence,
      });

    it('counts the records between the expected and the received sequence number as lost', () => {
      const decoder = new NetflowDecoder();
      decoder.decode(ipfix([{ kind: 'template', templates: [{ templateId: 300, fields }] }], { sequence: 0 }), EXPORTER, 0);
      expect(decoder.decode(message(0, 10), EXPORTER, 0).lostRecords).toBe(0);
      expect(decoder.decode(message(10, 5), EXPORTER, 0).lostRecords).toBe(0);
      expect(decoder.decode(message(22, 5), EXPORTER, 0).lostRecords).toBe(7);
      expect(decoder.exporterStatuses()[0].domains[0]).toMatchObject({ version: 10, lostRecords: 7 });
    });

    it('does not count template records, which the sequence number does not cover', () => {
      const decoder = new NetflowDecoder();
      decoder.decode(ipfix([{ kind: 'template', templates: [{ templateId: 300, fields }] }], { sequence: 0 }), EXPORTER, 0);
      decoder.decode(ipfix([{ kind: 'template', templates: [{ templateId: 300, fields }] }], { sequence: 0 }), EXPORTER, 0);
      expect(decoder.decode(message(0, 3), EXPORTER, 0).lostRecords).toBe(0);
      expect(decoder.decode(message(3, 3), EXPORTER, 0).lostRecords).toBe(0);
    });

    it('resynchronises instead of guessing after a message whose records could not be counted', () => {
      const decoder = new NetflowDecoder();
      decoder.decode(message(0, 4), EXPORTER, 0); // no template yet: held, count unknown
      decoder.decode(ipfix([{ kind: 'template', templates: [{ templateId: 300, fields }] }], { sequence: 4 }), EXPORTER, 0);
      expect(decoder.decode(message(4, 2), EXPORTER, 0).lostRecords).toBe(0);
      expect(decoder.stats().sequence.lostRecords).toBe(0);
    });

    it('keeps sequence accounting separate per observation domain', () => {
      const decoder = new NetflowDecoder();
      for (const observationDomain of [1, 2]) {
        decoder.decode(ipfix([{ kind: 'template', templates: [{ templateId: 300, fields }] }], { observationDomain }), EXPORTER, 0);
      }
      const inDomain = (domain: number, sequence: number): Uint8Array =>
        ipfix([{ kind: 'data', templateId: 300, fields, records: [['1.1.1.1', '2.2.2.2', 1, 1]] }], { sequence, observationDomain: domain });
      decoder.decode(inDomain(1, 100), EXPORTER, 0);
      decoder.decode(inDomain(2, 5_000), EXPORTER, 0);
      expect(decoder.decode(inDomain(1, 101), EXPORTER, 0).lostRecords).toBe(0);
      expect(decoder.decode(inDomain(2, 5_003), EXPORTER, 0).lostRecords).toBe(2);
    });
  });
});
