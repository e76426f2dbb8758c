// Synthetic flow records for a few endpoint roles, for tests and the benchmark's profile-size figure. Not the
// simulator (tools/simulator): just enough realism (ports, directions, peers, volumes, hours) to exercise profiles,
// features and labels. Imported by relative path; not part of the public API.
import { type FlowAddressing } from '../lib/endpoint-key';
import { type FlowObservation } from '../lib/endpoint-profile';
import { SeededRandom } from '../lib/seeded-random';
import { IP_PROTOCOL, TCP_FLAG } from '../lib/service-ports';

export type FlowRecordLike = FlowObservation & FlowAddressing;

interface ServicePattern {
  /** Does the endpoint open (client) or accept (server) these connections. */
  as: 'client' | 'server';
  protocol: number;
  port: number;
  weight: number;
  /** Size of the pool of peers. */
  peers: number;
  /** Mean bytes from client to server and back. */
  requestBytes: number;
  responseBytes: number;
}

export interface RoleDefinition {
  name: string;
  /** Hours of the day (local = UTC here) in which flows start; weekdays only when `weekdaysOnly`. */
  hours: readonly [number, number];
  weekdaysOnly: boolean;
  flowsPerDay: number;
  services: readonly ServicePattern[];
}

const TCP = IP_PROTOCOL.TCP;
const UDP = IP_PROTOCOL.UDP;

export const FLOW_ROLES: Readonly<Record<string, RoleDefinition>> = {
  workstation: {
    name: 'workstation', hours: [8, 18], weekdaysOnly: true, flowsPerDay: 120,
    services: [
      { as: 'client', protocol: TCP, port: 443, weight: 50, peers: 40, requestBytes: 2000, responseBytes: 40000 },
      { as: 'client', protocol: TCP, port: 80, weight: 8, peers: 10, requestBytes: 800, responseBytes: 15000 },
      { as: 'client', protocol: UDP, port: 53, weight: 25, peers: 2, requestBytes: 70, responseBytes: 150 },
      { as: 'client', protocol: TCP, port: 445, weight: 8, peers: 2, requestBytes: 5000, responseBytes: 80000 },
      { as: 'client', protocol: TCP, port: 88, weight: 4, peers: 2, requestBytes: 1500, responseBytes: 1500 },
      { as: 'client', protocol: TCP, port: 9100, weight: 1, peers: 1, requestBytes: 200000, responseBytes: 500 },
    ],
  },
  printer: {
    name: 'printer', hours: [8, 18], weekdaysOnly: true, flowsPerDay: 30,
    services: [
      { as: 'server', protocol: TCP, port: 9100, weight: 70, peers: 25, requestBytes: 300000, responseBytes: 800 },
      { as: 'server', protocol: UDP, port: 161, weight: 20, peers: 1, requestBytes: 90, responseBytes: 300 },
      { as: 'server', protocol: TCP, port: 631, weight: 5, peers: 10, requestBytes: 2000, responseBytes: 2000 },
      { as: 'client', protocol: UDP, port: 53, weight: 5, peers: 2, requestBytes: 70, responseBytes: 150 },
    ],
  },
  camera: {
    name: 'camera', hours: [0, 24], weekdaysOnly: false, flowsPerDay: 48,
    services: [
      { as: 'server', protocol: TCP, port: 554, weight: 60, peers: 2, requestBytes: 600, responseBytes: 2000 },
      { as: 'server', protocol: UDP, port: 16400, weight: 35, peers: 2, requestBytes: 200, responseBytes: 4_000_000 },
      { as: 'client', protocol: UDP, port: 123, weight: 5, peers: 1, requestBytes: 76, responseBytes: 76 },
    ],
  },
  phone: {
    name: 'phone', hours: [8, 18], weekdaysOnly: true, flowsPerDay: 40,
    services: [
      { as: 'client', protocol: UDP, port: 5060, weight: 40, peers: 2, requestBytes: 900, responseBytes: 700 },
      { as: 'server', protocol: UDP, port: 5060, weight: 20, peers: 2, requestBytes: 900, responseBytes: 700 },
      { as: 'client', protocol: UDP, port: 20000, weight: 35, peers: 15, requestBytes: 400000, responseBytes: 400000 },
      { as: 'client', protocol: UDP, port: 53, weight: 5, peers: 2, requestBytes: 70, responseBytes: 150 },
    ],
  },
  'web-server': {
    name: 'web-server', hours: [0, 24], weekdaysOnly: false, flowsPerDay: 1500,
    services: [
      { as: 'server', protocol: TCP, port: 443, weight: 85, peers: 400, requestBytes: 1500, responseBytes: 60000 },
      { as: 'server', protocol: TCP, port: 80, weight: 8, peers: 100, requestBytes: 500, responseBytes: 500 },
      { as: 'client', protocol: TCP, port: 5432, weight: 5, peers: 2, requestBytes: 800, responseBytes: 8000 },
      { as: 'client', protocol: UDP, port: 53, weight: 2, peers: 2, requestBytes: 70, responseBytes: 150 },
    ],
  },
  'iot-sensor': {
    name: 'iot-sensor', hours: [0, 24], weekdaysOnly: false, flowsPerDay: 96,
    services: [
      { as: 'client', protocol: TCP, port: 8883, weight: 85, peers: 1, requestBytes: 400, responseBytes: 120 },
      { as: 'client', protocol: UDP, port: 53, weight: 10, peers: 2, requestBytes: 70, responseBytes: 150 },
      { as: 'client', protocol: UDP, port: 123, weight: 5, peers: 1, requestBytes: 76, responseBytes: 76 },
    ],
  },
};

