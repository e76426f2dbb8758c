// A flow exporter for benchmarks, run as its own process: IPFIX over UDP at a fixed flow rate for a fixed time, from
// a pool of pre-built messages (a realistic 24-field template, ~13 flows per 1400-byte message) whose sequence number
// and export time are patched in before each send, like a real exporter. The template is resent every second.
// With --protocol=sflow it is an sFlow v5 agent instead: datagrams of 6 flow samples (128-byte sampled headers of the
// same site's traffic, an extended switch record, 1 in 1024), datagram and flow sample sequence numbers patched in.
//   node dist/tools/bench/ingest/flow-sender.js --port=2055 --rate=100000 --seconds=60 [--host=127.0.0.1] [--protocol=sflow]
// Prints one JSON line: {"flows":..,"packets":..,"seconds":..,"startedAtMs":..,"endedAtMs":..,"sendErrors":..}.
import { createSocket } from 'node:dgram';
import { IPFIX_REALISTIC_FIELDS, buildIpfixMessage, flowFieldValues, minimumLength, sampleFlows } from '../../../libs/netflow/src/testing/packet-builders';
import { buildSflowDatagram, sampledFrame, sampledHeaderRecord } from '../../../libs/netflow/src/testing/sflow-builders';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const port = Number(arg('port', '2055'));
const host = arg('host', '127.0.0.1');
const rate = Number(arg('rate', '100000'));
const seconds = Number(arg('seconds', '60'));
const distinct = Number(arg('distinct-packets', '2048'));
const hosts = Number(arg('hosts', '20000'));
const sflow = arg('protocol', 'ipfix') === 'sflow';

const TEMPLATE_ID = 300;
const DOMAIN = 1;
const SFLOW_SAMPLES_PER_DATAGRAM = 6;
const perPacket = sflow ? SFLOW_SAMPLES_PER_DATAGRAM : Math.floor((1400 - 16 - 4) / minimumLength(IPFIX_REALISTIC_FIELDS));
const nowMs = Date.now();
const template = buildIpfixMessage({
  exportTimeSecs: Math.floor(nowMs / 1000),
  sequence: 0,
  observationDomain: DOMAIN,
  sets: [{ kind: 'template', templates: [{ templateId: TEMPLATE_ID, fields: [...IPFIX_REALISTIC_FIELDS] }] }],
});
const pool: Buffer[] = [];
/** sFlow: where each datagram of the pool has its flow samples' sequence numbers. */
const sampleSequenceOffsets: number[][] = [];
for (let p = 0; p < distinct && sflow; p++) {
  const samples = sampleFlows(perPacket, p + 1, { baseMs: nowMs, hosts }).map((f, i) => ({
    kind: 'flow' as const,
    sequence: 0,
    sourceIdIndex: 1,
    samplingRate: 1_024,
    samplePool: 0,
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
      { kind: 'switch' as const, srcVlan: f.srcVlan ?? 0, dstVlan: f.dstVlan ?? 0 },
    ],
  }));
  const datagram = Buffer.from(buildSflowDatagram({ agent: '192.0.2.200', subAgentId: 0, sequence: 0, uptimeMs: 0, samples }));
  // IPv4 agent: samples start at 28; each is format, length, then the flow sample (its sequence number first).
  const offsets: number[] = [];
  for (let q = 28; q + 8 <= datagram.length; q += 8 + datagram.readUInt32BE(q + 4)) offsets.push(q + 8);
  pool.push(datagram);
  sampleSequenceOffsets.push(offsets);
}
for (let p = 0; p < distinct && !sflow; p++) {
  // Flows that ended in the last 30 s, from a site of `hosts` clients (so the collector's caches see realistic reuse).
  const flows = sampleFlows(perPacket, p + 1, { baseMs: nowMs, hosts });
  pool.push(
    Buffer.from(
      buildIpfixMessage({
        exportTimeSecs: Math.floor(nowMs / 1000),
        sequence: 0,
        observationDomain: DOMAIN,
        sets: [{ kind: 'data', templateId: TEMPLATE_ID, fields: [...IPFIX_REALISTIC_FIELDS], records: flows.map((f) => flowFieldValues(IPFIX_REALISTIC_FIELDS, f)) }],
      }),
    ),
  );
}

const socket = createSocket({ type: 'udp4', sendBufferSize: 8 * 1024 * 1024 });
let asyncErrors = 0;
// A connected UDP socket reports ICMP port-unreachable as an error event; count it, keep sending.
socket.on('error', () => asyncErrors++);
socket.connect(port, host, () => void run());

async function run(): Promise<void> {
  const packetRate = rate / perPacket;
  const totalPackets = Math.round(packetRate * seconds);
  let sent = 0;
  let flows = 0;
  let sequence = 0;
  let errors = 0;
  let inFlight = 0;
  let lastTemplate = 0;
  const send = (packet: Buffer): void => {
    inFlight++;
    socket.send(packet, (err) => {
      inFlight--;
      if (err) errors++;
    });
  };
  const started = performance.now();
  const startedAtMs = Date.now();
  let sampleSequence = 0;
  if (!sflow) send(Buffer.from(template));
  while (sent < totalPackets) {
    const elapsed = performance.now() - started;
    if (!sflow && elapsed - lastTemplate >= 1000) {
      lastTemplate = elapsed;
      send(Buffer.from(template));
    }
    const due = Math.min(totalPackets, Math.floor((elapsed / 1000) * packetRate));
    while (sent < due) {
      // A fresh copy: the pool packet is patched (sequence, export time) and the send is asynchronous.
      const packet = Buffer.from(pool[sent % pool.length]);
      if (sflow) {
        packet.writeUInt32BE((sent + 1) >>> 0, 16);
        packet.writeUInt32BE(Math.floor(elapsed) >>> 0, 20);
        for (const at of sampleSequenceOffsets[sent % pool.length]) packet.writeUInt32BE(++sampleSequence >>> 0, at);
      } else {
        packet.writeUInt32BE(Math.floor(Date.now() / 1000), 4);
        packet.writeUInt32BE(sequence >>> 0, 8);
        sequence += perPacket;
      }
      send(packet);
      sent++;
      flows += perPacket;
    }
    // Yield so the send callbacks run; pace at about one burst per millisecond.
    await new Promise((r) => setTimeout(r, inFlight > 4096 ? 5 : 1));
  }
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
  const endedAtMs = Date.now();
  socket.close();
  console.log(JSON.stringify({ flows, packets: sent, flowsPerPacket: perPacket, seconds: (endedAtMs - startedAtMs) / 1000, startedAtMs, endedAtMs, sendErrors: errors + asyncErrors }));
}
