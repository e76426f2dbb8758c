import {
  buildSflowDatagram,
  sampledFrame,
  sampledHeaderRecord,
  type InterfaceCountersSpec,
  type SampledFrameSpec,
  type SflowDatagramSpec,
  type SflowFlowSampleSpec,
} from '../testing/sflow-builders';
import { ByteWriter, ipv6Bytes } from '../testing/packet-builders';
import { DecodeErrorReason } from './decode-error';
import { SFLOW_V5_RECORD_VERSION } from './flow-record';
import { SflowDecoder } from './sflow-decoder';
import { SFLOW_UNKNOWN_INTERFACE, SflowHeaderProtocol, isSflowDatagram } from './sflow-format';

const RECEIVED_MS = 1_700_000_123_456;
const SOURCE = '203.0.113.9';

function frame(overrides: Partial<SampledFrameSpec> = {}): SampledFrameSpec {
  return {
    srcMac: '00:1b:21:0a:0b:0c',
    dstMac: '3c:fd:fe:01:02:03',
    ipVersion: 4,
    srcAddress: '10.1.2.3',
    dstAddress: '192.168.200.1',
    protocol: 6,
    srcPort: 51515,
    dstPort: 443,
    tcpFlags: 0x18,
    payloadLength: 1_000,
    ...overrides,
  };
}

function flowSample(overrides: Partial<SflowFlowSampleSpec> = {}): SflowFlowSampleSpec {
  return {
    kind: 'flow',
    sequence: 1,
    sourceIdIndex: 7,
    samplingRate: 512,
    samplePool: 5_120,
    drops: 0,
    input: 7,
    output: 12,
    records: [sampledHeaderRecord(sampledFrame(frame()))],
    ...overrides,
  };
}

function datagram(overrides: Partial<SflowDatagramSpec> = {}): Uint8Array {
  return buildSflowDatagram({ agent: '192.0.2.20', subAgentId: 0, sequence: 1, uptimeMs: 60_000, samples: [flowSample()], ...overrides });
}

const COUNTERS: InterfaceCountersSpec = {
  ifIndex: 7,
  ifType: 6,
  ifSpeed: 10_000_000_000,
  ifDirection: 1,
  adminUp: true,
  operUp: false,
  inOctets: 2 ** 40 + 17,
  inUnicastPackets: 4_000_000_000,
  inMulticastPackets: 3,
  inBroadcastPackets: 4,
  inDiscards: 5,
  inErrors: 6,
  inUnknownProtocols: 7,
  outOctets: 2 ** 33,
  outUnicastPackets: 8,
  outMulticastPackets: 9,
  outBroadcastPackets: 10,
  outDiscards: 11,
  outErrors: 12,
  promiscuous: true,
};

