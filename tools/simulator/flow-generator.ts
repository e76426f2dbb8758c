// The event engine: turns the enterprise's activities into flow records in simulated time.
//
// Every activity of every endpoint is a task in one time-ordered heap: Poisson session arrivals (drawn exactly,
// segment by segment, from the piecewise-constant rhythm intensity), periodic connections, always-on streams and
// nightly backups. A connection becomes two unidirectional records (client -> server, server -> client), as NetFlow
// reports it; one that outlives the active timeout is reported every active timeout, like a real exporter does. Records
// wait in a second heap until their end time, so flows come out in the order an exporter would export them. One PRNG
// drives everything and ties are broken by creation order: the same enterprise, start time and options give the same
// flows, however the caller slices the calls to `generate`.
import { InternetChooser, randomPublicAddress } from './internet';
import { UPLINK_IF_INDEX, type Endpoint, type Enterprise } from './enterprise';
import {
  EPHEMERAL_RANGES,
  ICMP,
  TCP,
  type Activity,
  type PeerRule,
  type RoleName,
  type ServiceSpec,
  type SessionChoice,
  type StreamChoice,
  type StreamSpec,
  type Volume,
} from './role-archetypes';
import { DAY_MS, HOUR_MS, MINUTE_MS, Rhythm, SEGMENT_MS, isPeopleRhythm, localTime, rhythmIntensity } from './rhythm';
import { SeededRandom, ZipfSampler, hashUnit } from './seeded-random';
import { type SimulatedFlow } from './simulated-flow';
import { TimedHeap, type Timed } from './timed-heap';

export interface FlowGeneratorOptions {
  /** Simulated time at which the enterprise starts, epoch ms. */
  startMs: number;
  /** Offset of the enterprise's local time from UTC (business hours are local). */
  utcOffsetMinutes?: number;
  /** Long connections are reported every this many ms (exporter active timeout). */
  activeTimeoutMs?: number;
  /** Share of connections whose records carry TrustSec tags (0-1). */
  sgtShare?: number;
  /** Seed of the traffic (defaults to the enterprise's). */
  seed?: number;
}

const TCP_FLAG = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;
/** A complete short TCP connection: SYN, data, FIN, all acknowledged (flags OR-ed over the flow). */
const TCP_COMPLETE = TCP_FLAG.SYN | TCP_FLAG.ACK | TCP_FLAG.PSH | TCP_FLAG.FIN;
const SCAN_PORTS = [21, 22, 23, 25, 53, 80, 110, 135, 139, 143, 443, 445, 993, 1433, 3306, 3389, 5432, 5900, 8080, 8443];
/** Segments searched for the next arrival before settling for a wake-up (one week). */
const MAX_SEGMENTS_AHEAD = (7 * DAY_MS) / SEGMENT_MS;

type Task = SessionTask | PeriodicTask | StreamTask | DailyTask | ReconnectTask;

interface TaskBase extends Timed {
  endpoint: Endpoint;
}

interface SessionTask extends TaskBase {
  kind: 'sessions';
  activity: Extract<Activity, { kind: 'sessions' }>;
  cumulative: Float64Array;
  /** Arrivals per ms at intensity 1. */
  rate: number;
  /** False when the task woke up without an arrival (nothing within a week). */
  arrival: boolean;
}

interface PeriodicTask extends TaskBase {
  kind: 'periodic';
  activity: Extract<Activity, { kind: 'periodic' }>;
}

interface DailyTask extends TaskBase {
  kind: 'daily';
  activity: Extract<Activity, { kind: 'daily' }>;
}

interface ReconnectTask extends TaskBase {
  kind: 'reconnect';
  choice: StreamChoice;
}

interface StreamTask extends TaskBase {
  kind: 'stream';
  connection: Connection;
  /** Bytes per ms each way. */
  upRate: number;
  downRate: number;
  upPacketBytes: number;
  downPacketBytes: number;
  chunkStart: number;
  endAt: number;
  /** The first chunk of a connection opened during the simulation carries SYN. */
  opened: boolean;
  /** Always-on streams reconnect after their lifetime. */
  reconnect: StreamChoice | null;
}

interface OutputRecord extends Timed {
  flow: SimulatedFlow;
}

/** Both ends of a connection as addressed on the wire. */
interface Connection {
  client: Endpoint;
  clientAddress: string;
  clientPort: number;
  server: Endpoint;
  serverAddress: string;
  serverPort: number;
  protocol: number;
  tagged: boolean;
}