export const FLOW_ROLE_NAMES = Object.keys(FLOW_ROLES);

/** Monday 2024-01-01 00:00 UTC. */
export const SYNTHETIC_EPOCH_MS = Date.UTC(2024, 0, 1);

function pick(rng: SeededRandom, patterns: readonly ServicePattern[]): ServicePattern {
  let total = 0;
  for (const p of patterns) total += p.weight;
  let u = rng.next() * total;
  for (const p of patterns) {
    u -= p.weight;
    if (u < 0) return p;
  }
  return patterns[patterns.length - 1];
}

/**
 * Flows of one endpoint with key `self` (an IPv4 address) over `days` days: for each connection the request record
 * (client -> server, with SYN and ACK seen) and the response record (server -> client).
 */
export function synthesiseRoleFlows(roleName: string, self: string, days: number, seed: number): FlowRecordLike[] {
  const role = FLOW_ROLES[roleName];
  if (!role) throw new RangeError(`unknown role ${roleName}`);
  const rng = new SeededRandom(seed);
  const flows: FlowRecordLike[] = [];
  const perDay = Math.max(1, Math.round(role.flowsPerDay * (0.7 + 0.6 * rng.next())));
  for (let day = 0; day < days; day++) {
    const weekday = day % 7 < 5;
    if (role.weekdaysOnly && !weekday) continue;
    for (let f = 0; f < perDay; f++) {
      const pattern = pick(rng, role.services);
      const peer = `10.${pattern.port % 200}.${(pattern.port >> 8) % 200}.${1 + rng.nextInt(pattern.peers)}`;
      const hour = role.hours[0] + rng.nextInt(role.hours[1] - role.hours[0]);
      const startMs = SYNTHETIC_EPOCH_MS + day * 86_400_000 + hour * 3_600_000 + rng.nextInt(3_600_000);
      const endMs = startMs + rng.nextInt(30_000);
      const ephemeral = 49152 + rng.nextInt(16000);
      const client = pattern.as === 'client' ? self : peer;
      const server = pattern.as === 'client' ? peer : self;
      const scale = Math.exp(0.5 * rng.normal());
      const flags = pattern.protocol === TCP ? TCP_FLAG.SYN | TCP_FLAG.ACK | TCP_FLAG.PSH | TCP_FLAG.FIN : 0;
      const requestBytes = Math.max(40, Math.round(pattern.requestBytes * scale));
      const responseBytes = Math.max(40, Math.round(pattern.responseBytes * scale));
      flows.push({
        srcAddress: client, dstAddress: server, srcPort: ephemeral, dstPort: pattern.port, protocol: pattern.protocol,
        tcpFlags: flags, bytes: requestBytes, packets: Math.max(1, Math.round(requestBytes / 800)), startMs, endMs,
      });
      flows.push({
        srcAddress: server, dstAddress: client, srcPort: pattern.port, dstPort: ephemeral, protocol: pattern.protocol,
        tcpFlags: flags, bytes: responseBytes, packets: Math.max(1, Math.round(responseBytes / 1200)), startMs, endMs,
      });
    }
  }
  return flows;
}
