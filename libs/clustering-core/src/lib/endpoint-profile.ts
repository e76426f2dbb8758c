import { ByteReader, ByteWriter } from './byte-codec';
import { ClusteringCoreError, ClusteringCoreErrorCode } from './clustering-core.error';
import { type CountMinParameters } from './count-min-sketch';
import { HyperLogLog } from './hyper-log-log';
import { PortTopK } from './port-top-k';
import {
  IP_PROTOCOL,
  ServiceRole,
  initiatorSide,
  serviceKey,
  servicePortOf,
  type FlowPorts,
  type FlowSide,
} from './service-ports';

/** The fields of a flow record a profile reads (structurally a subset of @clarion/netflow's FlowRecord). */
export interface FlowObservation extends FlowPorts {
  /** Bytes and packets, already scaled by the sampling rate. */
  bytes: number;
  packets: number;
  /** Epoch milliseconds; 0 when unknown. */
  startMs: number;
  endMs: number;
}

export interface ProfileParameters {
  /** HyperLogLog precision of distinct peers (10-12). */
  peerPrecision: number;
  /** HyperLogLog precision of distinct client and server services (10-12). */
  servicePrecision: number;
  /** Service keys counted by name before the Count-Min sketch takes over. */
  portCapacity: number;
  portSketch: CountMinParameters;
  /** Offset of the tenant's local time from UTC, for hour-of-week activity and business hours. */
  utcOffsetMinutes: number;
}

export const DEFAULT_PROFILE_PARAMETERS: Readonly<ProfileParameters> = Object.freeze({
  peerPrecision: 11,
  servicePrecision: 10,
  portCapacity: 32,
  portSketch: Object.freeze({ width: 64, depth: 4, seed: 0x5eed_c0de }),
  utcOffsetMinutes: 0,
});

export const HOURS_PER_WEEK = 168;
/** Business hours: Monday to Friday, 08:00 to 18:00 local time. */
export const BUSINESS_START_HOUR = 8;
export const BUSINESS_END_HOUR = 18;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export const PROTOCOL_BUCKETS = ['tcp', 'udp', 'icmp', 'other'] as const;

const PROFILE_MAGIC = 0xc1;
const PROFILE_VERSION = 1;

function protocolBucket(protocol: number): number {
  if (protocol === IP_PROTOCOL.TCP) return 0;
  if (protocol === IP_PROTOCOL.UDP) return 1;
  if (protocol === IP_PROTOCOL.ICMP || protocol === IP_PROTOCOL.ICMPV6) return 2;
  return 3;
}

/** Local hour of the week, Monday 00:00 = 0 (1970-01-01 was a Thursday). */
export function hourOfWeek(epochMs: number, utcOffsetMinutes: number): number {
  const local = epochMs + utcOffsetMinutes * 60_000;
  const day = Math.floor(local / DAY_MS);
  const dayOfWeek = (((day + 3) % 7) + 7) % 7;
  const hour = Math.floor((local - day * DAY_MS) / HOUR_MS);
  return dayOfWeek * 24 + hour;
}

function nonNegativeInteger(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.min(Math.round(value), Number.MAX_SAFE_INTEGER) : 0;
}

/**
 * The behaviour of one endpoint, built incrementally from the flows where it is the source and those where it is the
 * destination, small (a few hundred bytes for most endpoints) and mergeable: two profiles of the same endpoint from two
 * collectors merge into exactly what one collector seeing all flows would hold (HyperLogLog register max, counter
 * sums, min/max of times, OR of the activity mask; the service top-k is exact while it holds all keys, see PortTopK).
 */
