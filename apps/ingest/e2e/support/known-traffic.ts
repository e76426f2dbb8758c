// Support for the ingest *.e2e-spec.ts files only.
// eslint-disable-next-line @nx/enforce-module-boundaries -- the workspace's pcap writer (tools/pcap), test-only
import { TcpFlag, ethernet, ipv4, ipv6, tcp, udp, type FrameToWrite } from '../../../../tools/pcap/pcap-writer';

/** One direction of a conversation, as a flow exporter should report it. */
export interface KnownFlow {
  srcAddress: string;
  dstAddress: string;
  srcPort: number;
  dstPort: number;
  protocol: number;
  packets: number;
  /** Layer-3 bytes (IP header included), what NetFlow counts. */
  bytes: number;
}

export const tupleKey = (f: { srcAddress: string | null; dstAddress: string | null; srcPort: number; dstPort: number; protocol: number }): string =>
  `${f.protocol} ${f.srcAddress}:${f.srcPort} > ${f.dstAddress}:${f.dstPort}`;

/**
 * Traffic whose flows are known exactly: TCP conversations (SYN, SYN/ACK, data both ways, FIN both ways: nothing after
 * the second FIN, so no exporter splits a flow), UDP request/response and one-way streams, over IPv4 and IPv6. Payload
 * sizes vary with a seeded generator so every 5-tuple has its own packet and byte counts.
 */
export function knownTraffic(options: { startMs: number; conversations?: number; seed?: number }): { frames: FrameToWrite[]; flows: KnownFlow[] } {
  const conversations = options.conversations ?? 40;
  let state = (options.seed ?? 7) >>> 0;
  const next = (n: number): number => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state % n;
  };
  const frames: FrameToWrite[] = [];
  const flows = new Map<string, KnownFlow>();
  let t = options.startMs;
  const emit = (v6: boolean, src: string, dst: string, l4: ReturnType<typeof tcp>, srcPort: number, dstPort: number) => {
    const packet = v6 ? ipv6(src, dst, l4) : ipv4(src, dst, l4);
    frames.push({ timestampMs: (t += 1 + next(5)), data: ethernet(packet) });
    const flow: KnownFlow = { srcAddress: src, dstAddress: dst, srcPort, dstPort, protocol: l4.protocol, packets: 0, bytes: 0 };
    const key = tupleKey(flow);
    const known = flows.get(key) ?? flow;
    known.packets += 1;
    known.bytes += packet.length;
    flows.set(key, known);
  };
  const payload = (max: number) => new Uint8Array(1 + next(max));

  for (let i = 0; i < conversations; i++) {
    const v6 = i % 8 === 7;
    const client = v6 ? `2001:db8:10::${(i + 1).toString(16)}` : `10.20.${i >> 4}.${(i % 16) + 10}`;
    const server = v6 ? `2001:db8:99::${(i % 3) + 1}` : `192.0.2.${(i % 5) + 1}`;
    const clientPort = 30_000 + i * 7;
    if (i % 4 === 3) {
      // UDP: a request and a response, or a one-way burst (syslog-like)
      const serverPort = i % 8 === 3 ? 514 : 53;
      const requests = 1 + next(3);
      for (let k = 0; k < requests; k++) emit(v6, client, server, udp(clientPort, serverPort, payload(200)), clientPort, serverPort);
      if (serverPort === 53) emit(v6, server, client, udp(serverPort, clientPort, payload(400)), serverPort, clientPort);
      continue;
    }
    const serverPort = [443, 80, 22, 9100, 554][i % 5];
    let seq = 1000;
    let ack = 5000;
    emit(v6, client, server, tcp(clientPort, serverPort, seq++, 0, TcpFlag.SYN), clientPort, serverPort);
    emit(v6, server, client, tcp(serverPort, clientPort, ack++, seq, TcpFlag.SYN | TcpFlag.ACK), serverPort, clientPort);
    const rounds = 1 + next(4);
    for (let k = 0; k < rounds; k++) {
      const request = payload(600);
      emit(v6, client, server, tcp(clientPort, serverPort, seq, ack, TcpFlag.ACK | TcpFlag.PSH, request), clientPort, serverPort);
      seq += request.length;
      const replies = 1 + next(3);
      for (let r = 0; r < replies; r++) {
        const reply = payload(1400);
        emit(v6, server, client, tcp(serverPort, clientPort, ack, seq, TcpFlag.ACK | TcpFlag.PSH, reply), serverPort, clientPort);
        ack += reply.length;
      }
    }
    emit(v6, client, server, tcp(clientPort, serverPort, seq, ack, TcpFlag.FIN | TcpFlag.ACK), clientPort, serverPort);
    emit(v6, server, client, tcp(serverPort, clientPort, ack, seq + 1, TcpFlag.FIN | TcpFlag.ACK), serverPort, clientPort);
  }
  return { frames, flows: [...flows.values()] };
}

/** Packets and bytes per 5-tuple, and the totals, of flows from any source. */
export function totalsByTuple(flows: ReadonlyArray<KnownFlow>): { byTuple: Map<string, { flows: number; packets: number; bytes: number }>; flows: number; packets: number; bytes: number } {
  const byTuple = new Map<string, { flows: number; packets: number; bytes: number }>();
  let packets = 0;
  let bytes = 0;
  for (const f of flows) {
    const key = tupleKey(f);
    const t = byTuple.get(key) ?? { flows: 0, packets: 0, bytes: 0 };
    t.flows++;
    t.packets += f.packets;
    t.bytes += f.bytes;
    byTuple.set(key, t);
    packets += f.packets;
    bytes += f.bytes;
  }
  return { byTuple, flows: flows.length, packets, bytes };
}
