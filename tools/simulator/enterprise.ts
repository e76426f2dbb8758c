// The synthetic enterprise: every endpoint with its role, group, VLAN, SGT, MAC and IP addresses, the switch
// (exporter) and port it hangs off, its home servers (domain controllers, file server, printer, ...) and what it does.
// Built from a seed alone: the same options give the same enterprise.
import { buildInternet, type InternetPools } from './internet';
import {
  GROUPS,
  PING_TARGET_ROLES,
  ROLES,
  ROLE_NAMES,
  SERVICES,
  SNMP_TARGET_ROLES,
  type Activity,
  type GroupName,
  type OsFamily,
  type RoleName,
  type SessionChoice,
  type Slot,
  type TruthRole,
} from './role-archetypes';
import { Rhythm, isPeopleRhythm } from './rhythm';
import { SeededRandom, cumulativeOf } from './seeded-random';

export interface Endpoint {
  index: number;
  role: TruthRole;
  /** Irregular endpoints: what they do instead of a role ('scanner', 'p2p+chimera', ...). */
  pattern: string | null;
  /** Role variant ('rtsp-udp' camera, 'mqtts' sensor, 'replica' database), null when the role has none. */
  variant: string | null;
  group: GroupName;
  vlan: number;
  sgt: number;
  mac: string;
  ipv4: string;
  ipv6: string | null;
  os: OsFamily;
  /** Index of the exporter (access switch) that reports its traffic, and its switch port's ifIndex. */
  exporter: number;
  ifIndex: number;
  /** The endpoint's own service port (a database's engine port); 0 when it has none. */
  servicePort: number;
  activities: readonly Activity[];
  /** Multiplier of every session rate: people and machines of one role are not all equally busy. */
  activityScale: number;
  /** Shift of working hours, minutes (people-driven rhythms only). */
  shiftMinutes: number;
  /** Home servers by slot (indices into Enterprise.endpoints); the first is preferred. */
  assigned: Partial<Record<Slot, readonly number[]>>;
}

export interface Enterprise {
  seed: number;
  /** Every endpoint; the internet gateway is the last one. */
  endpoints: readonly Endpoint[];
  gateway: Endpoint;
  /** Regular endpoints of each role. */
  byRole: ReadonlyMap<RoleName, readonly number[]>;
  /** Regular endpoints reachable inside the network (not guests, not the gateway): peers of irregular endpoints. */
  internal: readonly number[];
  targets: { snmp: readonly number[]; ping: readonly number[] };
  internet: InternetPools;
  exporters: number;
}

export interface EnterpriseOptions {
  seed: number;
  /** Endpoints besides the internet gateway. */
  endpoints: number;
  /** Role weights; roles left out keep their default weight, weight 0 removes a role. */
  mix?: Partial<Record<RoleName, number>>;
  /** Share of endpoints that are irregular (do random things instead of following a role). */
  noise?: number;
  exporters?: number;
  /** Share of user, engineering and guest endpoints that are dual-stack (IPv6 to the internet). */
  ipv6Share?: number;
}

/** Uplink ifIndex of every simulated access switch. */
export const UPLINK_IF_INDEX = 1;
const FIRST_ACCESS_IF_INDEX = 1001;

