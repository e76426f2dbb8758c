// Role archetypes of the synthetic enterprise: what each kind of endpoint talks to, on which ports, how much, and at
// which hours. Numbers are medians of log-normal distributions, chosen from what such traffic looks like on a campus
// network (a DNS answer is ~150 bytes, a print job hundreds of kilobytes, a camera stream a few Mbit/s, a G.711 call
// 50 packets/s of 200 bytes each way). The event engine (flow-generator.ts) interprets these tables.
import { Rhythm } from './rhythm';

export const TCP = 6;
export const UDP = 17;
export const ICMP = 1;

/** Roles the enterprise mix is made of. */
export const ROLE_NAMES = [
  'workstation',
  'developer',
  'web-server',
  'database-server',
  'file-server',
  'directory-server',
  'printer',
  'ip-camera',
  'voip-phone',
  'iot-sensor',
  'badge-reader',
  'guest-device',
  'nvr',
  'call-manager',
  'mqtt-broker',
  'access-control-server',
  'backup-server',
  'monitoring-server',
] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

/** Roles of the ground truth: the mix, plus the internet gateway and irregular endpoints. */
export type TruthRole = RoleName | 'internet-gateway' | 'irregular';

export type GroupName = 'users' | 'engineering' | 'servers' | 'printers' | 'voice' | 'security' | 'iot' | 'guest' | 'infrastructure';

export interface GroupDefinition {
  name: GroupName;
  vlan: number;
  /** Second octet of the group's 10.x.0.0/12 block (room for a million addresses per group). */
  subnetOctet: number;
}

export const GROUPS: Readonly<Record<GroupName, GroupDefinition>> = {
  infrastructure: { name: 'infrastructure', vlan: 900, subnetOctet: 0 },
  users: { name: 'users', vlan: 10, subnetOctet: 16 },
  engineering: { name: 'engineering', vlan: 11, subnetOctet: 32 },
  servers: { name: 'servers', vlan: 20, subnetOctet: 48 },
  printers: { name: 'printers', vlan: 30, subnetOctet: 64 },
  voice: { name: 'voice', vlan: 40, subnetOctet: 80 },
  security: { name: 'security', vlan: 50, subnetOctet: 96 },
  iot: { name: 'iot', vlan: 60, subnetOctet: 112 },
  guest: { name: 'guest', vlan: 99, subnetOctet: 128 },
};

/** Operating-system family: decides the ephemeral port range of its client connections. */
export type OsFamily = 'windows' | 'linux' | 'embedded';

export const EPHEMERAL_RANGES: Readonly<Record<OsFamily, readonly [number, number]>> = {
  // Windows and most embedded stacks (lwIP) use the IANA range; Linux defaults to 32768-60999.
  windows: [49152, 65535],
  linux: [32768, 60999],
  embedded: [49152, 65535],
};

/** Bytes of one direction of a connection: log-normal around `bytes`, in packets of about `packetBytes`. */
export interface Volume {
  bytes: number;
  sigma: number;
  packetBytes: number;
}

export interface ServiceSpec {
  name: string;
  protocol: number;
  /**
   * Server port: a number; 'peer' for the server endpoint's own service port (a database's engine); 'rtp' for an even
   * port in 16384-32766 chosen per connection (RTP media); 'random-high' for any port in 1024-65535 and 'scan' for
   * a port a scanner would try (irregular endpoints).
   */
  port: number | 'peer' | 'rtp' | 'random-high' | 'scan';
  /** Client source port when not an ephemeral one (SIP phones send from 5060; RTP from an even media port). */
  clientPort?: number | 'rtp';
  request: Volume;
  /** null: one-way (syslog). */
  response: Volume | null;
  durationMs: number;
  durationSigma: number;
  /** A TCP attempt nobody answers: SYN out, RST back (scanners). */
  refused?: boolean;
}

/** A connection that spans export intervals: volumes are rates, the exporter reports it every active timeout. */
export interface StreamSpec {
  service: ServiceSpec;
  /** Client-to-server and server-to-client bit rates (medians; per-stream factor log-normal with `sigma`). */
  upBps: number;
  downBps: number;
  sigma: number;
  /** How long the connection lives (median seconds, log-normal); always-on streams reconnect after it. */
  lifetimeS: number;
  lifetimeSigma: number;
}

export type Slot = 'dns' | 'file' | 'printer' | 'database' | 'callManager' | 'nvr' | 'broker' | 'accessControl' | 'backup';