interface Peer {
  endpoint: Endpoint;
  address: string;
}

export class FlowGenerator {
  private readonly rng: SeededRandom;
  private readonly tasks = new TimedHeap<Task>();
  private readonly output = new TimedHeap<OutputRecord>();
  private readonly internet: InternetChooser;
  private readonly roleSamplers = new Map<string, ZipfSampler>();
  private readonly utcOffsetMinutes: number;
  private readonly activeTimeoutMs: number;
  private readonly sgtShare: number;
  private readonly seed: number;
  private seq = 0;
  private now: number;
  private emitted = 0;

  constructor(
    private readonly enterprise: Enterprise,
    options: FlowGeneratorOptions,
  ) {
    this.seed = (options.seed ?? enterprise.seed) >>> 0;
    this.rng = new SeededRandom(this.seed ^ 0x7f4a7c15);
    this.utcOffsetMinutes = options.utcOffsetMinutes ?? 0;
    this.activeTimeoutMs = Math.max(1000, options.activeTimeoutMs ?? 300_000);
    this.sgtShare = Math.min(1, Math.max(0, options.sgtShare ?? 0));
    this.internet = new InternetChooser(enterprise.internet);
    this.now = options.startMs;
    for (const endpoint of enterprise.endpoints) for (const activity of endpoint.activities) this.schedule(endpoint, activity, options.startMs);
  }

  /** Simulated time up to which flows have been produced. */
  get timeMs(): number {
    return this.now;
  }

  /** Flows produced so far. */
  get flowCount(): number {
    return this.emitted;
  }

  /**
   * Appends to `out` the next flows in export order, those that end at or before `untilMs`, at most `max` of them.
   * Returns how many it appended. Simulated time advances to `untilMs` when everything before it was produced.
   */
  generate(untilMs: number, max: number, out: SimulatedFlow[]): number {
    let count = 0;
    while (count < max) {
      const task = this.tasks.peek();
      const record = this.output.peek();
      const taskAt = task ? task.at : Infinity;
      const recordAt = record ? record.at : Infinity;
      if (recordAt <= taskAt) {
        if (recordAt > untilMs) break;
        this.output.pop();
        this.now = recordAt;
        out.push(record!.flow);
        count++;
        continue;
      }
      if (taskAt > untilMs) break;
      this.tasks.pop();
      this.now = taskAt;
      this.run(task!);
    }
    if (count < max && Number.isFinite(untilMs) && untilMs > this.now) this.now = untilMs;
    this.emitted += count;
    return count;
  }

  // ---- scheduling ------------------------------------------------------------------------------------------------

  private schedule(endpoint: Endpoint, activity: Activity, from: number): void {
    switch (activity.kind) {
      case 'sessions': {
        let rate = (activity.perHour * endpoint.activityScale) / HOUR_MS;
        if (activity.perTarget) {
          const monitors = this.enterprise.byRole.get('monitoring-server')?.length ?? 1;
          rate *= this.enterprise.targets[activity.perTarget].length / Math.max(1, monitors);
        }
        if (!(rate > 0)) return;
        const cumulative = new Float64Array(activity.choices.length);
        let sum = 0;
        activity.choices.forEach((c, i) => (cumulative[i] = sum += c.weight));
        const task: SessionTask = { kind: 'sessions', at: 0, seq: 0, endpoint, activity, cumulative, rate, arrival: true };
        this.nextArrival(task, from);
        return;
      }
      case 'periodic':
        this.push({ kind: 'periodic', at: from + this.rng.next() * activity.periodS * 1000, seq: 0, endpoint, activity });
        return;
      case 'stream':
        this.openStream(endpoint, activity.choice, from, true, true);
        return;
      case 'daily':
        this.push({ kind: 'daily', at: this.nextDailyWindow(activity, from), seq: 0, endpoint, activity });
        return;
    }
  }

  private push(task: Task): void {
    task.seq = this.seq++;
    this.tasks.push(task);
  }

  /** Intensity of a rhythm for an endpoint at a time: the rhythm shifted by the person's habits, guests' presence. */
  private intensity(endpoint: Endpoint, rhythm: Rhythm, atMs: number): number {
    const shifted = isPeopleRhythm(rhythm) ? atMs - endpoint.shiftMinutes * MINUTE_MS : atMs;
    const local = localTime(shifted, this.utcOffsetMinutes);
    let value = rhythmIntensity(rhythm, local.dayOfWeek, local.hour);
    if (rhythm === Rhythm.GUEST && value > 0) value *= this.guestPresent(endpoint, local.dayIndex, local.hour) ? 1 : 0;
    return value;
  }

