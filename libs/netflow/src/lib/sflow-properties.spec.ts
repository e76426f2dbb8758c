// sFlow properties (fast-check): random, truncated, mutated and lying datagrams (lengths that point past the end,
// counts larger than the data) never make `decode` throw, fault or spin, every rejection is reported and counted once,
// good samples before a bad one are kept; and a round trip through the test encoder (written from the sFlow v5
// structures, independently of the decoder) gives back every field.
import fc from 'fast-check';
import { ipv4Bytes, ipv6Bytes } from '../testing/packet-builders';
import {
  buildSflowDatagram,
  sampledFrame,
  sampledHeaderRecord,
  type InterfaceCountersSpec,
  type SampledFrameSpec,
  type SflowDatagramSpec,
  type SflowFlowRecordSpec,
  type SflowFlowSampleSpec,
  type SflowSampleSpec,
} from '../testing/sflow-builders';
import { DECODE_ERROR_REASONS, DecodeErrorReason } from './decode-error';
import { SflowDecoder } from './sflow-decoder';
import type { SflowDecodeResult } from './sflow-result';

const SOURCE = '198.51.100.7';

/** Decodes and checks what must hold for any input; the checks are gathered into one assertion (runs thousands of times). */
function decodeChecked(decoder: SflowDecoder, datagram: Uint8Array, receivedAtMs = 0): SflowDecodeResult {
  const before = decoder.stats();
  let result: SflowDecodeResult;
  const started = performance.now();
  try {
    result = decoder.decode(datagram, SOURCE, receivedAtMs);
  } catch (err) {
    throw new Error(`decode threw: ${String(err)}`);
  }
  const elapsedMs = performance.now() - started;
  const after = decoder.stats();
  const problems: string[] = [];
  const datagramsOf = (s: typeof after): number => s.datagrams.accepted + s.datagrams.rejected;
  if (datagramsOf(after) - datagramsOf(before) !== 1) problems.push('datagram not counted exactly once');
  for (const reason of DECODE_ERROR_REASONS) {
    let reported = 0;
    for (const e of result.errors) if (e.reason === reason) reported++;
    if (after.errors[reason] - before.errors[reason] !== reported) problems.push(`${reason}: counted ${after.errors[reason] - before.errors[reason]}, reported ${reported}`);
  }
  if (after.errors.DECODER_FAULT !== 0) problems.push(`decoder fault: ${result.errors.map((e) => e.detail).join('; ')}`);
  if (after.records - before.records !== result.records.length) problems.push('records not counted');
  // A flow per flow sample at most; every sample takes at least 8 bytes, so a lying count cannot produce more.
  if (result.records.length > result.flowSamples || result.flowSamples + result.counterSamples + result.unknownSamples > datagram.length / 8) {
    problems.push('more samples than the datagram can hold');
  }
  for (const r of result.records) {
    if (![r.bytes, r.packets, r.rawBytes, r.samplingRate].every(Number.isFinite) || r.samplingRate < 1) problems.push(`bad numbers in ${JSON.stringify(r)}`);
  }
  // Nothing here is quadratic: a 64 KiB datagram of lies decodes in well under this.
  if (elapsedMs > 250) problems.push(`decode took ${Math.round(elapsedMs)} ms`);
  if (problems.length > 0) expect(problems).toEqual([]);
  return result;
}

const COUNTERS: InterfaceCountersSpec = {
  ifIndex: 3,
  ifType: 6,
  ifSpeed: 1_000_000_000,
  ifDirection: 1,
  adminUp: true,
  operUp: true,
  inOctets: 123_456_789_012,
  inUnicastPackets: 1,
  inMulticastPackets: 2,
  inBroadcastPackets: 3,
  inDiscards: 4,
  inErrors: 5,
  inUnknownProtocols: 6,
  outOctets: 7,
  outUnicastPackets: 8,
  outMulticastPackets: 9,
  outBroadcastPackets: 10,
  outDiscards: 11,
  outErrors: 12,
  promiscuous: false,
};