export type InternetPool = 'web' | 'resolvers' | 'ntp' | 'git' | 'mail' | 'updates' | 'iotCloud' | 'sipTrunk' | 'push';

/** Who is on the other side of a connection. */
export type PeerRule =
  | { kind: 'assigned'; slot: Slot }
  | { kind: 'role'; role: RoleName; zipf?: number }
  | { kind: 'internet'; pool: InternetPool }
  /** A random public address (clients of an internet-facing service). */
  | { kind: 'internet-client' }
  /** The internet gateway's own address (the guest network's resolver). */
  | { kind: 'gateway' }
  | { kind: 'targets'; list: 'snmp' | 'ping' }
  | { kind: 'any-internal' }
  | { kind: 'mixed'; options: ReadonlyArray<{ p: number; rule: PeerRule }> };

export type Side = 'client' | 'server';

export interface SessionChoice {
  weight: number;
  /** The endpoint opens the connection (client) or accepts it from the peer (server). */
  as: Side;
  service: ServiceSpec;
  peers: PeerRule;
  /** A stream that starts with the session (the media of a call), with its own peer. */
  media?: { stream: StreamSpec; peers: PeerRule; durationS: number; durationSigma: number };
}

export interface StreamChoice {
  as: Side;
  stream: StreamSpec;
  peers: PeerRule;
}

export type Activity =
  /** Poisson arrivals at `perHour` x rhythm intensity, each a connection drawn from `choices` by weight. */
  | { kind: 'sessions'; rhythm: Rhythm; perHour: number; choices: readonly SessionChoice[]; perTarget?: 'snmp' | 'ping' }
  /** One connection every `periodS` (+- jitter) while the rhythm says the device is in use (intensity = chance). */
  | { kind: 'periodic'; periodS: number; jitter: number; rhythm: Rhythm; choice: SessionChoice }
  /** An always-on connection, re-established after its lifetime. */
  | { kind: 'stream'; choice: StreamChoice }
  /** A connection started once a day in a local window (backups), lasting the stream's lifetime. */
  | { kind: 'daily'; localHour: number; spreadHours: number; choice: StreamChoice };

export interface RoleVariant {
  name: string;
  weight: number;
  activities: readonly Activity[];
}

export interface RoleDefinition {
  name: RoleName;
  group: GroupName;
  /** TrustSec group tag (users 2-9, servers 10-19, devices 20-29). */
  sgt: number;
  os: OsFamily;
  /** Vendor prefixes (OUIs) of the role's network cards; empty: random locally administered MACs (guests). */
  ouis: readonly string[];
  /** Shared by every endpoint of the role. */
  activities: readonly Activity[];
  /** One of these is added per endpoint (drawn by weight). */
  variants?: readonly RoleVariant[];
  /** The endpoint's own service port, drawn by weight (database engines). */
  servicePorts?: ReadonlyArray<{ port: number; weight: number }>;
  /** Roles whose endpoints need at least one of this role (an NVR for cameras). */
  requiredBy?: readonly RoleName[];
  /** Minimum count when required. */
  minimum?: number;
  /** Default share of the enterprise (weights are normalised). */
  defaultWeight: number;
}

// ---- services ----------------------------------------------------------------------------------------------------

const v = (bytes: number, sigma: number, packetBytes: number): Volume => ({ bytes, sigma, packetBytes });

function service(
  name: string,
  protocol: number,
  port: ServiceSpec['port'],
  request: Volume,
  response: Volume | null,
  durationMs: number,
  durationSigma: number,
  extra: Partial<ServiceSpec> = {},
): ServiceSpec {
  return { name, protocol, port, request, response, durationMs, durationSigma, ...extra };
}