export class EndpointProfile {
  readonly parameters: ProfileParameters;
  flows = 0;
  /** Flows where this endpoint is the source / the destination of the record. */
  flowsOut = 0;
  flowsIn = 0;
  /** Flows of connections this endpoint opened / accepted. */
  flowsAsClient = 0;
  flowsAsServer = 0;
  bytesIn = 0;
  bytesOut = 0;
  packetsIn = 0;
  packetsOut = 0;
  /** Flows per protocol bucket: tcp, udp, icmp, other. */
  readonly protocolFlows = new Float64Array(PROTOCOL_BUCKETS.length);
  /** Flows per local hour of day (by flow start). */
  readonly hourOfDayFlows = new Float64Array(24);
  /** Flows starting Monday-Friday 08:00-18:00 local. */
  businessHourFlows = 0;
  /** Flows starting on Saturday or Sunday local. */
  weekendFlows = 0;
  /** Bit per local hour of the week (Monday 00:00 = bit 0) in which the endpoint had a flow. */
  readonly activityMask = new Uint8Array(HOURS_PER_WEEK / 8);
  firstSeenMs = Number.POSITIVE_INFINITY;
  lastSeenMs = Number.NEGATIVE_INFINITY;
  readonly peers: HyperLogLog;
  /** Distinct (protocol, port) services this endpoint used as a client. */
  readonly clientServices: HyperLogLog;
  /** Distinct (protocol, port) services this endpoint offered as a server. */
  readonly serverServices: HyperLogLog;
  /** Flow counts per service key (role, protocol, server port). */
  readonly services: PortTopK;

  constructor(parameters: ProfileParameters = DEFAULT_PROFILE_PARAMETERS) {
    this.parameters = { ...parameters, portSketch: { ...parameters.portSketch } };
    this.peers = new HyperLogLog(parameters.peerPrecision);
    this.clientServices = new HyperLogLog(parameters.servicePrecision);
    this.serverServices = new HyperLogLog(parameters.servicePrecision);
    this.services = new PortTopK({ capacity: parameters.portCapacity, sketch: parameters.portSketch });
  }

  /**
   * Adds one flow record in which this endpoint is on `side`; `peer` is the endpoint key on the other side.
   * Returns the role this endpoint played.
   */
  observe(flow: FlowObservation, side: FlowSide, peer: string): ServiceRole {
    const initiator = initiatorSide(flow);
    const role = initiator === side ? ServiceRole.CLIENT : ServiceRole.SERVER;
    const port = servicePortOf(flow, initiator);
    const protocol = flow.protocol & 0xff;
    const bytes = nonNegativeInteger(flow.bytes);
    const packets = nonNegativeInteger(flow.packets);
    this.flows++;
    if (side === 'src') {
      this.flowsOut++;
      this.bytesOut += bytes;
      this.packetsOut += packets;
    } else {
      this.flowsIn++;
      this.bytesIn += bytes;
      this.packetsIn += packets;
    }
    const service = serviceKey(ServiceRole.CLIENT, protocol, port);
    if (role === ServiceRole.CLIENT) {
      this.flowsAsClient++;
      this.clientServices.addUint32(service);
    } else {
      this.flowsAsServer++;
      this.serverServices.addUint32(service);
    }
    this.services.add(serviceKey(role, protocol, port));
    this.peers.add(peer);
    this.protocolFlows[protocolBucket(protocol)]++;
    this.observeTime(flow.startMs > 0 ? flow.startMs : flow.endMs, flow.endMs > 0 ? flow.endMs : flow.startMs);
    return role;
  }

  private observeTime(startMs: number, endMs: number): void {
    if (!(startMs > 0) || !Number.isFinite(startMs)) return;
    const end = endMs >= startMs && Number.isFinite(endMs) ? endMs : startMs;
    const offset = this.parameters.utcOffsetMinutes;
    if (startMs < this.firstSeenMs) this.firstSeenMs = Math.round(startMs);
    if (end > this.lastSeenMs) this.lastSeenMs = Math.round(end);
    const startHour = hourOfWeek(startMs, offset);
    const hourOfDay = startHour % 24;
    this.hourOfDayFlows[hourOfDay]++;
    const day = Math.floor(startHour / 24);
    if (day >= 5) this.weekendFlows++;
    else if (hourOfDay >= BUSINESS_START_HOUR && hourOfDay < BUSINESS_END_HOUR) this.businessHourFlows++;
    // Long flows light every hour they span (at most a full week).
    const spanHours = Math.min(HOURS_PER_WEEK - 1, Math.floor(end / HOUR_MS) - Math.floor(startMs / HOUR_MS));
    for (let h = 0; h <= spanHours; h++) {
      const bit = (startHour + h) % HOURS_PER_WEEK;
      this.activityMask[bit >>> 3] |= 1 << (bit & 7);
    }
  }