/** How many endpoints of each role: largest remainder on the weights, then the minimums that dependants need. */
export function roleCounts(total: number, mix: Partial<Record<RoleName, number>> = {}): Map<RoleName, number> {
  const weights = new Map<RoleName, number>(ROLE_NAMES.map((r) => [r, Math.max(0, mix[r] ?? ROLES[r].defaultWeight)]));
  const sum = [...weights.values()].reduce((a, b) => a + b, 0);
  const counts = new Map<RoleName, number>(ROLE_NAMES.map((r) => [r, 0]));
  if (sum <= 0 || total <= 0) return counts;
  const remainders: Array<[RoleName, number]> = [];
  let assignedTotal = 0;
  for (const r of ROLE_NAMES) {
    const exact = (total * weights.get(r)!) / sum;
    counts.set(r, Math.floor(exact));
    assignedTotal += Math.floor(exact);
    remainders.push([r, exact - Math.floor(exact)]);
  }
  remainders.sort((a, b) => b[1] - a[1] || ROLE_NAMES.indexOf(a[0]) - ROLE_NAMES.indexOf(b[0]));
  for (let i = 0; assignedTotal < total && i < remainders.length; i++, assignedTotal++) counts.set(remainders[i][0], counts.get(remainders[i][0])! + 1);

  // A role that others depend on (and that the mix did not remove) gets at least its minimum.
  const minimumOf = (r: RoleName): number => {
    const def = ROLES[r];
    if (weights.get(r) === 0 || !def.requiredBy?.some((d) => counts.get(d)! > 0)) return 0;
    return def.minimum ?? 1;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const r of ROLE_NAMES) {
      const minimum = minimumOf(r);
      while (counts.get(r)! < minimum) {
        // Take from the largest role that stays above its own minimum.
        const donor = ROLE_NAMES.filter((d) => d !== r && counts.get(d)! > Math.max(1, minimumOf(d))).sort(
          (a, b) => counts.get(b)! - counts.get(a)!,
        )[0];
        if (donor) counts.set(donor, counts.get(donor)! - 1);
        counts.set(r, counts.get(r)! + 1);
        changed = true;
      }
    }
  }
  return counts;
}

const IRREGULAR_PATTERNS = ['chimera', 'scanner', 'rogue-server', 'p2p', 'exfiltration'] as const;
const IRREGULAR_GROUPS: readonly GroupName[] = ['users', 'users', 'engineering', 'servers', 'iot', 'guest'];

export function buildEnterprise(options: EnterpriseOptions): Enterprise {
  const seed = options.seed >>> 0;
  const root = new SeededRandom(seed);
  const rng = root.fork(1);
  const internet = buildInternet(root.fork(2));
  const exporters = Math.max(1, Math.floor(options.exporters ?? 1));
  const noise = Math.min(1, Math.max(0, options.noise ?? 0));
  const total = Math.max(0, Math.floor(options.endpoints));
  const irregularCount = Math.round(total * noise);
  const counts = roleCounts(total - irregularCount, options.mix);

  const endpoints: Endpoint[] = [];
  const byRole = new Map<RoleName, number[]>(ROLE_NAMES.map((r) => [r, []]));
  const hostsInGroup = new Map<GroupName, number>();
  const ifIndexInExporter = new Array<number>(exporters).fill(FIRST_ACCESS_IF_INDEX);
  const macs = new MacAllocator(rng.fork(3));
  const ipv6Share = Math.min(1, Math.max(0, options.ipv6Share ?? 0));

  const place = (role: TruthRole, group: GroupName, ouis: readonly string[], os: OsFamily): Endpoint => {
    const index = endpoints.length;
    const host = hostsInGroup.get(group) ?? 0;
    hostsInGroup.set(group, host + 1);
    const exporter = group === 'infrastructure' ? 0 : index % exporters;
    const dualStack = (group === 'users' || group === 'engineering' || group === 'guest') && ipv6Share > 0 && rng.chance(ipv6Share);
    const endpoint: Endpoint = {
      index,
      role,
      pattern: null,
      variant: null,
      group,
      vlan: GROUPS[group].vlan,
      sgt: 0,
      mac: macs.next(ouis),
      ipv4: hostAddress(GROUPS[group].subnetOctet, host),
      ipv6: dualStack ? hostAddressV6(GROUPS[group].vlan, host) : null,
      os,
      exporter,
      ifIndex: group === 'infrastructure' ? UPLINK_IF_INDEX : ifIndexInExporter[exporter]++,
      servicePort: 0,
      activities: [],
      activityScale: 1,
      shiftMinutes: 0,
      assigned: {},
    };
    endpoints.push(endpoint);
    return endpoint;
  };

  for (const r of ROLE_NAMES) {
    const def = ROLES[r];
    for (let i = 0; i < counts.get(r)!; i++) {
      const e = place(r, def.group, def.ouis, r === 'guest-device' ? (rng.chance(0.5) ? 'linux' : 'windows') : def.os);
      e.sgt = def.sgt;
      let activities: Activity[] = [...def.activities];
      if (def.variants?.length) {
        const variant = def.variants[rng.weighted(cumulativeOf(def.variants.map((x) => x.weight)))];
        e.variant = variant.name;
        activities = activities.concat(variant.activities);
      }
      if (def.servicePorts?.length) e.servicePort = def.servicePorts[rng.weighted(cumulativeOf(def.servicePorts.map((p) => p.weight)))].port;
      e.activities = activities;
      const people = activities.some((a) => a.kind === 'sessions' && isPeopleRhythm(a.rhythm));
      e.activityScale = rng.logNormal(1, people ? 0.35 : 0.2);
      e.shiftMinutes = people ? Math.max(-90, Math.min(90, Math.round(rng.normal() * 30))) : 0;
      byRole.get(r)!.push(e.index);
    }
  }
  // Guests are on an isolated VLAN: irregular endpoints inside the network cannot reach them.
  const internal = endpoints.filter((e) => e.group !== 'guest').map((e) => e.index);

  for (let i = 0; i < irregularCount; i++) {
    const group = rng.pick(IRREGULAR_GROUPS);
    const lookalike = ROLE_NAMES.filter((r) => ROLES[r].group === group);
    const ouis = group === 'guest' ? [] : ROLES[rng.pick(lookalike)].ouis;
    const e = place('irregular', group, ouis, rng.pick(['windows', 'linux', 'embedded'] as const));
    const irregular = irregularActivities(rng);
    e.pattern = irregular.pattern;
    e.activities = irregular.activities;
    e.activityScale = rng.logNormal(1, 0.6);
    e.shiftMinutes = Math.round(rng.normal() * 60);
  }

  const gateway = place('internet-gateway', 'infrastructure', ['00:00:0c'], 'linux');
  gateway.ipv4 = '10.0.0.1';

  assignHomes(endpoints, byRole);
  const targets = {
    snmp: SNMP_TARGET_ROLES.flatMap((r) => byRole.get(r)!),
    ping: PING_TARGET_ROLES.flatMap((r) => byRole.get(r)!),
  };
  return { seed, endpoints, gateway, byRole, internal, targets, internet, exporters };
}