describe('sFlow v5', () => {
  it('turns a flow sample with a sampled Ethernet header into one flow scaled by the sampling rate', () => {
    const decoder = new SflowDecoder();
    const bytes = sampledFrame(frame({ vlan: 42 }));
    const result = decoder.decode(datagram({ subAgentId: 3, samples: [flowSample({ records: [sampledHeaderRecord(bytes)] })] }), SOURCE, RECEIVED_MS);
    expect(result.errors).toEqual([]);
    expect(result).toMatchObject({ exporter: '192.0.2.20', subAgentId: 3, sequence: 1, uptimeMs: 60_000, flowSamples: 1 });
    const frameLength = bytes.length + 4;
    expect(result.records).toEqual([
      {
        exporter: '192.0.2.20',
        observationDomain: 3,
        version: SFLOW_V5_RECORD_VERSION,
        templateId: 0,
        srcAddress: '10.1.2.3',
        dstAddress: '192.168.200.1',
        srcPort: 51515,
        dstPort: 443,
        protocol: 6,
        tcpFlags: 0x18,
        bytes: frameLength * 512,
        packets: 512,
        rawBytes: frameLength,
        rawPackets: 1,
        samplingRate: 512,
        startMs: RECEIVED_MS,
        endMs: RECEIVED_MS,
        inputInterface: 7,
        outputInterface: 12,
        srcMac: '00:1b:21:0a:0b:0c',
        dstMac: '3c:fd:fe:01:02:03',
        srcVlan: 42,
        dstVlan: null,
        direction: null,
        srcSgt: null,
        dstSgt: null,
        fromHeldData: false,
      },
    ]);
    // Every record has the same shape as a NetFlow record: the same keys in the same order.
    expect(Object.keys(result.records[0])).toHaveLength(27);
    expect(result.details).toEqual([]);
  });

  it('reads an expanded flow sample from an IPv6 agent: 32-bit source index and interface formats', () => {
    const decoder = new SflowDecoder();
    const packet = datagram({
      agent: '2001:db8::20',
      samples: [
        flowSample({ expanded: true, sourceIdType: 0, sourceIdIndex: 0x0100_0001, input: 0x0100_0001, output: 3, outputFormat: 2, samplingRate: 1 }),
        flowSample({ expanded: true, sourceIdIndex: 9, sequence: 1, input: 9, output: 4, outputFormat: 1 }),
      ],
    });
    const result = decoder.decode(packet, SOURCE, RECEIVED_MS);
    expect(result.errors).toEqual([]);
    expect(result.exporter).toBe('2001:db8::20');
    // Format 2 (several output interfaces) and 1 (discarded) name no single interface.
    expect(result.records.map((r) => [r.inputInterface, r.outputInterface, r.samplingRate])).toEqual([
      [0x0100_0001, 0, 1],
      [9, 0, 512],
    ]);
  });

  it('reports 0 for interfaces a compact sample marks unknown, discarded or multiple', () => {
    const decoder = new SflowDecoder();
    const result = decoder.decode(
      datagram({
        samples: [
          flowSample({ input: SFLOW_UNKNOWN_INTERFACE, output: SFLOW_UNKNOWN_INTERFACE }),
          flowSample({ sequence: 2, input: 5, output: 2, outputFormat: 2 }),
          flowSample({ sequence: 3, input: 5, output: 261, outputFormat: 1 }),
        ],
      }),
      SOURCE,
      RECEIVED_MS,
    );
    expect(result.records.map((r) => [r.inputInterface, r.outputInterface])).toEqual([
      [0, 0],
      [5, 0],
      [5, 0],
    ]);
  });

  it('parses IPv6 with extension headers, ICMP type and code, UDP, and leaves ports of a later fragment at 0', () => {
    const decoder = new SflowDecoder();
    // IPv6 + hop-by-hop options (8 bytes) + TCP
    const ext = new ByteWriter();
    ext.bytes(Uint8Array.from([0x3c, 0xfd, 0xfe, 1, 2, 3, 0x00, 0x1b, 0x21, 0xa, 0xb, 0xc, 0x86, 0xdd]));
    ext.u32(0x6000_0000).u16(8 + 20).u8(0).u8(64).bytes(ipv6Bytes('2001:db8:1::5')).bytes(ipv6Bytes('2001:db8:2::6'));
    ext.u8(6).u8(0).zeros(6);
    ext.u16(40_000).u16(22).u32(1).u32(0).u8(0x50).u8(0x02).u16(1000).u32(0);
    const withExtension = ext.toBytes();
    const fragment = sampledFrame(frame({ protocol: 17, srcPort: 5000, dstPort: 53 }));
    fragment[14 + 6] = 0x00; // clear DF
    fragment[14 + 7] = 0xb9; // fragment offset 185 (x 8 bytes): no UDP header in this fragment
    const result = decoder.decode(
      datagram({
        samples: [
          flowSample({ records: [sampledHeaderRecord(withExtension)] }),
          flowSample({ sequence: 2, records: [sampledHeaderRecord(sampledFrame(frame({ protocol: 1, icmpType: 3, icmpCode: 13 })))] }),
          flowSample({ sequence: 3, records: [sampledHeaderRecord(sampledFrame(frame({ ipVersion: 6, srcAddress: 'fe80::1', dstAddress: 'ff02::1', protocol: 58, icmpType: 135, icmpCode: 0 })))] }),
          flowSample({ sequence: 4, records: [sampledHeaderRecord(sampledFrame(frame({ protocol: 17, srcPort: 5000, dstPort: 53 })))] }),
          flowSample({ sequence: 5, records: [sampledHeaderRecord(fragment)] }),
        ],
      }),
      SOURCE,
      RECEIVED_MS,
    );
    expect(result.errors).toEqual([]);
    expect(result.records.map((r) => [r.srcAddress, r.dstAddress, r.protocol, r.srcPort, r.dstPort, r.tcpFlags])).toEqual([
      ['2001:db8:1::5', '2001:db8:2::6', 6, 40_000, 22, 0x02],
      ['10.1.2.3', '192.168.200.1', 1, 0, (3 << 8) | 13, 0],
      ['fe80::1', 'ff02::1', 58, 0, 135 << 8, 0],
      ['10.1.2.3', '192.168.200.1', 17, 5000, 53, 0],
      ['10.1.2.3', '192.168.200.1', 17, 0, 0, 0],
    ]);
  });

  it('reads what a header cut short reaches and nothing past it', () => {
    const decoder = new SflowDecoder();
    const bytes = sampledFrame(frame());
    const result = decoder.decode(
      datagram({
        samples: [
          flowSample({ records: [sampledHeaderRecord(bytes, 14 + 20 + 2)] }), // IP header and half a source port
          flowSample({ sequence: 2, records: [sampledHeaderRecord(bytes, 10)] }), // not even the MACs
        ],
      }),
      SOURCE,
      RECEIVED_MS,
    );
    expect(result.errors).toEqual([]);
    expect(result.records.map((r) => [r.srcAddress, r.srcPort, r.protocol, r.srcMac, r.rawBytes])).toEqual([
      ['10.1.2.3', 0, 6, '00:1b:21:0a:0b:0c', bytes.length + 4],
      [null, 0, 0, null, bytes.length + 4],
    ]);
  });

  it('reads a raw IPv4 header (header protocol 11) and two stacked VLAN tags (the outer one is the VLAN)', () => {
    const decoder = new SflowDecoder();
    const ip = sampledFrame(frame()).subarray(14);
    const tagged = sampledFrame(frame({ vlan: 100 }));
    const qinq = new Uint8Array(tagged.length + 4);
    qinq.set(tagged.subarray(0, 12), 0);
    qinq.set([0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0xc8], 12); // S-tag 100, C-tag 200
    qinq.set(tagged.subarray(16), 20);
    const result = decoder.decode(
      datagram({
        samples: [
          flowSample({ records: [{ kind: 'header', headerProtocol: SflowHeaderProtocol.IPV4, frameLength: ip.length, header: ip }] }),
          flowSample({ sequence: 2, records: [sampledHeaderRecord(qinq)] }),
        ],
      }),
      SOURCE,
      RECEIVED_MS,
    );
    expect(result.errors).toEqual([]);
    expect(result.records.map((r) => [r.srcAddress, r.dstPort, r.srcMac, r.srcVlan, r.rawBytes])).toEqual([
      ['10.1.2.3', 443, null, null, ip.length],
      ['10.1.2.3', 443, '00:1b:21:0a:0b:0c', 100, qinq.length + 4],
    ]);
  });

  it('takes VLANs from the extended switch record, falling back to the frame tag when its source VLAN is 0', () => {
    const decoder = new SflowDecoder();
    const tagged = sampledHeaderRecord(sampledFrame(frame({ vlan: 42 })));
    const result = decoder.decode(
      datagram({
        samples: [
          flowSample({ records: [tagged, { kind: 'switch', srcVlan: 10, dstVlan: 20 }] }),
          flowSample({ sequence: 2, records: [{ kind: 'switch', srcVlan: 0, dstVlan: 0 }, tagged] }),
          flowSample({ sequence: 3, records: [sampledHeaderRecord(sampledFrame(frame())), { kind: 'switch', srcVlan: 0, dstVlan: 30 }] }),
        ],
      }),
      SOURCE,
      RECEIVED_MS,
    );
    expect(result.records.map((r) => [r.srcVlan, r.dstVlan])).toEqual([
      [10, 20],
      [42, 0],
      [0, 30],
    ]);
  });

  it('returns next hop, masks, pool and drops per sample only when asked (sampleDetails)', () => {
    const records = [
      sampledHeaderRecord(sampledFrame(frame())),
      { kind: 'router' as const, nextHop: '198.51.100.1', srcMaskLength: 24, dstMaskLength: 16 },
    ];
    const packet = datagram({
      samples: [
        flowSample({ records, samplePool: 1_000, drops: 2 }),
        flowSample({ sequence: 2, records: [...records.slice(0, 1), { kind: 'router', nextHop: '2001:db8::1', srcMaskLength: 64, dstMaskLength: 48 }] }),
        flowSample({ sequence: 3, records: [{ kind: 'router', nextHop: null, srcMaskLength: 0, dstMaskLength: 0 }] }),
      ],
    });
    expect(new SflowDecoder().decode(packet, SOURCE, RECEIVED_MS).details).toEqual([]);
    const result = new SflowDecoder({ sampleDetails: true }).decode(packet, SOURCE, RECEIVED_MS);
    expect(result.errors).toEqual([]);
    const frameLength = sampledFrame(frame()).length + 4;
    expect(result.details).toEqual([
      { sampleSequence: 1, sourceIdType: 0, sourceIdIndex: 7, samplePool: 1_000, drops: 2, frameLength, headerProtocol: 1, nextHop: '198.51.100.1', srcMaskLength: 24, dstMaskLength: 16 },
      { sampleSequence: 2, sourceIdType: 0, sourceIdIndex: 7, samplePool: 5_120, drops: 0, frameLength, headerProtocol: 1, nextHop: '2001:db8::1', srcMaskLength: 64, dstMaskLength: 48 },
      { sampleSequence: 3, sourceIdType: 0, sourceIdIndex: 7, samplePool: 5_120, drops: 0, frameLength: 0, headerProtocol: null, nextHop: null, srcMaskLength: 0, dstMaskLength: 0 },
    ]);
    // A sample with no packet record is still a sampled packet: it counts, with no addresses and no bytes.
    expect(result.records[2]).toMatchObject({ srcAddress: null, bytes: 0, packets: 512 });
  });

  it('reads sampled Ethernet and sampled IPv4/IPv6 records; the header outranks them for the frame length', () => {
    const decoder = new SflowDecoder();
    const ethernet = { kind: 'ethernet' as const, length: 1_518, srcMac: '02:00:00:00:00:0a', dstMac: '02:00:00:00:00:0b', etherType: 0x0800 };
    const ipv4 = { kind: 'ipv4' as const, length: 1_500, protocol: 17, src: '10.9.9.9', dst: '10.8.8.8', srcPort: 123, dstPort: 124, tcpFlags: 0 };
    const ipv6 = { kind: 'ipv6' as const, length: 1_280, protocol: 6, src: '2001:db8::a', dst: '2001:db8::b', srcPort: 1, dstPort: 2, tcpFlags: 0x12 };
    const header = sampledHeaderRecord(sampledFrame(frame()));
    const result = decoder.decode(
      datagram({
        samples: [
          flowSample({ samplingRate: 1, records: [ipv4, ethernet] }),
          flowSample({ sequence: 2, samplingRate: 1, records: [ipv6] }),
          flowSample({ sequence: 3, samplingRate: 1, records: [header, ethernet, ipv4] }),
        ],
      }),
      SOURCE,
      RECEIVED_MS,
    );
    expect(result.errors).toEqual([]);
    expect(result.records.map((r) => [r.srcAddress, r.dstAddress, r.srcPort, r.dstPort, r.protocol, r.tcpFlags, r.srcMac, r.bytes])).toEqual([
      ['10.9.9.9', '10.8.8.8', 123, 124, 17, 0, '02:00:00:00:00:0a', 1_518],
      ['2001:db8::a', '2001:db8::b', 1, 2, 6, 0x12, null, 1_280],
      // Later records overwrite what they carry; the frame length stays the header's.
      ['10.9.9.9', '10.8.8.8', 123, 124, 17, 0, '02:00:00:00:00:0a', sampledFrame(frame()).length + 4],
    ]);
  });

  it('skips unknown sample and record types by their length, counting them', () => {
    const decoder = new SflowDecoder();
    const enterprise = (9 << 12) | 1; // enterprise 9, format 1: not the standard flow sample
    const result = decoder.decode(
      datagram({
        samples: [
          { kind: 'raw', format: enterprise, body: new Uint8Array(40).fill(0xff) },
          { kind: 'raw', format: 5, body: new Uint8Array(12) }, // discarded packet notification
          flowSample({
            records: [
              { kind: 'raw', format: 1003, body: new Uint8Array(24).fill(7) }, // extended gateway
              sampledHeaderRecord(sampledFrame(frame())),
              { kind: 'raw', format: (4413 << 12) | 5, body: new Uint8Array(3) }, // odd length: padded to 4
            ],
          }),
          { kind: 'counters', sequence: 1, sourceIdIndex: 7, records: [{ kind: 'raw', format: 2, body: new Uint8Array(52) }, { kind: 'interface', ...COUNTERS }] },
        ],
      }),
      SOURCE,
      RECEIVED_MS,
    );
    expect(result.errors).toEqual([]);
    expect(result).toMatchObject({ unknownSamples: 2, unknownRecords: 3, flowSamples: 1, counterSamples: 1 });
    expect(result.records).toHaveLength(1);
    expect(result.interfaceCounters).toHaveLength(1);
    expect(decoder.stats()).toMatchObject({ samples: { flow: 1, counters: 1, unknown: 2 }, unknownRecords: 3, records: 1, interfaceCounters: 1 });
  });

  it('returns generic interface counters of compact and expanded counter samples, 64-bit counters exact', () => {
    const decoder = new SflowDecoder();
    const result = decoder.decode(
      datagram({
        uptimeMs: 99_000,
        samples: [
          { kind: 'counters', sequence: 41, sourceIdIndex: 7, records: [{ kind: 'interface', ...COUNTERS }] },
          { kind: 'counters', expanded: true, sequence: 5, sourceIdType: 0, sourceIdIndex: 0x0200_0000, records: [{ kind: 'interface', ...COUNTERS, ifIndex: 0x0200_0000, operUp: true }] },
        ],
      }),
      SOURCE,
      RECEIVED_MS,
    );
    expect(result.errors).toEqual([]);
    const { ...expected } = COUNTERS;
    expect(result.interfaceCounters).toEqual([
      { exporter: '192.0.2.20', subAgentId: 0, sourceIdType: 0, sourceIdIndex: 7, sampleSequence: 41, uptimeMs: 99_000, receivedAtMs: RECEIVED_MS, ...expected },
      {
        exporter: '192.0.2.20',
        subAgentId: 0,
        sourceIdType: 0,
        sourceIdIndex: 0x0200_0000,
        sampleSequence: 5,
        uptimeMs: 99_000,
        receivedAtMs: RECEIVED_MS,
        ...expected,
        ifIndex: 0x0200_0000,
        operUp: true,
      },
    ]);
    expect(result.records).toEqual([]);
  });

  describe('sequence numbers', () => {
    it('counts lost datagrams per sub-agent and lost flow samples per data source', () => {
      const decoder = new SflowDecoder();
      const decode = (subAgentId: number, sequence: number, samples: SflowFlowSampleSpec[]) =>
        decoder.decode(datagram({ subAgentId, sequence, samples }), SOURCE, RECEIVED_MS);
      decode(0, 10, [flowSample({ sequence: 100, sourceIdIndex: 1 }), flowSample({ sequence: 500, sourceIdIndex: 2 })]);
      decode(1, 70, [flowSample({ sequence: 1, sourceIdIndex: 1 })]); // another sub-agent: its own numbers
      // Datagrams 11 and 12 lost; source 1 lost 101-103, source 2 lost nothing.
      const result = decode(0, 13, [flowSample({ sequence: 104, sourceIdIndex: 1 }), flowSample({ sequence: 501, sourceIdIndex: 2 })]);
      expect(result).toMatchObject({ lostDatagrams: 2, lostRecords: 3 });
      expect(decode(1, 71, [flowSample({ sequence: 2, sourceIdIndex: 1 })])).toMatchObject({ lostDatagrams: 0, lostRecords: 0 });
      // Datagram 12 arrives late with sample 102: taken back.
      expect(decode(0, 12, [flowSample({ sequence: 102, sourceIdIndex: 1 })])).toMatchObject({ lostDatagrams: -1, lostRecords: -1 });
      expect(decoder.stats().sequence).toEqual({ lostDatagrams: 1, lostRecords: 2, latePackets: 2, resets: 0 });
      const [agent] = decoder.agentStatuses();
      expect(agent).toMatchObject({ exporter: '192.0.2.20', datagrams: 5, records: 7 });
      expect(agent.subAgents).toEqual([
        { subAgentId: 0, samplingRate: 512, sources: 2, lostDatagrams: 1, lostRecords: 2, latePackets: 2, resets: 0, agentDrops: 0, uptimeMs: 60_000 },
        { subAgentId: 1, samplingRate: 512, sources: 1, lostDatagrams: 0, lostRecords: 0, latePackets: 0, resets: 0, agentDrops: 0, uptimeMs: 60_000 },
      ]);
    });

    it('treats a far jump as a restart, wraps at 2^32, and adds up the agent drop counters', () => {
      const decoder = new SflowDecoder();
      decoder.decode(datagram({ sequence: 0xffff_ffff, samples: [flowSample({ sequence: 0xffff_ffff, drops: 10 })] }), SOURCE, RECEIVED_MS);
      expect(decoder.decode(datagram({ sequence: 0, samples: [flowSample({ sequence: 0, drops: 15 })] }), SOURCE, RECEIVED_MS)).toMatchObject({ lostDatagrams: 0, lostRecords: 0 });
      // Far ahead: the agent restarted (its drop counter too), no loss.
      expect(decoder.decode(datagram({ sequence: 1_000_000_000, samples: [flowSample({ sequence: 500_000_000, drops: 1 })] }), SOURCE, RECEIVED_MS)).toMatchObject({ lostDatagrams: 0, lostRecords: 0 });
      decoder.decode(datagram({ sequence: 1_000_000_001, samples: [flowSample({ sequence: 500_000_001, drops: 4 })] }), SOURCE, RECEIVED_MS);
      expect(decoder.agentStatuses()[0].subAgents[0]).toMatchObject({ resets: 2, agentDrops: 5 + 3, lostRecords: 0 });
    });
  });

  describe('exporter identity', () => {
    it('is the agent address, not the datagram source; an unspecified agent address falls back to the source', () => {
      const decoder = new SflowDecoder();
      expect(decoder.decode(datagram({ agent: '192.0.2.99' }), SOURCE, RECEIVED_MS).records[0].exporter).toBe('192.0.2.99');
      expect(decoder.decode(datagram({ agent: '0.0.0.0' }), SOURCE, RECEIVED_MS).records[0].exporter).toBe(SOURCE);
      expect(decoder.decode(datagram({ agent: '::' }), SOURCE, RECEIVED_MS).exporter).toBe(SOURCE);
      expect(decoder.decode(datagram({ agent: '::ffff:192.0.2.5' }), SOURCE, RECEIVED_MS).exporter).toBe('192.0.2.5');
      expect(decoder.agentStatuses().map((a) => a.exporter).sort()).toEqual(['192.0.2.5', '192.0.2.99', SOURCE]);
    });

    it('bounds agents, sub-agents and tracked sources', () => {
      const decoder = new SflowDecoder({ maxAgents: 2, maxSubAgentsPerAgent: 2, maxSourcesPerSubAgent: 1 });
      expect(decoder.decode(datagram({ agent: '192.0.2.1' }), SOURCE, 0).errors).toEqual([]);
      expect(decoder.decode(datagram({ agent: '192.0.2.2' }), SOURCE, 0).errors).toEqual([]);
      expect(decoder.decode(datagram({ agent: '192.0.2.3' }), SOURCE, 0).errors.map((e) => e.reason)).toEqual([DecodeErrorReason.TOO_MANY_EXPORTERS]);
      expect(decoder.decode(datagram({ agent: '192.0.2.1', subAgentId: 1 }), SOURCE, 0).errors).toEqual([]);
      const refused = decoder.decode(datagram({ agent: '192.0.2.1', subAgentId: 2 }), SOURCE, 0);
      expect(refused.errors.map((e) => e.reason)).toEqual([DecodeErrorReason.TOO_MANY_EXPORTERS]);
      expect(refused.records).toEqual([]);
      // A second source is decoded but its sequence is not tracked.
      const untracked = decoder.decode(datagram({ agent: '192.0.2.1', sequence: 2, samples: [flowSample({ sourceIdIndex: 99, sequence: 50 })] }), SOURCE, 0);
      expect(untracked.records).toHaveLength(1);
      expect(decoder.stats()).toMatchObject({ agents: 2, datagrams: { accepted: 4, rejected: 2 } });
      expect(decoder.agentStatuses()[0].subAgents[0].sources).toBe(1);
      expect(decoder.agentStatuses()[0].errors.TOO_MANY_EXPORTERS).toBe(1);
    });
  });

  describe('bad input', () => {
    const reasons = (result: { errors: Array<{ reason: DecodeErrorReason }> }) => result.errors.map((e) => e.reason);

    it('rejects datagrams too short for the header, of another version, or with an unknown agent address type', () => {
      const decoder = new SflowDecoder();
      const good = datagram();
      expect(reasons(decoder.decode(good.subarray(0, 6), SOURCE, 0))).toEqual([DecodeErrorReason.TRUNCATED_HEADER]);
      expect(reasons(decoder.decode(good.subarray(0, 27), SOURCE, 0))).toEqual([DecodeErrorReason.TRUNCATED_HEADER]); // 28 bytes with an IPv4 agent
      const v4 = good.slice();
      v4[3] = 4;
      expect(reasons(decoder.decode(v4, SOURCE, 0))).toEqual([DecodeErrorReason.UNSUPPORTED_VERSION]);
      // A NetFlow v5 packet on the sFlow port: its first 32 bits read as version 0x0005xxxx.
      expect(reasons(decoder.decode(Uint8Array.from([0, 5, 0, 1, ...new Array(44).fill(0)]), SOURCE, 0))).toEqual([DecodeErrorReason.UNSUPPORTED_VERSION]);
      expect(reasons(decoder.decode(datagram({ addressType: 3 }), SOURCE, 0))).toEqual([DecodeErrorReason.BAD_AGENT_ADDRESS]);
      expect(decoder.stats()).toMatchObject({ agents: 0, datagrams: { accepted: 0, rejected: 5 } });
    });

    it('keeps the samples before one whose length runs past the datagram', () => {
      const decoder = new SflowDecoder();
      const result = decoder.decode(
        datagram({ samples: [flowSample(), flowSample({ sequence: 2 }), flowSample({ sequence: 3, length: 100_000 })] }),
        SOURCE,
        0,
      );
      expect(reasons(result)).toEqual([DecodeErrorReason.MALFORMED_SAMPLE]);
      expect(result.records).toHaveLength(2);
    });

    it('drops only the sample that is wrong inside and reads the ones after it', () => {
      const decoder = new SflowDecoder();
      const header = sampledHeaderRecord(sampledFrame(frame()));
      const lying = { ...header, headerLength: 4_000 } as typeof header;
      const result = decoder.decode(
        datagram({
          samples: [
            { kind: 'raw', format: 1, body: new Uint8Array(20) }, // shorter than a flow sample's fixed fields
            flowSample({ sequence: 2, records: [header, { kind: 'raw', format: 1001, body: new Uint8Array(8) }] }), // switch record too short
            flowSample({ sequence: 3, records: [lying] }), // header length past its record
            flowSample({ sequence: 4, records: [header], recordCount: 3 }), // more records announced than present
            flowSample({ sequence: 5, records: [{ kind: 'raw', format: 1, body: new Uint8Array(4), length: 400 }] }), // record past its sample
            { kind: 'counters', sequence: 1, sourceIdIndex: 7, records: [{ kind: 'raw', format: 1, body: new Uint8Array(40) }] }, // short if_counters
            { kind: 'counters', sequence: 2, sourceIdIndex: 7, records: [{ kind: 'interface', ...COUNTERS }], recordCount: 2 },
            { kind: 'raw', format: 2, body: new Uint8Array(8) }, // counters sample too short
            flowSample({ sequence: 6, records: [{ kind: 'router', nextHop: '192.0.2.1', srcMaskLength: 1, dstMaskLength: 2 }, header] }),
          ],
        }),
        SOURCE,
        0,
      );
      expect(reasons(result)).toEqual([
        DecodeErrorReason.MALFORMED_SAMPLE,
        DecodeErrorReason.MALFORMED_RECORD,
        DecodeErrorReason.MALFORMED_RECORD,
        DecodeErrorReason.BAD_RECORD_COUNT,
        DecodeErrorReason.MALFORMED_RECORD,
        DecodeErrorReason.MALFORMED_RECORD,
        DecodeErrorReason.BAD_RECORD_COUNT,
        DecodeErrorReason.MALFORMED_SAMPLE,
      ]);
      expect(result.records).toHaveLength(1);
      expect(result.interfaceCounters).toEqual([]);
      expect(result.records[0].srcAddress).toBe('10.1.2.3');
      // The dropped samples' sequence numbers were read: no loss is invented for them.
      expect(result.lostRecords).toBe(0);
    });

    it('keeps the samples when the count announces more than are there, or less than the bytes hold', () => {
      const decoder = new SflowDecoder();
      const more = decoder.decode(datagram({ samples: [flowSample(), flowSample({ sequence: 2 })], sampleCount: 0xffff_ffff }), SOURCE, 0);
      expect(reasons(more)).toEqual([DecodeErrorReason.BAD_RECORD_COUNT]);
      expect(more.records).toHaveLength(2);
      const fewer = decoder.decode(datagram({ sequence: 2, samples: [flowSample({ sequence: 3 }), flowSample({ sequence: 4 })], sampleCount: 1 }), SOURCE, 0);
      expect(reasons(fewer)).toEqual([DecodeErrorReason.BAD_LENGTH]);
      expect(fewer.records).toHaveLength(1);
      expect(decoder.stats().errors).toMatchObject({ BAD_RECORD_COUNT: 1, BAD_LENGTH: 1 });
      expect(decoder.agentStatuses()[0].errors).toMatchObject({ BAD_RECORD_COUNT: 1, BAD_LENGTH: 1 });
    });

    it('tells sFlow datagrams from NetFlow/IPFIX packets by their first four bytes', () => {
      expect(isSflowDatagram(datagram())).toBe(true);
      expect(isSflowDatagram(Uint8Array.from([0, 5, 0, 1]))).toBe(false); // NetFlow v5
      expect(isSflowDatagram(Uint8Array.from([0, 10, 0, 16]))).toBe(false); // IPFIX
      expect(isSflowDatagram(Uint8Array.from([0, 0, 0, 4]))).toBe(false); // sFlow v4
      expect(isSflowDatagram(Uint8Array.from([0, 0, 0]))).toBe(false);
    });

    it('reads a sampling rate of 0 as 1', () => {
      const result = new SflowDecoder().decode(datagram({ samples: [flowSample({ samplingRate: 0 })] }), SOURCE, 0);
      expect(result.records[0]).toMatchObject({ samplingRate: 1, packets: 1, bytes: result.records[0].rawBytes });
    });
  });
});