  /** Number of distinct hours of the week with activity. */
  activeHoursOfWeek(): number {
    let n = 0;
    for (const byte of this.activityMask) {
      let b = byte;
      while (b) {
        b &= b - 1;
        n++;
      }
    }
    return n;
  }

  isCompatible(other: EndpointProfile): boolean {
    const a = this.parameters;
    const b = other.parameters;
    return (
      a.peerPrecision === b.peerPrecision &&
      a.servicePrecision === b.servicePrecision &&
      a.utcOffsetMinutes === b.utcOffsetMinutes &&
      this.services.isCompatible(other.services)
    );
  }

  /** Folds `other` (the same endpoint seen elsewhere) into this profile. */
  mergeFrom(other: EndpointProfile): this {
    if (!this.isCompatible(other)) {
      throw new ClusteringCoreError(ClusteringCoreErrorCode.INCOMPATIBLE_PARAMETERS, 'profiles were built with different parameters');
    }
    this.flows += other.flows;
    this.flowsOut += other.flowsOut;
    this.flowsIn += other.flowsIn;
    this.flowsAsClient += other.flowsAsClient;
    this.flowsAsServer += other.flowsAsServer;
    this.bytesIn += other.bytesIn;
    this.bytesOut += other.bytesOut;
    this.packetsIn += other.packetsIn;
    this.packetsOut += other.packetsOut;
    for (let i = 0; i < this.protocolFlows.length; i++) this.protocolFlows[i] += other.protocolFlows[i];
    for (let i = 0; i < 24; i++) this.hourOfDayFlows[i] += other.hourOfDayFlows[i];
    this.businessHourFlows += other.businessHourFlows;
    this.weekendFlows += other.weekendFlows;
    for (let i = 0; i < this.activityMask.length; i++) this.activityMask[i] |= other.activityMask[i];
    this.firstSeenMs = Math.min(this.firstSeenMs, other.firstSeenMs);
    this.lastSeenMs = Math.max(this.lastSeenMs, other.lastSeenMs);
    this.peers.mergeFrom(other.peers);
    this.clientServices.mergeFrom(other.clientServices);
    this.serverServices.mergeFrom(other.serverServices);
    this.services.mergeFrom(other.services);
    return this;
  }

  clone(): EndpointProfile {
    return decodeProfile(encodeProfile(this));
  }

  /** Figures for an API response or a log line. */
  summary(): EndpointProfileSummary {
    return {
      flows: this.flows,
      flowsAsClient: this.flowsAsClient,
      flowsAsServer: this.flowsAsServer,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      packetsIn: this.packetsIn,
      packetsOut: this.packetsOut,
      distinctPeers: Math.round(this.peers.estimate()),
      distinctClientServices: Math.round(this.clientServices.estimate()),
      distinctServerServices: Math.round(this.serverServices.estimate()),
      activeHoursOfWeek: this.activeHoursOfWeek(),
      firstSeenMs: Number.isFinite(this.firstSeenMs) ? this.firstSeenMs : null,
      lastSeenMs: Number.isFinite(this.lastSeenMs) ? this.lastSeenMs : null,
      topServices: this.services
        .entries()
        .slice(0, 5)
        .map((e) => ({ key: e.key, flows: e.count })),
    };
  }
}

export interface EndpointProfileSummary {
  flows: number;
  flowsAsClient: number;
  flowsAsServer: number;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  distinctPeers: number;
  distinctClientServices: number;
  distinctServerServices: number;
  activeHoursOfWeek: number;
  firstSeenMs: number | null;
  lastSeenMs: number | null;
  /** Heaviest service keys (see parseServiceKey) with their flow counts. */
  topServices: Array<{ key: number; flows: number }>;
}

/** A new profile holding `a` and `b` merged; neither input changes. */
export function mergeProfiles(a: EndpointProfile, b: EndpointProfile): EndpointProfile {
  return a.clone().mergeFrom(b);
}

/**
 * Compact binary form: magic, version, parameters, counters as varints, times, activity mask, the three HyperLogLogs
 * (sparse when small) and the service top-k. Canonical: equal profiles encode to equal bytes.
 */