export const SERVICES = {
  dns: service('dns', UDP, 53, v(75, 0.15, 75), v(150, 0.35, 150), 20, 0.8),
  ntp: service('ntp', UDP, 123, v(76, 0, 76), v(76, 0, 76), 15, 0.3),
  kerberos: service('kerberos', TCP, 88, v(1700, 0.4, 450), v(1600, 0.4, 500), 35, 0.7),
  ldap: service('ldap', TCP, 389, v(1200, 0.7, 300), v(4000, 1, 700), 120, 1),
  ldaps: service('ldaps', TCP, 636, v(1800, 0.7, 400), v(5000, 1, 800), 150, 1),
  smb: service('smb', TCP, 445, v(8000, 1.3, 600), v(150_000, 2, 1300), 20_000, 1.5),
  nfs: service('nfs', TCP, 2049, v(6000, 1.3, 700), v(200_000, 1.8, 1400), 15_000, 1.4),
  https: service('https', TCP, 443, v(2500, 1, 500), v(45_000, 1.6, 1200), 5000, 1.3),
  http: service('http', TCP, 80, v(900, 0.8, 350), v(18_000, 1.5, 1100), 1500, 1.2),
  quic: service('quic', UDP, 443, v(6000, 1.1, 900), v(90_000, 1.7, 1250), 8000, 1.2),
  intranet: service('intranet', TCP, 443, v(3000, 1, 500), v(35_000, 1.4, 1200), 3000, 1.2),
  jetdirect: service('jetdirect', TCP, 9100, v(300_000, 1.2, 1400), v(700, 0.5, 60), 9000, 1),
  ipp: service('ipp', TCP, 631, v(200_000, 1.2, 1300), v(2500, 0.5, 250), 7000, 1),
  lpd: service('lpd', TCP, 515, v(150_000, 1.2, 1300), v(300, 0.3, 60), 6000, 1),
  snmp: service('snmp', UDP, 161, v(95, 0.2, 95), v(480, 0.5, 480), 10, 0.5),
  icmpEcho: service('icmp-echo', ICMP, 0, v(84, 0, 84), v(84, 0, 84), 1, 0.5),
  syslog: service('syslog', UDP, 514, v(320, 0.6, 320), null, 1, 0.5),
  rtsp: service('rtsp', TCP, 554, v(600, 0.3, 200), v(1500, 0.3, 500), 500, 0.5),
  rtp: service('rtp', UDP, 'rtp', v(200, 0, 200), v(200, 0, 200), 0, 0, { clientPort: 'rtp' }),
  cameraRtp: service('rtp', UDP, 'rtp', v(1300, 0, 1300), v(90, 0, 90), 0, 0, { clientPort: 'rtp' }),
  sip: service('sip', UDP, 5060, v(1100, 0.3, 550), v(900, 0.3, 450), 60, 0.5, { clientPort: 5060 }),
  tftp: service('tftp', UDP, 69, v(120, 0.2, 60), v(24_000, 0.8, 530), 800, 0.5),
  mqtt: service('mqtt', TCP, 1883, v(300, 0.5, 90), v(100, 0.5, 60), 0, 0),
  mqtts: service('mqtts', TCP, 8883, v(400, 0.5, 120), v(150, 0.5, 70), 0, 0),
  ssh: service('ssh', TCP, 22, v(6000, 1.6, 120), v(40_000, 2, 400), 120_000, 1.5),
  database: service('database', TCP, 'peer', v(1500, 1.2, 300), v(12_000, 1.6, 1000), 300, 1.2),
  httpAlt: service('http-alt', TCP, 8080, v(1500, 1, 400), v(25_000, 1.4, 1100), 2000, 1.1),
  devServer: service('dev-server', TCP, 3000, v(1200, 1, 400), v(20_000, 1.4, 1100), 1500, 1.1),
  rdp: service('rdp', TCP, 3389, v(200_000, 1.2, 400), v(3_000_000, 1.3, 1000), 600_000, 1),
  onvif: service('onvif', TCP, 80, v(700, 0.3, 300), v(3500, 0.6, 900), 300, 0.5),
  rsync: service('rsync', TCP, 873, v(0, 0, 1400), v(0, 0, 60), 0, 0),
  accessControl: service('access-control', TCP, 3001, v(600, 0.4, 200), v(300, 0.3, 100), 150, 0.5),
  smtp: service('smtp', TCP, 587, v(30_000, 1.5, 1000), v(1500, 0.4, 150), 2000, 0.8),
  imaps: service('imaps', TCP, 993, v(2000, 1, 300), v(60_000, 1.8, 1200), 3000, 1.2),
  push: service('push', TCP, 5223, v(900, 0.6, 200), v(1500, 0.8, 300), 2000, 1),
  // Irregular endpoints: scanner probes and peer-to-peer traffic.
  probe: service('probe', TCP, 'scan', v(44, 0, 44), v(40, 0, 40), 1, 0.5, { refused: true }),
  p2p: service('p2p', UDP, 'random-high', v(20_000, 2, 900), v(60_000, 2, 1100), 20_000, 1.5),
} as const satisfies Record<string, ServiceSpec>;