  /** Visitors come on some days only, for a few hours: decided per device and day, independent of event order. */
  private guestPresent(endpoint: Endpoint, dayIndex: number, hour: number): boolean {
    if (hashUnit(this.seed, endpoint.index, dayIndex, 0) >= 0.45) return false;
    const arrival = 8.5 + 5 * hashUnit(this.seed, endpoint.index, dayIndex, 1);
    const stay = 1 + 6 * hashUnit(this.seed, endpoint.index, dayIndex, 2);
    return hour >= arrival && hour < arrival + stay;
  }

  /** Next Poisson arrival after `from`: exact for a rate that is constant within each segment. */
  private nextArrival(task: SessionTask, from: number): void {
    let t = from;
    for (let i = 0; i < MAX_SEGMENTS_AHEAD; i++) {
      const segmentStart = Math.floor(t / SEGMENT_MS) * SEGMENT_MS;
      const segmentEnd = segmentStart + SEGMENT_MS;
      const rate = task.rate * this.intensity(task.endpoint, task.activity.rhythm, segmentStart + SEGMENT_MS / 2);
      if (rate > 0) {
        const next = t + this.rng.exponential(1 / rate);
        if (next < segmentEnd) {
          task.at = next;
          task.arrival = true;
          this.push(task);
          return;
        }
      }
      t = segmentEnd;
    }
    task.at = t;
    task.arrival = false;
    this.push(task);
  }

  private nextDailyWindow(activity: Extract<Activity, { kind: 'daily' }>, from: number): number {
    const offset = this.utcOffsetMinutes * MINUTE_MS;
    const localDay = Math.floor((from + offset) / DAY_MS);
    const jitter = this.rng.next() * activity.spreadHours * HOUR_MS;
    let at = localDay * DAY_MS + activity.localHour * HOUR_MS + jitter - offset;
    if (at <= from) at += DAY_MS;
    return at;
  }

  // ---- running tasks ---------------------------------------------------------------------------------------------

  private run(task: Task): void {
    switch (task.kind) {
      case 'sessions':
        if (task.arrival) this.session(task.endpoint, task.activity.choices[this.rng.weighted(task.cumulative)], task.at);
        this.nextArrival(task, task.at);
        return;
      case 'periodic': {
        const a = task.activity;
        if (this.rng.next() < this.intensity(task.endpoint, a.rhythm, task.at)) this.session(task.endpoint, a.choice, task.at);
        task.at += a.periodS * 1000 * (1 + a.jitter * (2 * this.rng.next() - 1));
        this.push(task);
        return;
      }
      case 'daily':
        this.openStream(task.endpoint, task.activity.choice, task.at, false, false);
        task.at = this.nextDailyWindow(task.activity, task.at);
        this.push(task);
        return;
      case 'reconnect':
        this.openStream(task.endpoint, task.choice, task.at, false, true);
        return;
      case 'stream':
        this.streamChunk(task);
        return;
    }
  }

