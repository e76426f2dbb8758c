import { buildEnterprise, type Endpoint, type Enterprise } from './enterprise';
import { FlowGenerator, type FlowGeneratorOptions } from './flow-generator';
import { ROLE_NAMES, type RoleName } from './role-archetypes';
import { DAY_MS, HOUR_MS, localTime } from './rhythm';
import { type SimulatedFlow } from './simulated-flow';

/** Monday 2024-01-01 00:00 UTC. */
const MONDAY = Date.UTC(2024, 0, 1);
const TCP = 6;
const UDP = 17;
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/** The first element that breaks a rule (undefined when none does): one assertion instead of one per flow. */
function firstViolation<T>(items: readonly T[], rule: (item: T) => boolean): T | undefined {
  return items.find((item) => !rule(item));
}

const maxOf = (values: readonly number[]): number => values.reduce((a, b) => Math.max(a, b), -Infinity);

function generate(enterprise: Enterprise, untilMs: number, options: Partial<FlowGeneratorOptions> = {}, max = Infinity): SimulatedFlow[] {
  const generator = new FlowGenerator(enterprise, { startMs: MONDAY, ...options });
  const flows: SimulatedFlow[] = [];
  generator.generate(untilMs, max, flows);
  return flows;
}

function byMac(enterprise: Enterprise): Map<string, Endpoint> {
  return new Map(enterprise.endpoints.map((e) => [e.mac, e]));
}

const only = (roles: RoleName[], count: number): Partial<Record<RoleName, number>> =>
  Object.fromEntries(ROLE_NAMES.map((r) => [r, roles.includes(r) ? count : 0]));