// ---- streams -----------------------------------------------------------------------------------------------------

function stream(serviceSpec: ServiceSpec, upBps: number, downBps: number, sigma: number, lifetimeS: number, lifetimeSigma: number): StreamSpec {
  return { service: serviceSpec, upBps, downBps, sigma, lifetimeS, lifetimeSigma };
}

export const STREAMS = {
  // RTSP with RTP interleaved over TCP: the NVR opened it, the camera (server) sends the video.
  rtspInterleaved: stream(SERVICES.rtsp, 30_000, 3_000_000, 0.5, 86_400, 1),
  // RTSP control only (media over UDP): keep-alives.
  rtspControl: stream(SERVICES.rtsp, 250, 300, 0.3, 86_400, 1),
  // RTP over UDP from the camera's media port to the NVR's.
  cameraRtp: stream(SERVICES.cameraRtp, 3_000_000, 10_000, 0.5, 86_400, 1),
  // G.711: 50 packets/s of 200 bytes each way.
  callMedia: stream(SERVICES.rtp, 80_000, 80_000, 0.02, 180, 0.9),
  mqtt: stream(SERVICES.mqtt, 300, 60, 0.8, 6 * 3600, 1),
  mqtts: stream(SERVICES.mqtts, 400, 90, 0.8, 6 * 3600, 1),
  brokerBridge: stream(SERVICES.mqtts, 150_000, 20_000, 0.4, 24 * 3600, 0.5),
  badgeHeartbeat: stream(SERVICES.accessControl, 100, 100, 0.3, 12 * 3600, 1),
  replication: stream(SERVICES.database, 30_000, 300_000, 0.7, 24 * 3600, 0.5),
  backupSmall: stream(SERVICES.rsync, 40_000_000, 400_000, 0.4, 600, 0.6),
  backupMedium: stream(SERVICES.rsync, 80_000_000, 800_000, 0.4, 1200, 0.6),
  backupLarge: stream(SERVICES.rsync, 200_000_000, 2_000_000, 0.4, 3600, 0.5),
} as const satisfies Record<string, StreamSpec>;

// ---- peers -------------------------------------------------------------------------------------------------------

const assigned = (slot: Slot): PeerRule => ({ kind: 'assigned', slot });
const role = (name: RoleName, zipf?: number): PeerRule => ({ kind: 'role', role: name, zipf });
const internet = (pool: InternetPool): PeerRule => ({ kind: 'internet', pool });
const mixed = (...options: Array<{ p: number; rule: PeerRule }>): PeerRule => ({ kind: 'mixed', options });

const client = (weight: number, serviceSpec: ServiceSpec, peers: PeerRule): SessionChoice => ({ weight, as: 'client', service: serviceSpec, peers });
const server = (weight: number, serviceSpec: ServiceSpec, peers: PeerRule): SessionChoice => ({ weight, as: 'server', service: serviceSpec, peers });

const sessions = (rhythm: Rhythm, perHour: number, choices: SessionChoice[]): Activity => ({ kind: 'sessions', rhythm, perHour, choices });
const periodic = (periodS: number, rhythm: Rhythm, choice: SessionChoice): Activity => ({ kind: 'periodic', periodS, jitter: 0.1, rhythm, choice });
const always = (as: 'client' | 'server', spec: StreamSpec, peers: PeerRule): Activity => ({ kind: 'stream', choice: { as, stream: spec, peers } });
const nightly = (spec: StreamSpec): Activity => ({
  kind: 'daily',
  localHour: 1,
  spreadHours: 3,
  choice: { as: 'client', stream: spec, peers: assigned('backup') },
});

/** Infrastructure every managed endpoint uses: time from the domain controllers. */
const ntpFromDcs = (periodS: number, rhythm: Rhythm = Rhythm.ALWAYS): Activity => periodic(periodS, rhythm, client(1, SERVICES.ntp, assigned('dns')));
const syslogTo = (weight: number): SessionChoice => client(weight, SERVICES.syslog, role('monitoring-server'));
const serverHousekeeping = (perHour: number, extra: SessionChoice[] = []): Activity =>
  sessions(Rhythm.ALWAYS, perHour, [
    client(45, SERVICES.dns, assigned('dns')),
    client(12, SERVICES.ldap, assigned('dns')),
    client(4, SERVICES.https, internet('updates')),
    syslogTo(10),
    ...extra,
  ]);

