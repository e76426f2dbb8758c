import { NetflowDecoder, type FlowRecord } from '@clarion/netflow';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEnterprise } from './enterprise';
import { FlowGenerator } from './flow-generator';
import { type SimulatedFlow } from './simulated-flow';
import { SimulatorRunner } from './simulator-runner';
import { parseSimulatorArgs } from './simulator-options';

interface Datagram {
  packet: Buffer;
  from: string;
}

async function listen(): Promise<{ socket: Socket; port: number; received: Datagram[] }> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
  const received: Datagram[] = [];
  socket.on('message', (packet, remote) => received.push({ packet, from: `${remote.address}:${remote.port}` }));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port, received };
}

/** Waits until `count` datagrams arrived or `ms` passed (loopback delivery is asynchronous). */
async function settle(received: Datagram[], count: number, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (received.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

const comparable = (r: FlowRecord | SimulatedFlow): unknown => ({
  srcAddress: r.srcAddress,
  dstAddress: r.dstAddress,
  srcPort: r.srcPort,
  dstPort: r.dstPort,
  protocol: r.protocol,
  tcpFlags: r.tcpFlags,
  bytes: r.bytes,
  packets: r.packets,
  startMs: r.startMs,
  endMs: r.endMs,
  inputInterface: r.inputInterface,
  outputInterface: r.outputInterface,
  srcMac: r.srcMac,
  dstMac: r.dstMac,
  srcVlan: r.srcVlan,
  dstVlan: r.dstVlan,
  direction: r.direction,
  srcSgt: r.srcSgt,
  dstSgt: r.dstSgt,
});

describe('simulator over UDP loopback', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'simulator-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const protocol of ['v9', 'ipfix'] as const) {
    it(`${protocol}: a local collector decodes exactly the flows the enterprise generates, from each exporter`, async () => {
      const collector = await listen();
      try {
        const truth = join(dir, 'truth.jsonl');
        const args = ['--target', `127.0.0.1:${collector.port}`, '--protocol', protocol, '--flows', '3000', '--rate', '0', '--day-minutes', '0'];
        args.push('--exporters', '3', '--observation-domain', '100', '--seed', '11', '--endpoints', '120', '--sgt-share', '0.5');
        args.push('--start', '2024-01-02T09:00:00Z', '--truth', truth, '--stats-interval', '60');
        const parsed = parseSimulatorArgs(args, Date.now());
        if (parsed.command !== 'run') throw new Error('expected a run');
        const logs: string[] = [];
        const summary = await new SimulatorRunner(parsed.options, (message) => logs.push(message)).run();
        expect(summary).toEqual(expect.objectContaining({ flows: 3000, reason: 'flows', sendErrors: 0 }));
        expect(logs).toEqual(['started', 'finished']);
        await settle(collector.received, summary.packets);
        expect(collector.received).toHaveLength(summary.packets);

        const decoder = new NetflowDecoder({
          sourceSgtFields: [{ id: 34000 }, { id: 1232, enterprise: 9 }],
          destinationSgtFields: [{ id: 34001 }, { id: 1233, enterprise: 9 }],
        });
        const records: FlowRecord[] = [];
        const domainsBySocket = new Map<string, Set<number>>();
        for (const { packet, from } of collector.received) {
          // The collector keys exporters by address and port here, as a test can; ingest keys them by address + domain.
          const result = decoder.decode(packet, from, Date.now());
          expect(result.errors).toEqual([]);
          expect(result.lostRecords).toBe(0);
          expect(result.version).toBe(protocol === 'v9' ? 9 : 10);
          records.push(...result.records);
          domainsBySocket.set(from, (domainsBySocket.get(from) ?? new Set()).add(result.observationDomain!));
        }
        expect(records).toHaveLength(3000);
        // Three exporter sockets, each with its own observation domain.
        expect([...domainsBySocket.values()].map((d) => [...d])).toEqual(expect.arrayContaining([[100], [101], [102]]));
        expect(domainsBySocket.size).toBe(3);

        // The same seed and start generate the same flows in-process; what arrived is exactly those flows.
        const expected: SimulatedFlow[] = [];
        new FlowGenerator(buildEnterprise({ seed: 11, endpoints: 120, noise: 0.05, exporters: 3 }), {
          startMs: Date.parse('2024-01-02T09:00:00Z'),
          sgtShare: 0.5,
        }).generate(Infinity, 3000, expected);
        const key = (r: unknown): string => JSON.stringify(r);
        expect(records.map(comparable).map(key).sort()).toEqual(expected.map(comparable).map(key).sort());

        const truthLines = readFileSync(truth, 'utf8').trim().split('\n');
        expect(truthLines).toHaveLength(121);
      } finally {
        collector.socket.close();
      }
    });
  }

  async function runFor(ms: number, args: string[], port: number): Promise<Awaited<ReturnType<SimulatorRunner['run']>>> {
    const parsed = parseSimulatorArgs(['--target', `127.0.0.1:${port}`, '--endpoints', '50', '--truth', 'none', ...args], Date.now());
    if (parsed.command !== 'run') throw new Error('expected a run');
    const runner = new SimulatorRunner(parsed.options, () => undefined);
    const done = runner.run();
    await new Promise((resolve) => setTimeout(resolve, ms));
    runner.stop();
    return done;
  }

  it('runs until stopped when unbounded, sending templates before any data', async () => {
    const collector = await listen();
    try {
      const summary = await runFor(400, ['--start', 'now', '--day-minutes', '1', '--allow-future', '--rate', '2000'], collector.port);
      expect(summary.reason).toBe('stopped');
      expect(summary.flows).toBeGreaterThan(50);
      await settle(collector.received, summary.packets);
      expect(collector.received).toHaveLength(summary.packets);
      // v9 template flowset (id 0) first.
      expect(collector.received[0].packet.readUInt16BE(20)).toBe(0);
      // The rate cap holds: 2000 flows/s plus half a second of burst.
      expect(summary.flows).toBeLessThanOrEqual(2000 * (summary.elapsedMs / 1000) + 1000);
    } finally {
      collector.socket.close();
    }
  });

  it('replays the past compressed, then follows the wall clock: no flow is dated in the future', async () => {
    const collector = await listen();
    try {
      const summary = await runFor(600, ['--start', '-5m', '--day-minutes', '1', '--rate', '0'], collector.port);
      await settle(collector.received, summary.packets);
      const decoder = new NetflowDecoder();
      const records = collector.received.flatMap(({ packet }) => decoder.decode(packet, '127.0.0.1', Date.now()).records);
      expect(records.length).toBe(summary.flows);
      expect(records.length).toBeGreaterThan(20);
      const now = Date.now();
      expect(records.filter((r) => r.endMs > now)).toEqual([]);
      // Five minutes of simulated time were covered (a day per real minute catches up within a second).
      expect(Math.max(...records.map((r) => r.endMs))).toBeGreaterThan(now - 60_000);
    } finally {
      collector.socket.close();
    }
  });
});