describe('FlowGenerator', () => {
  const enterprise = buildEnterprise({ seed: 7, endpoints: 160, noise: 0.05 });
  const day = generate(enterprise, MONDAY + DAY_MS, { sgtShare: 0.3 });
  const endpoints = byMac(enterprise);
  const roleOf = (mac: string): string => endpoints.get(mac)!.role;
  /** Flows between endpoints that follow their role (irregular endpoints touch everyone). */
  const regular = day.filter((f) => roleOf(f.srcMac) !== 'irregular' && roleOf(f.dstMac) !== 'irregular');
  /**
   * Ports a role's endpoints serve: answers of connections they accepted (source is the role, source port below the
   * ephemeral range), leaving out the resets they send to scanners.
   */
  const servedPorts = (role: RoleName, protocol: number): Set<number> =>
    new Set(regular.filter((f) => roleOf(f.srcMac) === role && f.protocol === protocol && f.srcPort < 32768 && (f.tcpFlags & RST) === 0).map((f) => f.srcPort));

  it('produces the same flows for the same seed, however the generation is sliced', () => {
    const again = buildEnterprise({ seed: 7, endpoints: 160, noise: 0.05 });
    const oneGo = generate(again, MONDAY + 2 * HOUR_MS, { sgtShare: 0.3 });
    const generator = new FlowGenerator(again, { startMs: MONDAY, sgtShare: 0.3 });
    const sliced: SimulatedFlow[] = [];
    for (let t = MONDAY; t < MONDAY + 2 * HOUR_MS; t += 7 * 60_000) while (generator.generate(t, 97, sliced) === 97);
    generator.generate(MONDAY + 2 * HOUR_MS, Infinity, sliced);
    expect(oneGo.length).toBeGreaterThan(1000);
    expect(sliced).toEqual(oneGo);
    expect(day.slice(0, oneGo.length)).toEqual(oneGo);

    const other = generate(buildEnterprise({ seed: 8, endpoints: 160, noise: 0.05 }), MONDAY + 2 * HOUR_MS);
    expect(other.slice(0, 100)).not.toEqual(oneGo.slice(0, 100));
  });

  it('emits flows in the order an exporter exports them: by end time, each after its start', () => {
    expect(day.findIndex((f, i) => i > 0 && f.endMs < day[i - 1].endMs)).toBe(-1);
    expect(firstViolation(day, (f) => f.startMs <= f.endMs && f.packets > 0 && f.bytes >= f.packets * 28)).toBeUndefined();
  });

  it('gives each role its characteristic services', () => {
    expect(servedPorts('printer', TCP)).toEqual(new Set([9100, 631, 515]));
    expect(servedPorts('printer', UDP)).toContain(161);
    expect(servedPorts('ip-camera', TCP)).toContain(554);
    expect(servedPorts('directory-server', UDP)).toEqual(new Set([53, 123]));
    expect(servedPorts('directory-server', TCP)).toEqual(new Set([88, 389, 636]));
    expect([...servedPorts('web-server', TCP)]).toEqual(expect.arrayContaining([443, 80]));
    expect(servedPorts('file-server', TCP)).toContain(445);
    expect(servedPorts('call-manager', UDP)).toEqual(new Set([5060, 69]));
    expect(servedPorts('mqtt-broker', TCP)).toEqual(new Set([1883, 8883]));
    expect(servedPorts('access-control-server', TCP)).toEqual(new Set([3001]));
    for (const port of servedPorts('database-server', TCP)) expect([22, 5432, 3306, 1433]).toContain(port);

    // Phones: SIP from 5060 to 5060, RTP between even high ports, mostly to other phones.
    const phones = regular.filter((f) => roleOf(f.srcMac) === 'voip-phone');
    expect(phones.some((f) => f.srcPort === 5060 && f.dstPort === 5060 && roleOf(f.dstMac) === 'call-manager')).toBe(true);
    const rtp = phones.filter((f) => f.protocol === UDP && f.srcPort >= 16384 && f.srcPort <= 32766);
    expect(rtp.length).toBeGreaterThan(0);
    expect(firstViolation(rtp, (f) => f.srcPort % 2 === 0 && f.dstPort % 2 === 0)).toBeUndefined();
    expect(rtp.filter((f) => roleOf(f.dstMac) === 'voip-phone').length / rtp.length).toBeGreaterThan(0.6);

    // IoT sensors talk MQTT to their broker and little else, in small volumes.
    const sensors = regular.filter((f) => roleOf(f.srcMac) === 'iot-sensor');
    const mqtt = sensors.filter((f) => f.dstPort === 1883 || f.dstPort === 8883);
    expect(firstViolation(mqtt, (f) => roleOf(f.dstMac) === 'mqtt-broker')).toBeUndefined();
    expect(mqtt.length / sensors.length).toBeGreaterThan(0.3);
    expect(maxOf(mqtt.map((f) => f.bytes))).toBeLessThan(200_000);

    // Cameras stream to the NVR: megabytes per report.
    const video = regular.filter((f) => roleOf(f.srcMac) === 'ip-camera' && roleOf(f.dstMac) === 'nvr' && f.bytes > 10_000_000);
    expect(video.length).toBeGreaterThan(0);

    // Badge readers only talk to the access-control server and the directory.
    const badges = regular.filter((f) => roleOf(f.srcMac) === 'badge-reader');
    expect(badges.length).toBeGreaterThan(0);
    expect(firstViolation(badges, (f) => ['access-control-server', 'directory-server'].includes(roleOf(f.dstMac)))).toBeUndefined();
  });

  it('keeps guests on the internet: every flow of a guest goes to or comes from the gateway, DNS included', () => {
    const guest = day.filter((f) => roleOf(f.srcMac) === 'guest-device' || roleOf(f.dstMac) === 'guest-device');
    expect(guest.length).toBeGreaterThan(0);
    expect(firstViolation(guest, (f) => roleOf(f.srcMac) === 'internet-gateway' || roleOf(f.dstMac) === 'internet-gateway')).toBeUndefined();
    expect(guest.some((f) => f.dstPort === 53 && f.dstAddress === enterprise.gateway.ipv4)).toBe(true);
  });

  it('uses ephemeral client ports towards well-known server ports, and the reverse on the way back', () => {
    const workstationRequests = regular.filter((f) => roleOf(f.srcMac) === 'workstation' && [53, 443, 445, 88, 389].includes(f.dstPort));
    expect(workstationRequests.length).toBeGreaterThan(100);
    expect(firstViolation(workstationRequests, (f) => f.srcPort >= 49152)).toBeUndefined();
    const developerRequests = regular.filter((f) => roleOf(f.srcMac) === 'developer' && [53, 22, 443].includes(f.dstPort));
    expect(developerRequests.length).toBeGreaterThan(100);
    expect(firstViolation(developerRequests, (f) => f.srcPort >= 32768 && f.srcPort <= 60999)).toBeUndefined();
    const answers = regular.filter((f) => roleOf(f.srcMac) === 'directory-server' && f.srcPort === 53 && roleOf(f.dstMac) === 'workstation');
    expect(answers.length).toBeGreaterThan(100);
    expect(firstViolation(answers, (f) => f.dstPort >= 49152)).toBeUndefined();
    // TCP flows carry ACK; short connections show their whole life (SYN, FIN) in both directions.
    const web = regular.filter((f) => f.protocol === TCP && (f.dstPort === 443 || f.srcPort === 443));
    expect(firstViolation(web, (f) => (f.tcpFlags & ACK) !== 0)).toBeUndefined();
    const complete = web.filter((f) => (f.tcpFlags & (SYN | ACK | FIN)) === (SYN | ACK | FIN));
    expect(complete.length / web.length).toBeGreaterThan(0.9);
  });

  it('tags the configured share of flows with the endpoints SGTs, and reports every endpoint with its VLAN', () => {
    const tagged = day.filter((f) => f.srcSgt !== null);
    expect(tagged.length / day.length).toBeGreaterThan(0.25);
    expect(tagged.length / day.length).toBeLessThan(0.35);
    expect(firstViolation(tagged, (f) => f.srcSgt === endpoints.get(f.srcMac)!.sgt && f.dstSgt === endpoints.get(f.dstMac)!.sgt)).toBeUndefined();
    expect(firstViolation(day, (f) => f.srcVlan === endpoints.get(f.srcMac)!.vlan && f.dstVlan === endpoints.get(f.dstMac)!.vlan)).toBeUndefined();
    // Traffic from the internet is seen on egress of the destination's switch; everything else on ingress.
    expect(firstViolation(day, (f) => f.direction === (roleOf(f.srcMac) === 'internet-gateway' ? 1 : 0))).toBeUndefined();
  });

  it('keeps workstations to business hours on weekdays, and cameras busy around the clock', () => {
    const e = buildEnterprise({ seed: 3, endpoints: 30, mix: { ...only(['workstation', 'ip-camera'], 1), 'directory-server': 0.1, nvr: 0.05 } });
    const week = generate(e, MONDAY + 7 * DAY_MS);
    const macs = byMac(e);
    const hoursOf = (role: string): number[] => week.filter((f) => macs.get(f.srcMac)!.role === role).map((f) => f.startMs);
    const workstation = hoursOf('workstation');
    const businessHours = workstation.filter((t) => {
      const local = localTime(t, 0);
      return local.dayOfWeek < 5 && local.hour >= 7.5 && local.hour < 18.5;
    });
    expect(workstation.length).toBeGreaterThan(5000);
    expect(businessHours.length / workstation.length).toBeGreaterThan(0.85);
    const weekend = workstation.filter((t) => localTime(t, 0).dayOfWeek >= 5);
    expect(weekend.length / workstation.length).toBeLessThan(0.03);

    const camera = hoursOf('ip-camera');
    const night = camera.filter((t) => localTime(t, 0).hour < 6);
    expect(night.length / camera.length).toBeGreaterThan(0.2);
    expect(night.length / camera.length).toBeLessThan(0.3);
  });

  it('follows the local time zone of the enterprise', () => {
    const e = buildEnterprise({ seed: 4, endpoints: 40, mix: { ...only(['workstation'], 1), 'directory-server': 0.1 } });
    const flows = generate(e, MONDAY + DAY_MS, { utcOffsetMinutes: -300 });
    const macs = byMac(e);
    const starts = flows.filter((f) => macs.get(f.srcMac)!.role === 'workstation').map((f) => new Date(f.startMs).getUTCHours());
    // 09:00-17:00 in New York is 14:00-22:00 UTC.
    const inUtcOffice = starts.filter((h) => h >= 13 && h < 23).length;
    expect(inUtcOffice / starts.length).toBeGreaterThan(0.8);
  });

  it('backs servers up at night, in large transfers to the backup server', () => {
    const backups = day.filter((f) => f.dstPort === 873 && roleOf(f.dstMac) === 'backup-server');
    const opened = backups.filter((f) => (f.tcpFlags & SYN) !== 0);
    const servers = new Set(['web-server', 'database-server', 'file-server', 'directory-server']);
    expect([...new Set(opened.map((f) => roleOf(f.srcMac)))]).toEqual(expect.arrayContaining([...servers]));
    expect(firstViolation(opened, (f) => localTime(f.startMs, 0).hour >= 1 && localTime(f.startMs, 0).hour < 4)).toBeUndefined();
    expect(maxOf(backups.map((f) => f.bytes))).toBeGreaterThan(100_000_000);
  });

  it('reports long connections every active timeout', () => {
    const flows = generate(enterprise, MONDAY + 6 * HOUR_MS, { activeTimeoutMs: 60_000 });
    const longest = maxOf(flows.map((f) => f.endMs - f.startMs));
    expect(longest).toBeLessThanOrEqual(60_000);
    const cameraReports = flows.filter((f) => roleOf(f.srcMac) === 'ip-camera' && f.bytes > 1_000_000);
    expect(cameraReports.length).toBeGreaterThan(enterprise.byRole.get('ip-camera')!.length * 100);
  });

  it('lets irregular endpoints do things no role does', () => {
    const irregular = enterprise.endpoints.filter((e) => e.role === 'irregular');
    expect(irregular.length).toBeGreaterThan(0);
    const macs = new Set(irregular.map((e) => e.mac));
    const theirs = day.filter((f) => macs.has(f.srcMac) || macs.has(f.dstMac));
    expect(theirs.length).toBeGreaterThan(0);
  });
});