function corpusFrame(i: number, overrides: Partial<SampledFrameSpec> = {}): Uint8Array {
  return sampledFrame({
    srcMac: '00:1b:21:00:00:01',
    dstMac: '3c:fd:fe:00:00:02',
    vlan: i % 2 === 0 ? 10 + i : undefined,
    ipVersion: i % 3 === 0 ? 6 : 4,
    srcAddress: i % 3 === 0 ? `2001:db8::${i + 1}` : `10.0.0.${i + 1}`,
    dstAddress: i % 3 === 0 ? '2001:db8::ff' : '192.0.2.1',
    protocol: i % 3 === 0 ? 58 : i % 3 === 1 ? 6 : 17,
    srcPort: 40_000 + i,
    dstPort: 443,
    tcpFlags: 0x12,
    payloadLength: 100 * i,
    ...overrides,
  });
}

/** One valid datagram of each shape, as the mutations start from. */
function validCorpus(): Uint8Array[] {
  const flow = (i: number, expanded: boolean, extra: SflowFlowRecordSpec[] = []): SflowFlowSampleSpec => ({
    kind: 'flow',
    expanded,
    sequence: i + 1,
    sourceIdIndex: 4,
    samplingRate: 100,
    samplePool: 1_000 * (i + 1),
    drops: 0,
    input: 4,
    output: 9,
    records: [sampledHeaderRecord(corpusFrame(i)), ...extra],
  });
  return [
    buildSflowDatagram({
      agent: '192.0.2.1',
      subAgentId: 0,
      sequence: 1,
      uptimeMs: 1_000,
      samples: [
        flow(0, false, [{ kind: 'switch', srcVlan: 10, dstVlan: 20 }]),
        flow(1, false, [{ kind: 'router', nextHop: '192.0.2.254', srcMaskLength: 24, dstMaskLength: 8 }]),
        { kind: 'counters', sequence: 1, sourceIdIndex: 4, records: [{ kind: 'interface', ...COUNTERS }] },
        flow(2, false),
      ],
    }),
    buildSflowDatagram({
      agent: '2001:db8::1',
      subAgentId: 2,
      sequence: 1,
      uptimeMs: 1_000,
      samples: [
        flow(3, true, [{ kind: 'router', nextHop: '2001:db8::fe', srcMaskLength: 64, dstMaskLength: 48 }]),
        { kind: 'counters', expanded: true, sequence: 1, sourceIdIndex: 4, records: [{ kind: 'interface', ...COUNTERS }, { kind: 'raw', format: 2, body: new Uint8Array(52) }] },
        { kind: 'raw', format: (9 << 12) | 1, body: new Uint8Array(16).fill(1) },
        flow(4, true, [{ kind: 'ipv4', length: 100, protocol: 17, src: '10.1.1.1', dst: '10.2.2.2', srcPort: 1, dstPort: 2, tcpFlags: 0 }]),
      ],
    }),
  ];
}

const CORPUS = validCorpus();

/** Offsets of the samples of a datagram as written (IPv4 or IPv6 agent), with the record offsets of each. */
function layout(datagram: Uint8Array): Array<{ at: number; records: number[] }> {
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  let p = view.getUint32(4) === 1 ? 28 : 40;
  const samples: Array<{ at: number; records: number[] }> = [];
  while (p + 8 <= datagram.length) {
    const format = view.getUint32(p);
    const length = view.getUint32(p + 4);
    const records: number[] = [];
    const fixed = { 1: 32, 2: 12, 3: 44, 4: 16 }[format];
    if (fixed !== undefined) {
      let q = p + 8 + fixed;
      while (q + 8 <= p + 8 + length) {
        records.push(q);
        q += 8 + view.getUint32(q + 4);
      }
    }
    samples.push({ at: p, records });
    p += 8 + length;
  }
  return samples;
}