// ---- roles -------------------------------------------------------------------------------------------------------

/** Everything but guests needs the domain controllers (DNS, Kerberos, LDAP, NTP). */
const DIRECTORY_CLIENTS: readonly RoleName[] = [
  'workstation', 'developer', 'web-server', 'database-server', 'file-server', 'printer', 'ip-camera', 'voip-phone', 'iot-sensor', 'badge-reader',
];

export const ROLES: Readonly<Record<RoleName, RoleDefinition>> = {
  workstation: {
    name: 'workstation', group: 'users', sgt: 4, os: 'windows', defaultWeight: 30,
    ouis: ['00:14:22', 'f8:bc:12', '3c:d9:2b', '8c:16:45'],
    activities: [
      sessions(Rhythm.OFFICE, 130, [
        client(35, SERVICES.dns, assigned('dns')),
        client(40, SERVICES.https, internet('web')),
        client(4, SERVICES.http, internet('web')),
        client(8, SERVICES.quic, internet('web')),
        client(6, SERVICES.intranet, role('web-server', 1)),
        client(6, SERVICES.smb, mixed({ p: 0.85, rule: assigned('file') }, { p: 0.15, rule: role('file-server') })),
        client(3, SERVICES.kerberos, assigned('dns')),
        client(2.5, SERVICES.ldap, assigned('dns')),
        client(0.5, SERVICES.ldaps, assigned('dns')),
        client(0.4, SERVICES.jetdirect, assigned('printer')),
        client(0.15, SERVICES.ipp, assigned('printer')),
        client(0.05, SERVICES.lpd, assigned('printer')),
        client(1.5, SERVICES.imaps, internet('mail')),
        client(0.3, SERVICES.smtp, internet('mail')),
      ]),
      ntpFromDcs(3600, Rhythm.OFFICE),
    ],
  },
  developer: {
    name: 'developer', group: 'engineering', sgt: 5, os: 'linux', defaultWeight: 8,
    ouis: ['f0:18:98', 'a4:83:e7', '54:bf:64'],
    activities: [
      sessions(Rhythm.ENGINEERING, 200, [
        client(30, SERVICES.dns, assigned('dns')),
        client(30, SERVICES.https, internet('web')),
        client(4, SERVICES.quic, internet('web')),
        client(5, SERVICES.ssh, internet('git')),
        client(6, SERVICES.https, internet('git')),
        client(3, SERVICES.ssh, role('web-server', 1)),
        client(1, SERVICES.ssh, role('database-server')),
        client(6, SERVICES.database, role('database-server', 1)),
        client(3, SERVICES.httpAlt, role('web-server', 1)),
        client(2, SERVICES.httpAlt, role('developer')),
        client(1.5, SERVICES.devServer, role('developer')),
        client(2, SERVICES.smb, assigned('file')),
        client(1, SERVICES.nfs, assigned('file')),
        client(1.5, SERVICES.kerberos, assigned('dns')),
        client(1, SERVICES.ldap, assigned('dns')),
        client(0.3, SERVICES.rdp, role('file-server')),
      ]),
      ntpFromDcs(1024, Rhythm.ENGINEERING),
    ],
  },
  'web-server': {
    name: 'web-server', group: 'servers', sgt: 10, os: 'linux', defaultWeight: 3,
    ouis: ['00:50:56', '0c:c4:7a'],
    activities: [
      serverHousekeeping(60, [client(45, SERVICES.database, assigned('database'))]),
      sessions(Rhythm.PUBLIC, 150, [server(85, SERVICES.https, { kind: 'internet-client' }), server(15, SERVICES.http, { kind: 'internet-client' })]),
      ntpFromDcs(1024),
      nightly(STREAMS.backupMedium),
    ],
  },
  'database-server': {
    name: 'database-server', group: 'servers', sgt: 11, os: 'linux', defaultWeight: 2,
    ouis: ['00:50:56', 'ac:1f:6b'],
    servicePorts: [
      { port: 5432, weight: 50 },
      { port: 3306, weight: 30 },
      { port: 1433, weight: 20 },
    ],
    requiredBy: ['web-server', 'developer', 'access-control-server'],
    activities: [serverHousekeeping(20), ntpFromDcs(1024), nightly(STREAMS.backupLarge)],
    variants: [
      { name: 'standalone', weight: 60, activities: [] },
      // A replica streams the write-ahead log from its primary all day.
      { name: 'replica', weight: 40, activities: [always('client', STREAMS.replication, assigned('database'))] },
    ],
  },
  'file-server': {
    name: 'file-server', group: 'servers', sgt: 12, os: 'windows', defaultWeight: 1,
    ouis: ['00:50:56', 'b8:ca:3a'],
    requiredBy: ['workstation', 'developer'],
    activities: [serverHousekeeping(30, [client(20, SERVICES.kerberos, assigned('dns'))]), ntpFromDcs(1024), nightly(STREAMS.backupLarge)],
  },
  'directory-server': {
    name: 'directory-server', group: 'servers', sgt: 13, os: 'windows', defaultWeight: 1, minimum: 2,
    ouis: ['00:50:56', 'b8:ca:3a'],
    requiredBy: DIRECTORY_CLIENTS,
    activities: [
      sessions(Rhythm.ALWAYS, 200, [
        client(75, SERVICES.dns, internet('resolvers')),
        client(15, SERVICES.ldap, role('directory-server')),
        client(5, SERVICES.kerberos, role('directory-server')),
        client(2, SERVICES.https, internet('updates')),
        syslogTo(3),
      ]),
      periodic(1024, Rhythm.ALWAYS, client(1, SERVICES.ntp, internet('ntp'))),
      nightly(STREAMS.backupSmall),
    ],
  },
  printer: {
    name: 'printer', group: 'printers', sgt: 21, os: 'embedded', defaultWeight: 3,
    ouis: ['00:1b:78', '00:00:48', '00:00:85', '00:26:73'],
    requiredBy: ['workstation'],
    activities: [
      sessions(Rhythm.ALWAYS, 1.5, [client(40, SERVICES.dns, assigned('dns')), client(30, SERVICES.https, internet('updates')), syslogTo(30)]),
      ntpFromDcs(3600),
    ],
  },
  'ip-camera': {
    name: 'ip-camera', group: 'security', sgt: 22, os: 'embedded', defaultWeight: 6,
    ouis: ['00:40:8c', 'ac:cc:8e', '44:19:b6'],
    activities: [
      // The NVR polls events and snapshots over ONVIF/HTTP.
      periodic(300, Rhythm.ALWAYS, server(1, SERVICES.onvif, assigned('nvr'))),
      periodic(3600, Rhythm.ALWAYS, client(1, SERVICES.dns, assigned('dns'))),
      ntpFromDcs(1024),
    ],
    variants: [
      { name: 'rtsp-tcp', weight: 70, activities: [always('server', STREAMS.rtspInterleaved, assigned('nvr'))] },
      {
        name: 'rtsp-udp',
        weight: 30,
        activities: [always('server', STREAMS.rtspControl, assigned('nvr')), always('client', STREAMS.cameraRtp, assigned('nvr'))],
      },
    ],
  },
  'voip-phone': {
    name: 'voip-phone', group: 'voice', sgt: 23, os: 'embedded', defaultWeight: 14,
    ouis: ['00:04:f2', '80:5e:c0', '00:1b:54'],
    activities: [
      periodic(600, Rhythm.ALWAYS, client(1, SERVICES.sip, assigned('callManager'))),
      sessions(Rhythm.OFFICE, 3, [
        {
          ...client(1, SERVICES.sip, assigned('callManager')),
          media: {
            stream: STREAMS.callMedia,
            peers: mixed({ p: 0.85, rule: role('voip-phone') }, { p: 0.15, rule: internet('sipTrunk') }),
            durationS: 180,
            durationSigma: 0.9,
          },
        },
      ]),
      periodic(86_400, Rhythm.ALWAYS, client(1, SERVICES.tftp, assigned('callManager'))),
      periodic(3600, Rhythm.ALWAYS, client(1, SERVICES.dns, assigned('dns'))),
      ntpFromDcs(3600),
    ],
  },
  'iot-sensor': {
    name: 'iot-sensor', group: 'iot', sgt: 24, os: 'embedded', defaultWeight: 14,
    ouis: ['24:0a:c4', '30:ae:a4', 'b8:27:eb', 'dc:a6:32'],
    activities: [
      periodic(3600, Rhythm.ALWAYS, client(1, SERVICES.dns, assigned('dns'))),
      periodic(1024, Rhythm.ALWAYS, client(1, SERVICES.ntp, mixed({ p: 0.5, rule: assigned('dns') }, { p: 0.5, rule: internet('ntp') }))),
      sessions(Rhythm.ALWAYS, 0.5, [client(1, SERVICES.https, internet('iotCloud'))]),
    ],
    variants: [
      { name: 'mqtt', weight: 40, activities: [always('client', STREAMS.mqtt, assigned('broker'))] },
      { name: 'mqtts', weight: 60, activities: [always('client', STREAMS.mqtts, assigned('broker'))] },
    ],
  },
  'badge-reader': {
    name: 'badge-reader', group: 'security', sgt: 25, os: 'embedded', defaultWeight: 4,
    ouis: ['00:06:8e'],
    activities: [
      always('client', STREAMS.badgeHeartbeat, assigned('accessControl')),
      sessions(Rhythm.BADGE, 25, [client(1, SERVICES.accessControl, assigned('accessControl'))]),
      ntpFromDcs(3600),
      periodic(7200, Rhythm.ALWAYS, client(1, SERVICES.dns, assigned('dns'))),
    ],
  },
  'guest-device': {
    name: 'guest-device', group: 'guest', sgt: 6, os: 'linux', defaultWeight: 10,
    ouis: [],
    activities: [
      sessions(Rhythm.GUEST, 90, [
        client(30, SERVICES.dns, { kind: 'gateway' }),
        client(40, SERVICES.https, internet('web')),
        client(20, SERVICES.quic, internet('web')),
        client(3, SERVICES.http, internet('web')),
        client(1, SERVICES.ntp, internet('ntp')),
        client(3, SERVICES.push, internet('push')),
        client(3, SERVICES.imaps, internet('mail')),
      ]),
    ],
  },
  nvr: {
    name: 'nvr', group: 'security', sgt: 17, os: 'linux', defaultWeight: 0.4,
    ouis: ['00:40:8c', '0c:c4:7a'],
    requiredBy: ['ip-camera'],
    activities: [serverHousekeeping(20), ntpFromDcs(1024)],
  },
  'call-manager': {
    name: 'call-manager', group: 'voice', sgt: 16, os: 'linux', defaultWeight: 0.2,
    ouis: ['00:1b:54', '00:50:56'],
    requiredBy: ['voip-phone'],
    activities: [serverHousekeeping(40, [client(30, SERVICES.sip, internet('sipTrunk'))]), ntpFromDcs(1024), nightly(STREAMS.backupSmall)],
  },
  'mqtt-broker': {
    name: 'mqtt-broker', group: 'iot', sgt: 19, os: 'linux', defaultWeight: 0.2,
    ouis: ['00:50:56'],
    requiredBy: ['iot-sensor'],
    activities: [serverHousekeeping(20), always('client', STREAMS.brokerBridge, internet('iotCloud')), ntpFromDcs(1024)],
  },
  'access-control-server': {
    name: 'access-control-server', group: 'security', sgt: 18, os: 'windows', defaultWeight: 0.2,
    ouis: ['00:50:56'],
    requiredBy: ['badge-reader'],
    activities: [serverHousekeeping(30, [client(30, SERVICES.database, role('database-server'))]), ntpFromDcs(1024), nightly(STREAMS.backupSmall)],
  },
  'backup-server': {
    name: 'backup-server', group: 'servers', sgt: 14, os: 'linux', defaultWeight: 0.3,
    ouis: ['ac:1f:6b'],
    requiredBy: ['web-server', 'database-server', 'file-server', 'directory-server', 'call-manager', 'access-control-server'],
    activities: [serverHousekeeping(10), ntpFromDcs(1024)],
  },
  'monitoring-server': {
    name: 'monitoring-server', group: 'servers', sgt: 15, os: 'linux', defaultWeight: 0.2,
    ouis: ['00:50:56'],
    requiredBy: ['printer', 'ip-camera', 'web-server'],
    activities: [
      // Every target polled about every 5 minutes (perHour is per target, shared by the monitoring servers).
      { kind: 'sessions', rhythm: Rhythm.ALWAYS, perHour: 12, perTarget: 'snmp', choices: [client(1, SERVICES.snmp, { kind: 'targets', list: 'snmp' })] },
      { kind: 'sessions', rhythm: Rhythm.ALWAYS, perHour: 12, perTarget: 'ping', choices: [client(1, SERVICES.icmpEcho, { kind: 'targets', list: 'ping' })] },
      serverHousekeeping(20),
      ntpFromDcs(1024),
    ],
  },
};