/** 10.<octet + carry>.x.y with 254 hosts per /24 (no .0 or .255). */
function hostAddress(subnetOctet: number, host: number): string {
  const subnet = Math.floor(host / 254);
  return `10.${subnetOctet + Math.floor(subnet / 256)}.${subnet % 256}.${1 + (host % 254)}`;
}

/** 2001:db8:<vlan>::<host> in RFC 5952 form (documentation prefix). */
function hostAddressV6(vlan: number, host: number): string {
  const n = host + 1;
  const high = Math.floor(n / 0x10000);
  const low = n % 0x10000;
  return high === 0 ? `2001:db8:${vlan.toString(16)}::${low.toString(16)}` : `2001:db8:${vlan.toString(16)}::${high.toString(16)}:${low.toString(16)}`;
}

/** Unique unicast MACs: vendor prefix + a bijective scramble of a per-prefix counter; random local ones for guests. */
class MacAllocator {
  private readonly counters = new Map<string, number>();
  private readonly used = new Set<string>();

  constructor(private readonly rng: SeededRandom) {}

  next(ouis: readonly string[]): string {
    for (;;) {
      let mac: string;
      if (ouis.length === 0) {
        // Phones and laptops on guest Wi-Fi randomise their MAC: locally administered (bit 1), unicast (bit 0 clear).
        const first = (this.rng.int(256) & 0xfc) | 0x02;
        mac = [first, ...Array.from({ length: 5 }, () => this.rng.int(256))].map(hex2).join(':');
      } else {
        const oui = this.rng.pick(ouis);
        const k = this.counters.get(oui) ?? 0;
        this.counters.set(oui, k + 1);
        // Multiplying by an odd constant modulo 2^24 is a bijection: distinct counters give distinct suffixes.
        const suffix = (Math.imul(k + 1, 0x2c9277b5) + 0x5bd1e9) & 0xffffff;
        mac = `${oui}:${hex2(suffix >>> 16)}:${hex2((suffix >>> 8) & 0xff)}:${hex2(suffix & 0xff)}`;
      }
      if (!this.used.has(mac)) {
        this.used.add(mac);
        return mac;
      }
    }
  }
}