export function encodeProfile(profile: EndpointProfile): Uint8Array {
  const w = new ByteWriter(256);
  const p = profile.parameters;
  w.u8(PROFILE_MAGIC);
  w.u8(PROFILE_VERSION);
  w.u8(Math.log2(p.portSketch.width));
  w.u8(p.portSketch.depth);
  w.varint(p.portSketch.seed >>> 0);
  w.svarint(p.utcOffsetMinutes);
  for (const v of [profile.flows, profile.flowsOut, profile.flowsIn, profile.flowsAsClient, profile.flowsAsServer]) w.varint(v);
  for (const v of [profile.bytesIn, profile.bytesOut, profile.packetsIn, profile.packetsOut]) w.varint(v);
  for (const v of profile.protocolFlows) w.varint(v);
  for (const v of profile.hourOfDayFlows) w.varint(v);
  w.varint(profile.businessHourFlows);
  w.varint(profile.weekendFlows);
  const hasTimes = Number.isFinite(profile.firstSeenMs) && Number.isFinite(profile.lastSeenMs);
  w.u8(hasTimes ? 1 : 0);
  if (hasTimes) {
    w.varint(profile.firstSeenMs);
    w.varint(profile.lastSeenMs - profile.firstSeenMs);
  }
  w.bytes(profile.activityMask);
  profile.peers.encode(w);
  profile.clientServices.encode(w);
  profile.serverServices.encode(w);
  profile.services.encode(w);
  return w.finish();
}

export function decodeProfile(bytes: Uint8Array): EndpointProfile {
  const r = new ByteReader(bytes);
  if (r.u8() !== PROFILE_MAGIC) r.corrupt('not an endpoint profile');
  if (r.u8() !== PROFILE_VERSION) r.corrupt('unsupported endpoint profile version');
  const log2Width = r.u8();
  const depth = r.u8();
  const seed = r.varint();
  if (log2Width < 3 || log2Width > 16 || depth < 1 || depth > 16 || seed > 0xffffffff) r.corrupt('bad profile sketch shape');
  const utcOffsetMinutes = r.svarint();
  const counters: number[] = [];
  for (let i = 0; i < 9; i++) counters.push(r.varint());
  const protocolFlows = Array.from({ length: PROTOCOL_BUCKETS.length }, () => r.varint());
  const hourOfDayFlows = Array.from({ length: 24 }, () => r.varint());
  const businessHourFlows = r.varint();
  const weekendFlows = r.varint();
  const hasTimes = r.u8();
  if (hasTimes > 1) r.corrupt('bad profile time flag');
  let firstSeenMs = Number.POSITIVE_INFINITY;
  let lastSeenMs = Number.NEGATIVE_INFINITY;
  if (hasTimes) {
    firstSeenMs = r.varint();
    lastSeenMs = firstSeenMs + r.varint();
  }
  const mask = r.bytes(HOURS_PER_WEEK / 8);
  const peers = HyperLogLog.decode(r);
  const clientServices = HyperLogLog.decode(r);
  const serverServices = HyperLogLog.decode(r);
  if (clientServices.precision !== serverServices.precision) r.corrupt('service HyperLogLogs differ in precision');
  const portSketch = { width: 1 << log2Width, depth, seed };
  const services = PortTopK.decode(r, portSketch);
  r.expectEnd();
  const profile = new EndpointProfile({
    peerPrecision: peers.precision,
    servicePrecision: clientServices.precision,
    portCapacity: services.capacity,
    portSketch,
    utcOffsetMinutes,
  });
  [profile.flows, profile.flowsOut, profile.flowsIn, profile.flowsAsClient, profile.flowsAsServer] = counters;
  [profile.bytesIn, profile.bytesOut, profile.packetsIn, profile.packetsOut] = counters.slice(5);
  profile.protocolFlows.set(protocolFlows);
  profile.hourOfDayFlows.set(hourOfDayFlows);
  profile.businessHourFlows = businessHourFlows;
  profile.weekendFlows = weekendFlows;
  profile.firstSeenMs = firstSeenMs;
  profile.lastSeenMs = lastSeenMs;
  profile.activityMask.set(mask);
  profile.peers.mergeFrom(peers);
  profile.clientServices.mergeFrom(clientServices);
  profile.serverServices.mergeFrom(serverServices);
  profile.services.mergeFrom(services);
  return profile;
}