/** Roles that receive SNMP polls and pings from the monitoring servers. */
export const SNMP_TARGET_ROLES: readonly RoleName[] = ['printer', 'ip-camera'];
export const PING_TARGET_ROLES: readonly RoleName[] = ['web-server', 'database-server', 'file-server', 'directory-server', 'nvr', 'ip-camera', 'call-manager', 'mqtt-broker', 'backup-server'];

export const DEFAULT_ROLE_WEIGHTS: Readonly<Record<RoleName, number>> = Object.fromEntries(
  ROLE_NAMES.map((name) => [name, ROLES[name].defaultWeight]),
) as Record<RoleName, number>;

export function isRoleName(name: string): name is RoleName {
  return (ROLE_NAMES as readonly string[]).includes(name);
}

const PROTOCOL_NAMES: Readonly<Record<number, string>> = { [TCP]: 'tcp', [UDP]: 'udp', [ICMP]: 'icmp' };

function serviceLabel(spec: ServiceSpec): string {
  if (spec.protocol === ICMP) return 'icmp echo';
  const port = typeof spec.port === 'number' ? String(spec.port) : spec.port === 'peer' ? 'db port' : spec.port;
  return `${PROTOCOL_NAMES[spec.protocol] ?? spec.protocol}/${port}`;
}