const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');

/** Home servers: two domain controllers, a file server, a printer, ... spread evenly over each role's members. */
function assignHomes(endpoints: Endpoint[], byRole: ReadonlyMap<RoleName, readonly number[]>): void {
  const of = (r: RoleName): readonly number[] => byRole.get(r) ?? [];
  const dcs = of('directory-server');
  const slotRoles: ReadonlyArray<[Slot, RoleName]> = [
    ['file', 'file-server'],
    ['printer', 'printer'],
    ['callManager', 'call-manager'],
    ['nvr', 'nvr'],
    ['broker', 'mqtt-broker'],
    ['accessControl', 'access-control-server'],
    ['backup', 'backup-server'],
  ];
  const position = new Map<number, number>();
  for (const members of byRole.values()) members.forEach((idx, pos) => position.set(idx, pos));
  for (const e of endpoints) {
    const i = position.get(e.index) ?? e.index;
    if (dcs.length > 0) e.assigned.dns = dcs.length === 1 ? [dcs[0]] : [dcs[i % dcs.length], dcs[(i + 1) % dcs.length]];
    for (const [slot, r] of slotRoles) {
      const members = of(r);
      if (members.length > 0) e.assigned[slot] = [members[i % members.length]];
    }
    const dbs = of('database-server');
    if (dbs.length > 0) {
      // A replica's primary is another database server; applications use one or two databases.
      if (e.role === 'database-server') e.assigned.database = dbs.length > 1 ? [dbs[(i + 1) % dbs.length]] : [];
      else e.assigned.database = dbs.length > 1 && i % 3 === 0 ? [dbs[i % dbs.length], dbs[(i + 1) % dbs.length]] : [dbs[i % dbs.length]];
    }
  }
}

// ---- irregular endpoints -----------------------------------------------------------------------------------------

/** A random emphasis of a behaviour, in [0.2, 2). */
const emphasis = (rng: SeededRandom): number => 0.2 + 1.8 * rng.next();

const RHYTHMS = [Rhythm.OFFICE, Rhythm.ENGINEERING, Rhythm.ALWAYS, Rhythm.NIGHT, Rhythm.PUBLIC, Rhythm.BADGE] as const;

/**
 * What an irregular endpoint does: one to three behaviours no role has (scanning, peer-to-peer, a rogue service, bulk
 * uploads, a patchwork of other roles' habits), each with its own rhythm and a rate spread over orders of magnitude,
 * so that irregular endpoints resemble neither a role nor each other. Returns the behaviours' names and activities.
 */
function irregularActivities(rng: SeededRandom): { pattern: string; activities: Activity[] } {
  const names = [...IRREGULAR_PATTERNS];
  const picked: Array<(typeof IRREGULAR_PATTERNS)[number]> = [];
  const count = 1 + rng.int(2) + (rng.chance(0.2) ? 1 : 0);
  while (picked.length < count) picked.push(names.splice(rng.int(names.length), 1)[0]);
  const activities = picked.flatMap((name) => irregularBehaviour(name, rng));
  activities.push({ kind: 'sessions', rhythm: rng.pick(RHYTHMS), perHour: rng.logNormal(10, 1), choices: [{ weight: 1, as: 'client', service: SERVICES.dns, peers: { kind: 'assigned', slot: 'dns' } }] });
  return { pattern: picked.join('+'), activities };
}