  /** One short connection (or a long one handed to the stream machinery), plus the media stream of a call. */
  private session(self: Endpoint, choice: SessionChoice, at: number): void {
    const peer = this.resolvePeer(self, choice.peers);
    if (!peer) return;
    const connection = this.connect(self, choice.as, peer, choice.service);
    const spec = choice.service;
    const durationMs = Math.max(1, Math.round(this.rng.logNormal(spec.durationMs, spec.durationSigma)));
    if (spec.refused) {
      this.emit(connection, false, TCP_FLAG.SYN, 1, spec.request.bytes, at, at);
      this.emit(connection, true, TCP_FLAG.RST | TCP_FLAG.ACK, 1, spec.response?.bytes ?? 40, at + 1, at + 1);
    } else {
      const up = this.volume(spec.request, spec.protocol);
      const down = spec.response ? this.volume(spec.response, spec.protocol) : null;
      if (durationMs > this.activeTimeoutMs) {
        // Longer than the active timeout: reported in chunks, the volume spread over its duration.
        this.startStream(connection, at, at + durationMs, up.bytes / durationMs, (down?.bytes ?? 0) / durationMs, spec.request.packetBytes, spec.response?.packetBytes ?? 60, true, null);
      } else {
        const rtt = Math.min(durationMs, this.rttMs(connection));
        const flags = spec.protocol === TCP ? TCP_COMPLETE : 0;
        this.emit(connection, false, flags, up.packets, up.bytes, at, at + durationMs);
        if (down) this.emit(connection, true, flags, down.packets, down.bytes, at + rtt, at + durationMs);
      }
    }
    if (choice.media) {
      const callee = this.resolvePeer(self, choice.media.peers);
      if (!callee) return;
      const callManager = connection.server;
      if (callee.endpoint.role === 'voip-phone' && callManager !== self) {
        // The call manager rings the called phone.
        const ring = this.connect(callManager, 'client', { endpoint: callee.endpoint, address: callee.endpoint.ipv4 }, spec);
        const up = this.volume(spec.request, spec.protocol);
        const down = this.volume(spec.response ?? spec.request, spec.protocol);
        this.emit(ring, false, 0, up.packets, up.bytes, at + 5, at + 5 + durationMs);
        this.emit(ring, true, 0, down.packets, down.bytes, at + 6, at + 5 + durationMs);
      }
      const media = choice.media;
      const callMs = Math.max(1000, this.rng.logNormal(media.durationS, media.durationSigma) * 1000);
      const mediaConnection = this.connect(self, 'client', callee, media.stream.service);
      this.startStreamFromSpec(mediaConnection, media.stream, at + 50, at + 50 + callMs, true, null);
    }
  }

  /**
   * Opens a stream from an activity. `initial`: the connection was already up when the simulation started, so its
   * first report covers a random part of an active-timeout interval (reports of many streams then do not all fall
   * on the same instants) and carries no SYN. `reconnect`: an always-on stream, re-opened after its lifetime.
   */
  private openStream(self: Endpoint, choice: StreamChoice, at: number, initial: boolean, reconnect: boolean): void {
    const peer = this.resolvePeer(self, choice.peers);
    if (!peer) return;
    const connection = this.connect(self, choice.as, peer, choice.stream.service);
    const endAt = at + this.lifetimeMs(choice.stream);
    const firstReportAt = initial ? Math.min(endAt, at + Math.max(1000, this.rng.next() * this.activeTimeoutMs)) : undefined;
    this.startStreamFromSpec(connection, choice.stream, at, endAt, !initial, reconnect ? choice : null, firstReportAt);
  }

  private lifetimeMs(spec: StreamSpec): number {
    return Math.max(1000, this.rng.logNormal(spec.lifetimeS, spec.lifetimeSigma) * 1000);
  }

  private startStreamFromSpec(
    connection: Connection,
    spec: StreamSpec,
    at: number,
    endAt: number,
    opened: boolean,
    reconnect: StreamChoice | null,
    firstReportAt?: number,
  ): void {
    const factor = this.rng.logNormal(1, spec.sigma);
    this.startStream(
      connection,
      at,
      endAt,
      (spec.upBps * factor) / 8 / 1000,
      (spec.downBps * factor) / 8 / 1000,
      spec.service.request.packetBytes,
      spec.service.response?.packetBytes ?? 60,
      opened,
      reconnect,
      firstReportAt,
    );
  }

  private startStream(
    connection: Connection,
    at: number,
    endAt: number,
    upRate: number,
    downRate: number,
    upPacketBytes: number,
    downPacketBytes: number,
    opened: boolean,
    reconnect: StreamChoice | null,
    firstReportAt?: number,
  ): void {
    const task: StreamTask = {
      kind: 'stream',
      at: firstReportAt ?? Math.min(at + this.activeTimeoutMs, endAt),
      seq: 0,
      endpoint: connection.client,
      connection,
      upRate,
      downRate,
      upPacketBytes,
      downPacketBytes,
      chunkStart: at,
      endAt,
      opened,
      reconnect,
    };
    this.push(task);
  }