describe('sFlow properties', () => {
  it('decodes the valid corpus without errors (the baseline the mutations start from)', () => {
    const decoder = new SflowDecoder();
    const results = CORPUS.map((d) => decodeChecked(decoder, d));
    expect(results.flatMap((r) => r.errors)).toEqual([]);
    expect(results.map((r) => [r.records.length, r.interfaceCounters.length, r.unknownSamples, r.unknownRecords])).toEqual([
      [3, 1, 0, 0],
      [2, 1, 1, 1],
    ]);
  });

  it('never throws and counts every rejection for random bytes, bare or behind a valid header start', () => {
    const decoder = new SflowDecoder();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_000 }), fc.constantFrom(0, 1, 2), (body, prefix) => {
        if (prefix === 0) {
          decodeChecked(decoder, body);
          return;
        }
        // Version 5 and an IPv4 or IPv6 agent address type, so the sample walker is reached most of the time.
        const datagram = new Uint8Array(8 + body.length);
        datagram[3] = 5;
        datagram[7] = prefix;
        datagram.set(body, 8);
        decodeChecked(decoder, datagram);
      }),
      { numRuns: 3_000 },
    );
  });

  it('never throws for every truncation of every valid datagram, and keeps every sample that fits', () => {
    for (const datagram of CORPUS) {
      const decoder = new SflowDecoder();
      const whole = new SflowDecoder().decode(datagram, SOURCE, 0);
      const ends = layout(datagram).map((s, i, all) => (i + 1 < all.length ? all[i + 1].at : datagram.length));
      for (let length = 0; length <= datagram.length; length++) {
        const result = decodeChecked(decoder, datagram.subarray(0, length));
        const complete = ends.filter((end) => end <= length).length;
        expect(result.records).toEqual(whole.records.slice(0, flowsBefore(datagram, complete)));
      }
    }
  });

  it('never throws and stays bounded for mutated valid datagrams fed to one decoder in sequence', () => {
    const decoder = new SflowDecoder({ maxAgents: 8, maxSubAgentsPerAgent: 4, maxSourcesPerSubAgent: 16 });
    fc.assert(
      fc.property(
        fc.constantFrom(...CORPUS.keys()),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }),
        (index, mutations) => {
          const datagram = CORPUS[index].slice();
          for (const [at, value] of mutations) datagram[at % datagram.length] = value;
          decodeChecked(decoder, datagram);
          const stats = decoder.stats();
          expect(stats.agents).toBeLessThanOrEqual(8);
          for (const agent of decoder.agentStatuses()) {
            expect(agent.subAgents.length).toBeLessThanOrEqual(4);
            for (const sub of agent.subAgents) expect(sub.sources).toBeLessThanOrEqual(16);
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('never throws or spins for lying sample and record lengths, and keeps the samples before the first lie', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CORPUS.keys()),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.oneof(fc.constant(0xffff_ffff), fc.constant(0x8000_0000), fc.integer({ min: 0, max: 0xffff }), fc.nat())), {
          minLength: 1,
          maxLength: 6,
        }),
        (index, lies) => {
          const datagram = CORPUS[index].slice();
          const view = new DataView(datagram.buffer);
          const samples = layout(datagram);
          let firstLiedSample = samples.length;
          for (const [sample, record, lie] of lies) {
            const s = samples[sample % samples.length];
            // Either the sample's length or one of its records' lengths.
            const at = s.records.length > 0 && record % 2 === 1 ? s.records[record % s.records.length] : s.at;
            if (view.getUint32(at + 4) !== lie >>> 0) firstLiedSample = Math.min(firstLiedSample, samples.indexOf(s));
            view.setUint32(at + 4, lie >>> 0);
          }
          const result = decodeChecked(new SflowDecoder(), datagram);
          const whole = new SflowDecoder().decode(CORPUS[index], SOURCE, 0);
          const kept = flowsBefore(CORPUS[index], firstLiedSample);
          expect(result.records.slice(0, kept)).toEqual(whole.records.slice(0, kept));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('never throws or spins for lying counts: samples per datagram and records per sample up to 2^32 - 1', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CORPUS.keys()),
        fc.oneof(fc.constant(0xffff_ffff), fc.integer({ min: 0, max: 64 }), fc.nat()),
        fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constant(0xffff_ffff), fc.integer({ min: 0, max: 64 }), fc.nat())), { maxLength: 4 }),
        (index, sampleCount, recordCounts) => {
          const datagram = CORPUS[index].slice();
          const view = new DataView(datagram.buffer);
          const tail = view.getUint32(4) === 1 ? 12 : 24;
          view.setUint32(tail + 12, sampleCount >>> 0);
          const samples = layout(CORPUS[index]);
          for (const [sample, count] of recordCounts) {
            const s = samples[sample % samples.length];
            const format = view.getUint32(s.at);
            const countAt = { 1: 28, 2: 8, 3: 40, 4: 12 }[format];
            if (countAt !== undefined) view.setUint32(s.at + 8 + countAt, count >>> 0);
          }
          const result = decodeChecked(new SflowDecoder(), datagram);
          if (sampleCount > samples.length) expect(result.errors.map((e) => e.reason)).toContain(DecodeErrorReason.BAD_RECORD_COUNT);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('keeps the good samples of a datagram whose later sample is malformed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.oneof(
          fc.record({ kind: fc.constant('raw' as const), format: fc.constantFrom(1, 2, 3, 4), body: fc.uint8Array({ maxLength: 60 }), length: fc.option(fc.nat(), { nil: undefined }) }),
          fc.record({ kind: fc.constant('past-end' as const), length: fc.integer({ min: 1_000, max: 0xffff_ffff }) }),
        ),
        (good, bad) => {
          const samples: SflowSampleSpec[] = Array.from({ length: good }, (_, i) => ({
            kind: 'flow',
            sequence: i,
            sourceIdIndex: 1,
            samplingRate: 10,
            samplePool: 10 * i,
            drops: 0,
            input: 1,
            output: 2,
            records: [sampledHeaderRecord(corpusFrame(i))],
          }));
          const badSample: SflowSampleSpec = bad.kind === 'raw' ? bad : { kind: 'raw', format: 1, body: new Uint8Array(40), length: bad.length };
          const decoder = new SflowDecoder();
          const result = decodeChecked(decoder, buildSflowDatagram({ agent: '192.0.2.1', subAgentId: 0, sequence: 1, uptimeMs: 0, samples: [...samples, badSample] }));
          const expected = new SflowDecoder().decode(buildSflowDatagram({ agent: '192.0.2.1', subAgentId: 0, sequence: 1, uptimeMs: 0, samples }), SOURCE, 0);
          expect(result.records.slice(0, good)).toEqual(expected.records);
        },
      ),
      { numRuns: 500 },
    );
  });

  describe('round trip', () => {
    const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':'));
    const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
    const ipv6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));

    interface GeneratedSample {
      sample: SflowFlowSampleSpec;
      frame: SampledFrameSpec;
      switchVlans: { srcVlan: number; dstVlan: number } | null;
      router: { nextHop: string | null; srcMaskLength: number; dstMaskLength: number } | null;
      frameLength: number;
    }

    const generatedSample: fc.Arbitrary<GeneratedSample> = fc
      .record({
        expanded: fc.boolean(),
        sourceIdIndex: fc.integer({ min: 0, max: 0xffffff }),
        samplingRate: fc.integer({ min: 1, max: 1_000_000 }),
        samplePool: fc.nat(),
        drops: fc.nat(),
        input: fc.integer({ min: 0, max: 0x3ffffffe }),
        output: fc.integer({ min: 0, max: 0x3ffffffe }),
        ipVersion: fc.constantFrom(4 as const, 6 as const),
        v4: fc.tuple(ipv4, ipv4),
        v6: fc.tuple(ipv6, ipv6),
        protocol: fc.constantFrom(6, 17, 1, 47),
        srcPort: fc.integer({ min: 0, max: 0xffff }),
        dstPort: fc.integer({ min: 0, max: 0xffff }),
        tcpFlags: fc.integer({ min: 0, max: 255 }),
        icmpType: fc.nat(255),
        icmpCode: fc.nat(255),
        srcMac: mac,
        dstMac: mac,
        vlan: fc.option(fc.integer({ min: 1, max: 4095 }), { nil: undefined }),
        payloadLength: fc.integer({ min: 0, max: 1_400 }),
        switchVlans: fc.option(fc.record({ srcVlan: fc.integer({ min: 1, max: 4095 }), dstVlan: fc.integer({ min: 0, max: 4095 }) }), { nil: null }),
        router: fc.option(
          fc.record({ nextHop: fc.oneof(ipv4, ipv6, fc.constant(null)), srcMaskLength: fc.nat(128), dstMaskLength: fc.nat(128) }),
          { nil: null },
        ),
      })
      .map((g) => {
        const protocol = g.protocol === 1 && g.ipVersion === 6 ? 58 : g.protocol;
        const [srcAddress, dstAddress] = g.ipVersion === 4 ? g.v4 : g.v6;
        const frame: SampledFrameSpec = {
          srcMac: g.srcMac,
          dstMac: g.dstMac,
          vlan: g.vlan,
          ipVersion: g.ipVersion,
          srcAddress,
          dstAddress,
          protocol,
          srcPort: g.srcPort,
          dstPort: g.dstPort,
          tcpFlags: g.tcpFlags,
          icmpType: g.icmpType,
          icmpCode: g.icmpCode,
          payloadLength: g.payloadLength,
        };
        const bytes = sampledFrame(frame);
        const records: SflowFlowRecordSpec[] = [sampledHeaderRecord(bytes)];
        if (g.switchVlans) records.push({ kind: 'switch', ...g.switchVlans });
        if (g.router) records.push({ kind: 'router', ...g.router });
        const sample: SflowFlowSampleSpec = {
          kind: 'flow',
          expanded: g.expanded,
          sequence: 0,
          sourceIdIndex: g.sourceIdIndex,
          samplingRate: g.samplingRate,
          samplePool: g.samplePool,
          drops: g.drops,
          input: g.input,
          output: g.output,
          records,
        };
        return { sample, frame, switchVlans: g.switchVlans, router: g.router, frameLength: bytes.length + 4 };
      });

    const sameAddress = (decoded: string | null, original: string | null): boolean => {
      if (decoded === null || original === null) return decoded === original;
      const a = decoded.includes(':') ? ipv6Bytes(decoded) : ipv4Bytes(decoded);
      const b = original.includes(':') ? ipv6Bytes(original) : ipv4Bytes(original);
      return a.length === b.length && a.every((x, i) => x === b[i]);
    };

    it('gives back every field of every flow sample, with bytes = frame length x rate and packets = rate', () => {
      fc.assert(
        fc.property(fc.array(generatedSample, { minLength: 1, maxLength: 10 }), fc.nat(), fc.nat(255), (generated, sequence, subAgentId) => {
          const spec: SflowDatagramSpec = {
            agent: '192.0.2.50',
            subAgentId,
            sequence,
            uptimeMs: 1,
            samples: generated.map((g, i) => ({ ...g.sample, sequence: i + 1 })),
          };
          const result = decodeChecked(new SflowDecoder({ sampleDetails: true }), buildSflowDatagram(spec), 42);
          expect(result.errors).toEqual([]);
          expect(result.records).toHaveLength(generated.length);
          generated.forEach((g, i) => {
            const r = result.records[i];
            const f = g.frame;
            const icmp = f.protocol === 1 || f.protocol === 58;
            const ports = f.protocol === 6 || f.protocol === 17;
            expect(sameAddress(r.srcAddress, f.srcAddress) && sameAddress(r.dstAddress, f.dstAddress)).toBe(true);
            expect(r).toMatchObject({
              exporter: '192.0.2.50',
              observationDomain: subAgentId,
              protocol: f.protocol,
              srcPort: ports ? f.srcPort : 0,
              dstPort: ports ? f.dstPort : icmp ? ((f.icmpType ?? 0) << 8) | (f.icmpCode ?? 0) : 0,
              tcpFlags: f.protocol === 6 ? f.tcpFlags : 0,
              srcMac: f.srcMac,
              dstMac: f.dstMac,
              srcVlan: g.switchVlans ? g.switchVlans.srcVlan : (f.vlan ?? null),
              dstVlan: g.switchVlans ? g.switchVlans.dstVlan : null,
              bytes: g.frameLength * g.sample.samplingRate,
              packets: g.sample.samplingRate,
              rawBytes: g.frameLength,
              rawPackets: 1,
              samplingRate: g.sample.samplingRate,
              inputInterface: g.sample.input,
              outputInterface: g.sample.output,
              startMs: 42,
              endMs: 42,
            });
            const d = result.details[i];
            expect(d).toMatchObject({ sampleSequence: i + 1, sourceIdIndex: g.sample.sourceIdIndex, samplePool: g.sample.samplePool, drops: g.sample.drops });
            expect(sameAddress(d.nextHop, g.router?.nextHop ?? null)).toBe(true);
            expect([d.srcMaskLength, d.dstMaskLength]).toEqual(g.router ? [g.router.srcMaskLength, g.router.dstMaskLength] : [null, null]);
          });
        }),
        { numRuns: 300 },
      );
    });

    it('gives back interface counters, and counts exactly the flow samples and datagrams left out of a stream', () => {
      const counters = fc.record({
        ifIndex: fc.nat(),
        ifType: fc.nat(),
        ifSpeed: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        ifDirection: fc.nat(4),
        adminUp: fc.boolean(),
        operUp: fc.boolean(),
        inOctets: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        inUnicastPackets: fc.nat(),
        inMulticastPackets: fc.nat(),
        inBroadcastPackets: fc.nat(),
        inDiscards: fc.nat(),
        inErrors: fc.nat(),
        inUnknownProtocols: fc.nat(),
        outOctets: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        outUnicastPackets: fc.nat(),
        outMulticastPackets: fc.nat(),
        outBroadcastPackets: fc.nat(),
        outDiscards: fc.nat(),
        outErrors: fc.nat(),
        promiscuous: fc.boolean(),
      });
      fc.assert(
        fc.property(
          counters,
          fc.array(fc.record({ samples: fc.integer({ min: 1, max: 5 }), sent: fc.boolean() }), { minLength: 2, maxLength: 30 }),
          (ifCounters, stream) => {
            const decoder = new SflowDecoder();
            const counted = decodeChecked(
              decoder,
              buildSflowDatagram({ agent: '192.0.2.9', subAgentId: 1, sequence: 0, uptimeMs: 5, samples: [{ kind: 'counters', sequence: 9, sourceIdIndex: 3, records: [{ kind: 'interface', ...ifCounters }] }] }),
            );
            expect(counted.interfaceCounters).toEqual([{ exporter: '192.0.2.9', subAgentId: 1, sourceIdType: 0, sourceIdIndex: 3, sampleSequence: 9, uptimeMs: 5, receivedAtMs: 0, ...ifCounters }]);
            // The first and last datagrams always arrive, so every gap is between two that did.
            stream[0].sent = true;
            stream[stream.length - 1].sent = true;
            let flowSequence = 0;
            let lostSamples = 0;
            let lostDatagrams = 0;
            stream.forEach(({ samples, sent }, i) => {
              const specs: SflowSampleSpec[] = Array.from({ length: samples }, () => ({
                kind: 'flow',
                sequence: ++flowSequence,
                sourceIdIndex: 3,
                samplingRate: 1,
                samplePool: 0,
                drops: 0,
                input: 1,
                output: 2,
                records: [sampledHeaderRecord(corpusFrame(1))],
              }));
              if (!sent) {
                lostSamples += samples;
                lostDatagrams++;
                return;
              }
              decodeChecked(decoder, buildSflowDatagram({ agent: '192.0.2.9', subAgentId: 1, sequence: i + 1, uptimeMs: 5, samples: specs }));
            });
            expect(decoder.agentStatuses()[0].subAgents[0]).toMatchObject({ lostDatagrams, lostRecords: lostSamples, latePackets: 0, resets: 0 });
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});

/** Flow records the first `samples` samples of a corpus datagram produce. */
function flowsBefore(datagram: Uint8Array, samples: number): number {
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  return layout(datagram)
    .slice(0, samples)
    .filter((s) => [1, 3].includes(view.getUint32(s.at))).length;
}
