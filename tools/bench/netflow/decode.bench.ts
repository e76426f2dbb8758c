// Decode throughput of @clarion/netflow on one core: flows per second for NetFlow v5 (30 records per packet),
// v9 and IPFIX (24-field templates, ~1400-byte packets), and flow samples per second for sFlow v5 (switch-like
// datagrams: 128-byte sampled Ethernet headers with an extended switch record, ~1400 bytes, one counters sample in
// every eighth datagram). Run after `node tools/build/build.mjs`:
//   node dist/tools/bench/netflow/decode.bench.js [--seconds=3]
// Prints one human-readable line per version, then one JSON line: {"decode_v5_fps":..,"decode_v9_fps":..,...}.
import { NetflowDecoder, SflowDecoder, type DecodeResult, type SflowDecodeResult } from '@clarion/netflow';
import {
  IPFIX_REALISTIC_FIELDS,
  V9_REALISTIC_FIELDS,
  buildIpfixMessage,
  buildV5Packet,
  buildV9Packet,
  flowFieldValues,
  minimumLength,
  sampleFlows,
  type FlowSpec,
} from '../../../libs/netflow/src/testing/packet-builders';
import { buildSflowDatagram, sampledFrame, sampledHeaderRecord, type SflowSampleSpec } from '../../../libs/netflow/src/testing/sflow-builders';

const TARGET_PACKET_BYTES = 1400;
const EXPORTER = '192.0.2.10';
const EXPORT_SECS = 1_700_000_000;
const UPTIME_MS = 86_400_000;
/** A site: 5,000 client hosts and 1,250 servers; 512 distinct packets (7,000-15,000 flows) cycled. */
const SITE: Population = { hosts: 5_000, distinctPackets: 512 };
/** Worst case for the address caches: every address random, 4,096 distinct packets (60,000+ flows). */
const UNIQUE: Population = { hosts: undefined, distinctPackets: 4_096 };

const seconds = Number(process.argv.find((a) => a.startsWith('--seconds='))?.split('=')[1] ?? '3');

interface Population {
  hosts: number | undefined;
  distinctPackets: number;
}

interface Workload {
  name: string;
  /** Packets that must be decoded once before the data (templates, options). */
  setup: Uint8Array[];
  packets: Uint8Array[];
  recordsPerPacket: number;
  sflow?: boolean;
}

function flowsFor(count: number, packet: number, population: Population): FlowSpec[] {
  return sampleFlows(count, packet + 1, { baseMs: EXPORT_SECS * 1000, hosts: population.hosts });
}

function v5Workload(population: Population): Workload {
  const packets: Uint8Array[] = [];
  for (let p = 0; p < population.distinctPackets; p++) {
    packets.push(
      buildV5Packet({
        sysUptimeMs: UPTIME_MS,
        unixSecs: EXPORT_SECS,
        sequence: p * 30,
        records: flowsFor(30, p, population).map((f) => ({
          ...f,
          firstUptimeMs: UPTIME_MS - (EXPORT_SECS * 1000 - f.startMs),
          lastUptimeMs: UPTIME_MS - (EXPORT_SECS * 1000 - f.endMs),
        })),
      }),
    );
  }
  return { name: 'v5', setup: [], packets, recordsPerPacket: 30 };
}

function v9Workload(population: Population): Workload {
  const templateId = 300;
  const fields = [...V9_REALISTIC_FIELDS];
  const perPacket = Math.floor((TARGET_PACKET_BYTES - 20 - 4) / minimumLength(fields));
  const base = { exportMs: EXPORT_SECS * 1000, sysUptimeMs: UPTIME_MS };
  const setup = [
    buildV9Packet({
      sysUptimeMs: UPTIME_MS,
      unixSecs: EXPORT_SECS,
      sequence: 0,
      sourceId: 1,
      flowSets: [{ kind: 'template', templates: [{ templateId, fields }] }],
    }),
  ];
  const packets: Uint8Array[] = [];
  for (let p = 0; p < population.distinctPackets; p++) {
    packets.push(
      buildV9Packet({
        sysUptimeMs: UPTIME_MS,
        unixSecs: EXPORT_SECS,
        sequence: p + 1,
        sourceId: 1,
        flowSets: [
          { kind: 'data', templateId, fields, records: flowsFor(perPacket, p, population).map((f) => flowFieldValues(fields, f, base)) },
        ],
      }),
    );
  }
  return { name: 'v9', setup, packets, recordsPerPacket: perPacket };
}

function ipfixWorkload(population: Population): Workload {
  const templateId = 400;
  const fields = [...IPFIX_REALISTIC_FIELDS];
  const perPacket = Math.floor((TARGET_PACKET_BYTES - 16 - 4) / minimumLength(fields));
  const setup = [
    buildIpfixMessage({
      exportTimeSecs: EXPORT_SECS,
      sequence: 0,
      observationDomain: 7,
      sets: [{ kind: 'template', templates: [{ templateId, fields }] }],
    }),
  ];
  const packets: Uint8Array[] = [];
  for (let p = 0; p < population.distinctPackets; p++) {
    packets.push(
      buildIpfixMessage({
        exportTimeSecs: EXPORT_SECS,
        sequence: p * perPacket,
        observationDomain: 7,
        sets: [{ kind: 'data', templateId, fields, records: flowsFor(perPacket, p, population).map((f) => flowFieldValues(fields, f)) }],
      }),
    );
  }
  return { name: 'ipfix', setup, packets, recordsPerPacket: perPacket };
}