  /** Reports the stream's traffic since the last report; closes it at its end, reconnecting always-on streams. */
  private streamChunk(task: StreamTask): void {
    const c = task.connection;
    const from = task.chunkStart;
    const to = task.at;
    const last = to >= task.endAt;
    const span = Math.max(1, to - from);
    let flags = 0;
    if (c.protocol === TCP) {
      flags = TCP_FLAG.ACK | TCP_FLAG.PSH;
      if (task.opened) flags |= TCP_FLAG.SYN;
      if (last) flags |= TCP_FLAG.FIN;
    }
    const up = this.streamVolume(task.upRate * span, task.upPacketBytes, c.protocol);
    const down = this.streamVolume(task.downRate * span, task.downPacketBytes, c.protocol);
    this.emit(c, false, flags, up.packets, up.bytes, from, to);
    if (task.downRate > 0) this.emit(c, true, flags, down.packets, down.bytes, Math.min(to, from + this.rttMs(c)), to);
    if (last) {
      if (task.reconnect) {
        const endpoint = task.reconnect.as === 'client' ? c.client : c.server;
        this.push({ kind: 'reconnect', at: to + 1000 + this.rng.exponential(5000), seq: 0, endpoint, choice: task.reconnect });
      }
      return;
    }
    task.opened = false;
    task.chunkStart = to;
    task.at = Math.min(to + this.activeTimeoutMs, task.endAt);
    this.push(task);
  }

  // ---- connections and records -----------------------------------------------------------------------------------

  private connect(self: Endpoint, as: 'client' | 'server', peer: Peer, spec: ServiceSpec): Connection {
    const v6 = peer.address.includes(':');
    const selfAddress = v6 && self.ipv6 ? self.ipv6 : self.ipv4;
    const client = as === 'client' ? self : peer.endpoint;
    const server = as === 'client' ? peer.endpoint : self;
    let clientPort: number;
    let serverPort: number;
    if (spec.protocol === ICMP) {
      clientPort = 0;
      serverPort = 0;
    } else {
      serverPort = this.serverPort(spec, server);
      clientPort = typeof spec.clientPort === 'number' ? spec.clientPort : spec.clientPort === 'rtp' ? this.rtpPort() : this.ephemeralPort(client);
    }
    return {
      client,
      clientAddress: as === 'client' ? selfAddress : peer.address,
      clientPort,
      server,
      serverAddress: as === 'client' ? peer.address : selfAddress,
      serverPort,
      protocol: spec.protocol,
      tagged: this.rng.next() < this.sgtShare,
    };
  }

  private serverPort(spec: ServiceSpec, server: Endpoint): number {
    switch (spec.port) {
      case 'peer':
        return server.servicePort || 5432;
      case 'rtp':
        return this.rtpPort();
      case 'random-high':
        return this.rng.range(1024, 65535);
      case 'scan':
        return this.rng.chance(0.7) ? this.rng.pick(SCAN_PORTS) : this.rng.range(1, 65535);
      default:
        return spec.port;
    }
  }

  /** RTP uses even ports (RTCP the odd one above), 16384-32766 on most phones and cameras. */
  private rtpPort(): number {
    return 16384 + 2 * this.rng.int(8192);
  }

  private ephemeralPort(client: Endpoint): number {
    // Clients on the internet run every kind of OS.
    const os = client === this.enterprise.gateway ? (this.rng.chance(0.5) ? 'windows' : 'linux') : client.os;
    const [low, high] = EPHEMERAL_RANGES[os];
    return this.rng.range(low, high);
  }

  /** Round-trip time: a millisecond inside the campus, tens across the internet. */
  private rttMs(c: Connection): number {
    const gateway = this.enterprise.gateway;
    return c.client === gateway || c.server === gateway ? 10 + this.rng.int(60) : 1 + this.rng.int(2);
  }

  private volume(spec: Volume, protocol: number): { bytes: number; packets: number } {
    const bytes = Math.round(this.rng.logNormal(spec.bytes, spec.sigma));
    return this.packetise(bytes, spec.packetBytes, protocol, protocol === TCP ? 3 : 1);
  }

  private streamVolume(bytes: number, packetBytes: number, protocol: number): { bytes: number; packets: number } {
    return this.packetise(Math.round(bytes * (0.9 + 0.2 * this.rng.next())), packetBytes, protocol, 1);
  }

  private packetise(bytes: number, packetBytes: number, protocol: number, minimumPackets: number): { bytes: number; packets: number } {
    const packets = Math.max(minimumPackets, Math.round(bytes / Math.max(1, packetBytes)));
    // Every packet carries at least its IP and transport headers.
    const headers = protocol === TCP ? 40 : 28;
    return { bytes: Math.max(bytes, packets * headers), packets };
  }