/** One line per role: group, VLAN, SGT, default weight, and the services it uses as a client or offers as a server. */
export function describeRoles(): string {
  return ROLE_NAMES.map((name) => {
    const def = ROLES[name];
    const asClient = new Set<string>();
    const asServer = new Set<string>();
    const add = (as: Side, spec: ServiceSpec): void => void (as === 'client' ? asClient : asServer).add(serviceLabel(spec));
    const visit = (activities: readonly Activity[]): void => {
      for (const a of activities) {
        if (a.kind === 'sessions') a.choices.forEach((c) => (add(c.as, c.service), c.media && add('client', c.media.stream.service)));
        else if (a.kind === 'periodic') add(a.choice.as, a.choice.service);
        else add(a.choice.as, a.choice.stream.service);
      }
    };
    visit(def.activities);
    def.variants?.forEach((variant) => visit(variant.activities));
    // What other roles open towards this one.
    for (const other of ROLE_NAMES) {
      const activities = [...ROLES[other].activities, ...(ROLES[other].variants ?? []).flatMap((x) => x.activities)];
      for (const a of activities) {
        const choices = a.kind === 'sessions' ? a.choices : a.kind === 'periodic' ? [a.choice] : [{ as: a.choice.as, service: a.choice.stream.service, peers: a.choice.peers }];
        for (const c of choices) {
          if (!targetsRole(c.peers, name)) continue;
          (c.as === 'client' ? asServer : asClient).add(serviceLabel(c.service));
        }
        if (a.kind === 'sessions') for (const c of a.choices) if (c.media && targetsRole(c.media.peers, name)) asServer.add(serviceLabel(c.media.stream.service));
      }
    }
    // The call manager rings the called phone (flow-generator.ts).
    if (name === 'voip-phone') asServer.add(serviceLabel(SERVICES.sip));
    const group = GROUPS[def.group];
    return [
      `${name} (group ${def.group}, VLAN ${group.vlan}, SGT ${def.sgt}, default weight ${def.defaultWeight})`,
      `    client: ${[...asClient].join(', ') || '-'}`,
      `    server: ${[...asServer].join(', ') || '-'}`,
    ].join('\n');
  }).join('\n');
}

const SLOT_ROLES: Readonly<Record<Slot, RoleName>> = {
  dns: 'directory-server', file: 'file-server', printer: 'printer', database: 'database-server', callManager: 'call-manager',
  nvr: 'nvr', broker: 'mqtt-broker', accessControl: 'access-control-server', backup: 'backup-server',
};

function targetsRole(rule: PeerRule, name: RoleName): boolean {
  switch (rule.kind) {
    case 'assigned':
      return SLOT_ROLES[rule.slot] === name;
    case 'role':
      return rule.role === name;
    case 'targets':
      return (rule.list === 'snmp' ? SNMP_TARGET_ROLES : PING_TARGET_ROLES).includes(name);
    case 'mixed':
      return rule.options.some((o) => targetsRole(o.rule, name));
    default:
      return false;
  }
}