/** An sFlow agent: 128-byte headers of the sampled frames (what switches send by default), 1-in-1024 sampling. */
function sflowWorkload(population: Population): Workload {
  const sampleBytes = 8 + 32 + (8 + 16 + 128) + (8 + 16);
  const perPacket = Math.floor((TARGET_PACKET_BYTES - 28) / sampleBytes);
  const packets: Uint8Array[] = [];
  let sequence = 0;
  for (let p = 0; p < population.distinctPackets; p++) {
    const samples: SflowSampleSpec[] = flowsFor(perPacket, p, population).map((f, i) => ({
      kind: 'flow',
      sequence: ++sequence,
      sourceIdIndex: f.inputInterface,
      samplingRate: 1_024,
      samplePool: sequence * 1_024,
      drops: 0,
      input: f.inputInterface,
      output: f.outputInterface,
      records: [
        sampledHeaderRecord(
          sampledFrame({
            srcMac: f.srcMac ?? '02:00:00:00:00:01',
            dstMac: f.dstMac ?? '02:00:00:00:00:02',
            vlan: f.srcVlan,
            ipVersion: 4,
            srcAddress: f.srcAddress,
            dstAddress: f.dstAddress,
            protocol: f.protocol,
            srcPort: f.srcPort,
            dstPort: f.dstPort,
            tcpFlags: f.tcpFlags,
            payloadLength: 64 + ((p * 31 + i * 97) % 1_400),
          }),
        ),
        { kind: 'switch', srcVlan: f.srcVlan ?? 0, dstVlan: f.dstVlan ?? 0 },
      ],
    }));
    if (p % 8 === 0) {
      samples.push({
        kind: 'counters',
        sequence: p,
        sourceIdIndex: 1,
        records: [
          {
            kind: 'interface',
            ifIndex: 1,
            ifType: 6,
            ifSpeed: 10_000_000_000,
            ifDirection: 1,
            adminUp: true,
            operUp: true,
            inOctets: p * 1_000_000,
            inUnicastPackets: p,
            inMulticastPackets: 0,
            inBroadcastPackets: 0,
            inDiscards: 0,
            inErrors: 0,
            inUnknownProtocols: 0,
            outOctets: p * 2_000_000,
            outUnicastPackets: p,
            outMulticastPackets: 0,
            outBroadcastPackets: 0,
            outDiscards: 0,
            outErrors: 0,
            promiscuous: false,
          },
        ],
      });
    }
    packets.push(buildSflowDatagram({ agent: EXPORTER, subAgentId: 0, sequence: p + 1, uptimeMs: UPTIME_MS, samples }));
  }
  return { name: 'sflow', setup: [], packets, recordsPerPacket: perPacket, sflow: true };
}

interface Measurement {
  /** Flows per second of process CPU time (user + system, all threads: GC helpers included). */
  fps: number;
  /** Flows per second of wall-clock time (lower when other processes share the cores). */
  wallFps: number;
  packetBytes: number;
}

/** Decodes the workload's packets round-robin for `durationMs` of wall time. */
function run(workload: Workload, durationMs: number): Measurement {
  const netflow = new NetflowDecoder();
  const sflow = new SflowDecoder();
  const decoder: { decode(packet: Uint8Array, exporter: string, now: number): DecodeResult | SflowDecodeResult } = workload.sflow ? sflow : netflow;
  let now = 0;
  for (const packet of workload.setup) decoder.decode(packet, EXPORTER, now);
  let records = 0;
  let checksum = 0;
  let i = 0;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  let elapsed = 0;
  // Read the clock every 256 packets only, so reading it costs nothing measurable.
  while (elapsed < durationMs) {
    for (let k = 0; k < 256; k++) {
      const result = decoder.decode(workload.packets[i], EXPORTER, now);
      records += result.records.length;
      checksum += result.records[result.records.length - 1].bytes;
      if (++i === workload.packets.length) i = 0;
    }
    elapsed = performance.now() - started;
    now = Math.floor(elapsed);
  }
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const errors = Object.values((workload.sflow ? sflow.stats() : netflow.stats()).errors).reduce((a, b) => a + b, 0);
  if (errors !== 0 || records === 0 || !Number.isFinite(checksum)) throw new Error(`${workload.name}: benchmark decode failed`);
  const packetBytes = workload.packets.reduce((sum, p) => sum + p.length, 0) / workload.packets.length;
  return { fps: (records / cpuMs) * 1000, wallFps: (records / elapsed) * 1000, packetBytes };
}

const format = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(11);
const figures: Record<string, number> = {};
for (const [label, population] of [
  ['site traffic', SITE],
  ['unique addresses', UNIQUE],
] as const) {
  // Built one at a time, so one workload's packets are not live (and traced by the GC) while another is measured.
  for (const build of [v5Workload, v9Workload, ipfixWorkload, sflowWorkload]) {
    const workload = build(population);
    run(workload, 500); // warm-up: let V8 optimise the decoder and the generated record functions
    const m = run(workload, seconds * 1000);
    if (population === SITE) figures[`decode_${workload.name}_fps`] = Math.round(m.fps);
    else figures[`decode_${workload.name}_unique_addresses_fps`] = Math.round(m.fps);
    console.log(
      `decode ${workload.name.padEnd(5)} ${format(m.fps)} ${workload.sflow ? 'samples' : 'flows'}/CPU-s (wall ${format(m.wallFps)}/s)  ` +
        `${label}, ${workload.recordsPerPacket} ${workload.sflow ? 'flow samples' : 'records'} per ${Math.round(m.packetBytes)}-byte packet, ${seconds} s`,
    );
  }
}
console.log(JSON.stringify(figures));