  /**
   * One record. The exporter that reports it is the access switch of its source (ingress, direction 0), except for
   * traffic arriving from the internet, which the destination's switch reports on egress (direction 1).
   */
  private emit(c: Connection, reverse: boolean, tcpFlags: number, packets: number, bytes: number, startMs: number, endMs: number): void {
    const src = reverse ? c.server : c.client;
    const dst = reverse ? c.client : c.server;
    const fromInternet = src === this.enterprise.gateway;
    const direction = fromInternet ? 1 : 0;
    const exporter = fromInternet ? dst.exporter : src.exporter;
    const sameSwitch = !fromInternet && dst !== this.enterprise.gateway && dst.exporter === src.exporter;
    let srcPort = reverse ? c.serverPort : c.clientPort;
    let dstPort = reverse ? c.clientPort : c.serverPort;
    if (c.protocol === ICMP) {
      // NetFlow carries ICMP type * 256 + code in the destination port: echo request 8/0, echo reply 0/0.
      srcPort = 0;
      dstPort = reverse ? 0 : 8 * 256;
    }
    const flow: SimulatedFlow = {
      exporter,
      srcAddress: reverse ? c.serverAddress : c.clientAddress,
      dstAddress: reverse ? c.clientAddress : c.serverAddress,
      srcPort,
      dstPort,
      protocol: c.protocol,
      tcpFlags: c.protocol === TCP ? tcpFlags : 0,
      bytes,
      packets,
      startMs: Math.round(startMs),
      endMs: Math.round(endMs),
      inputInterface: fromInternet ? UPLINK_IF_INDEX : src.ifIndex,
      outputInterface: fromInternet ? dst.ifIndex : sameSwitch ? dst.ifIndex : UPLINK_IF_INDEX,
      srcMac: src.mac,
      dstMac: dst.mac,
      srcVlan: src.vlan,
      dstVlan: dst.vlan,
      direction,
      srcSgt: c.tagged ? src.sgt : null,
      dstSgt: c.tagged ? dst.sgt : null,
    };
    this.output.push({ at: flow.endMs, seq: this.seq++, flow });
  }

  // ---- peers -----------------------------------------------------------------------------------------------------

  private resolvePeer(self: Endpoint, rule: PeerRule): Peer | null {
    const e = this.enterprise;
    const internal = (index: number): Peer => ({ endpoint: e.endpoints[index], address: e.endpoints[index].ipv4 });
    switch (rule.kind) {
      case 'assigned': {
        const homes = self.assigned[rule.slot];
        if (!homes || homes.length === 0) return null;
        const index = homes.length === 1 || this.rng.next() < 0.8 ? homes[0] : homes[1 + this.rng.int(homes.length - 1)];
        return index === self.index ? null : internal(index);
      }
      case 'role': {
        const members = e.byRole.get(rule.role) ?? [];
        if (members.length === 0 || (members.length === 1 && members[0] === self.index)) return null;
        for (let attempt = 0; attempt < 4; attempt++) {
          const index = members[rule.zipf ? this.roleSampler(rule.role, members.length, rule.zipf).sample(this.rng) : this.rng.int(members.length)];
          if (index !== self.index) return internal(index);
        }
        return null;
      }
      case 'internet':
        if (rule.pool === 'web' && self.ipv6 && this.rng.next() < 0.5) return { endpoint: e.gateway, address: this.internet.pickV6(this.rng) };
        return { endpoint: e.gateway, address: this.internet.pick(this.rng, rule.pool) };
      case 'internet-client':
        return { endpoint: e.gateway, address: randomPublicAddress(this.rng) };
      case 'gateway':
        return self === e.gateway ? null : { endpoint: e.gateway, address: e.gateway.ipv4 };
      case 'targets': {
        const list = e.targets[rule.list];
        if (list.length === 0) return null;
        const index = list[this.rng.int(list.length)];
        return index === self.index ? null : internal(index);
      }
      case 'any-internal': {
        const index = e.internal[this.rng.int(e.internal.length)];
        return index === undefined || index === self.index ? null : internal(index);
      }
      case 'mixed': {
        let u = this.rng.next();
        for (const option of rule.options) {
          u -= option.p;
          if (u < 0) return this.resolvePeer(self, option.rule);
        }
        return this.resolvePeer(self, rule.options[rule.options.length - 1].rule);
      }
    }
  }

  private roleSampler(role: RoleName, size: number, exponent: number): ZipfSampler {
    const key = `${role}/${exponent}`;
    let sampler = this.roleSamplers.get(key);
    if (!sampler || sampler.size !== size) {
      sampler = new ZipfSampler(size, exponent);
      this.roleSamplers.set(key, sampler);
    }
    return sampler;
  }
}