function irregularBehaviour(name: (typeof IRREGULAR_PATTERNS)[number], rng: SeededRandom): Activity[] {
  const rhythm = rng.pick(RHYTHMS);
  const randomProtocol = (): number => (rng.chance(0.6) ? SERVICES.http.protocol : SERVICES.dns.protocol);
  switch (name) {
    case 'chimera': {
      // Parts of two or three roles' behaviour, mixed with random weights.
      const sources = Array.from({ length: 2 + rng.int(2) }, () => ROLES[rng.pick(ROLE_NAMES)]);
      const choices: SessionChoice[] = [];
      const extra: Activity[] = [];
      for (const def of sources) {
        for (const a of def.activities) {
          if (a.kind === 'sessions' && !a.perTarget) for (const c of a.choices) if (rng.chance(0.5)) choices.push({ ...c, weight: c.weight * emphasis(rng) });
          if ((a.kind === 'stream' || a.kind === 'periodic') && rng.chance(0.3)) extra.push(a);
        }
      }
      return choices.length > 0 ? [{ kind: 'sessions', rhythm, perHour: rng.logNormal(60, 1), choices }, ...extra] : extra;
    }
    case 'scanner':
      return [
        {
          kind: 'sessions',
          rhythm,
          perHour: rng.logNormal(150, 1.2),
          choices: [{ weight: 1, as: 'client', service: SERVICES.probe, peers: { kind: 'any-internal' } }],
        },
      ];
    case 'rogue-server': {
      const port = rng.chance(0.5) ? rng.pick([21, 23, 5900, 8000, 8081, 8888, 6667, 4444]) : rng.range(1024, 49151);
      const volume = { bytes: rng.logNormal(5000, 1.5), sigma: 1 + rng.next(), packetBytes: 200 + rng.int(1200) };
      return [
        {
          kind: 'sessions',
          rhythm,
          perHour: rng.logNormal(40, 1),
          choices: [
            {
              weight: 1,
              as: 'server',
              service: { ...SERVICES.httpAlt, name: 'rogue', protocol: randomProtocol(), port, response: volume },
              peers: rng.chance(0.7) ? { kind: 'any-internal' } : { kind: 'internet-client' },
            },
          ],
        },
      ];
    }
    case 'p2p': {
      const protocol = randomProtocol();
      return [
        {
          kind: 'sessions',
          rhythm,
          perHour: rng.logNormal(120, 1),
          choices: [
            { weight: emphasis(rng), as: 'client', service: { ...SERVICES.p2p, protocol }, peers: { kind: 'internet-client' } },
            { weight: emphasis(rng), as: 'server', service: { ...SERVICES.p2p, protocol }, peers: { kind: 'internet-client' } },
          ],
        },
      ];
    }
    case 'exfiltration':
      // Large uploads to addresses nobody else talks to.
      return [
        {
          kind: 'sessions',
          rhythm: rng.chance(0.5) ? Rhythm.NIGHT : rhythm,
          perHour: rng.logNormal(8, 1),
          choices: [
            {
              weight: 1,
              as: 'client',
              service: { ...SERVICES.https, name: 'upload', request: { bytes: rng.logNormal(5_000_000, 1), sigma: 1, packetBytes: 1400 } },
              peers: { kind: 'internet-client' },
            },
            { weight: emphasis(rng), as: 'client', service: SERVICES.smb, peers: { kind: 'role', role: 'file-server' } },
          ],
        },
      ];
  }
}

/** The ground-truth line of an endpoint: the key clustering uses (its MAC), its addresses and its true role. */
export interface TruthRecord {
  key: string;
  mac: string;
  ip: string;
  ipv6: string | null;
  role: TruthRole;
  group: GroupName;
  vlan: number;
  sgt: number;
  irregular: boolean;
  pattern: string | null;
  variant: string | null;
  exporter: number;
}

export function truthOf(e: Endpoint): TruthRecord {
  return {
    key: `mac:${e.mac}`,
    mac: e.mac,
    ip: e.ipv4,
    ipv6: e.ipv6,
    role: e.role,
    group: e.group,
    vlan: e.vlan,
    sgt: e.sgt,
    irregular: e.role === 'irregular',
    pattern: e.pattern,
    variant: e.variant,
    exporter: e.exporter,
  };
}
