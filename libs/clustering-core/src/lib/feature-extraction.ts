import { ClusteringCoreError, ClusteringCoreErrorCode } from './clustering-core.error';
import { type EndpointProfile, HOURS_PER_WEEK } from './endpoint-profile';
import { createFeatureMatrix, type FeatureMatrix } from './feature-matrix';
import { hashString } from './hashing';
import { IP_PROTOCOL, ServiceRole } from './service-ports';

/** Identity context imported per endpoint (CSV/JSON: MAC or IP -> device type, user, directory groups). */
export interface IdentityContext {
  deviceType?: string | null;
  user?: string | null;
  groups?: readonly string[] | null;
}

interface ServiceCategory {
  name: string;
  role: ServiceRole;
  ports: readonly number[];
}

const WEB = [80, 443, 8000, 8080, 8443];
const DATABASE = [1433, 1521, 3306, 5432, 6379, 9042, 9092, 9200, 11211, 27017];
const MAIL = [25, 110, 143, 465, 587, 993, 995];
const IOT = [502, 1883, 4840, 5683, 8883, 47808];
const PRINT = [515, 631, 9100];
const VOIP = [5060, 5061];

/**
 * Well-known service groups whose share of an endpoint's flows separates roles: what it offers as a server (a printer
 * answers 9100/631/515, a camera 554, a phone 5060, a domain controller 53/88/389) and what it uses as a client.
 */
export const SERVICE_CATEGORIES: readonly ServiceCategory[] = [
  { name: 'srv_web', role: ServiceRole.SERVER, ports: WEB },
  { name: 'srv_remote_admin', role: ServiceRole.SERVER, ports: [22, 23, 3389, 5900, 5985, 5986] },
  { name: 'srv_file', role: ServiceRole.SERVER, ports: [21, 111, 139, 445, 873, 2049] },
  { name: 'srv_dns_ntp_dhcp', role: ServiceRole.SERVER, ports: [53, 67, 123, 853] },
  { name: 'srv_directory', role: ServiceRole.SERVER, ports: [88, 135, 389, 464, 636, 1812, 1813, 3268, 3269] },
  { name: 'srv_database', role: ServiceRole.SERVER, ports: DATABASE },
  { name: 'srv_mail', role: ServiceRole.SERVER, ports: MAIL },
  { name: 'srv_print', role: ServiceRole.SERVER, ports: PRINT },
  { name: 'srv_camera', role: ServiceRole.SERVER, ports: [554, 8554] },
  { name: 'srv_voip', role: ServiceRole.SERVER, ports: VOIP },
  { name: 'srv_iot', role: ServiceRole.SERVER, ports: IOT },
  { name: 'srv_snmp', role: ServiceRole.SERVER, ports: [161] },
  { name: 'cli_web', role: ServiceRole.CLIENT, ports: WEB },
  { name: 'cli_infra', role: ServiceRole.CLIENT, ports: [53, 67, 88, 123, 389, 464, 636, 853, 3268] },
  { name: 'cli_file', role: ServiceRole.CLIENT, ports: [139, 445, 2049] },
  { name: 'cli_remote_admin', role: ServiceRole.CLIENT, ports: [22, 3389, 5900, 5985, 5986] },
  { name: 'cli_database', role: ServiceRole.CLIENT, ports: DATABASE },
  { name: 'cli_mail', role: ServiceRole.CLIENT, ports: MAIL },
  { name: 'cli_print', role: ServiceRole.CLIENT, ports: PRINT },
  { name: 'cli_voip', role: ServiceRole.CLIENT, ports: VOIP },
  { name: 'cli_iot', role: ServiceRole.CLIENT, ports: IOT },
];

/** UDP media (RTP/RTCP of phones, cameras, conferencing) typically runs between the high even ports 10000-32767. */
const RTP_LOW = 10000;
const RTP_HIGH = 32767;
const HOURS_PER_DAY = 24;
const HOUR_MS = 3_600_000;

const BASE_FEATURES = [
  'log_peers',
  'log_client_services',
  'log_server_services',
  'log_flows_per_active_hour',
  'log_bytes_per_flow',
  'log_bytes_per_packet',
  'in_byte_share',
  'client_share',
  'active_hour_share',
  'business_hour_share',
  'night_share',
  'weekend_share',
  'tcp_share',
  'udp_share',
  'icmp_share',
] as const;

const SHARE_TAIL = ['rtp_media_share', 'other_service_share'] as const;

/** Names of the behaviour features, in vector order. */
export const BEHAVIOUR_FEATURE_NAMES: readonly string[] = [...BASE_FEATURES, ...SERVICE_CATEGORIES.map((c) => c.name), ...SHARE_TAIL];

export const IDENTITY_BUCKETS = 8;
export const IDENTITY_FEATURE_NAMES: readonly string[] = [
  ...Array.from({ length: IDENTITY_BUCKETS }, (_, i) => `device_type_${i}`),
  ...Array.from({ length: IDENTITY_BUCKETS }, (_, i) => `group_${i}`),
  'has_user',
];

/** (role << 16 | port) -> category index, built once. */
const CATEGORY_BY_ROLE_PORT: ReadonlyMap<number, number> = (() => {
  const map = new Map<number, number>();
  SERVICE_CATEGORIES.forEach((category, index) => {
    for (const port of category.ports) map.set((category.role << 16) | port, index);
  });
  return map;
})();

export interface FeatureSpaceOptions {
  /** Append identity features (device type, directory groups, user). Clustering must also work without them. */
  identity: boolean;
}

/**
 * Which features a model uses. The same space (and the scaler fitted on it) must be used for the full clustering and
 * for every later incremental assignment.
 */
export class FeatureSpace {
  readonly names: readonly string[];
  /** Smallest scale the scaler may use per feature (see FeatureScaler): shares 0.05, log features 0.25. */
  readonly minScales: Float64Array;

  constructor(readonly options: FeatureSpaceOptions = { identity: false }) {
    this.names = options.identity ? [...BEHAVIOUR_FEATURE_NAMES, ...IDENTITY_FEATURE_NAMES] : [...BEHAVIOUR_FEATURE_NAMES];
    this.minScales = new Float64Array(this.names.map((name) => (name.startsWith('log_') ? 0.25 : 0.05)));
  }

  get dimension(): number {
    return this.names.length;
  }

  /** Features of one profile into `out` (or a new vector). */
  extract(profile: EndpointProfile, identity?: IdentityContext | null, out?: Float64Array | Float32Array, offset = 0): Float64Array | Float32Array {
    const target = out ?? new Float64Array(this.dimension);
    if (target.length < offset + this.dimension) {
      throw new ClusteringCoreError(ClusteringCoreErrorCode.DIMENSION_MISMATCH, 'feature output buffer too small');
    }
    writeBehaviourFeatures(profile, target, offset);
    if (this.options.identity) writeIdentityFeatures(identity ?? null, target, offset + BEHAVIOUR_FEATURE_NAMES.length);
    return target;
  }

  /** Features of many profiles as a matrix (unscaled). */
  extractAll(profiles: readonly EndpointProfile[], identities?: ReadonlyArray<IdentityContext | null | undefined>): FeatureMatrix {
    const matrix = createFeatureMatrix(profiles.length, this.dimension);
    profiles.forEach((profile, i) => this.extract(profile, identities?.[i] ?? null, matrix.values, i * this.dimension));
    return matrix;
  }

  toJSON(): FeatureSpaceOptions & { names: readonly string[] } {
    return { ...this.options, names: this.names };
  }
}

function share(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

function writeBehaviourFeatures(p: EndpointProfile, out: Float64Array | Float32Array, o: number): void {
  const flows = p.flows;
  const activeHours = p.activeHoursOfWeek();
  const bytes = p.bytesIn + p.bytesOut;
  const packets = p.packetsIn + p.packetsOut;
  let observedHours = 1;
  if (Number.isFinite(p.firstSeenMs) && Number.isFinite(p.lastSeenMs)) {
    // Clock hours spanned, as the activity mask counts them (a day of traffic spans 24, not 25).
    observedHours = Math.max(1, Math.floor(p.lastSeenMs / HOUR_MS) - Math.floor(p.firstSeenMs / HOUR_MS) + 1);
  }
  let night = 0;
  for (let h = 0; h < 6; h++) night += p.hourOfDayFlows[h];
  out[o] = Math.log1p(p.peers.estimate());
  out[o + 1] = Math.log1p(p.clientServices.estimate());
  out[o + 2] = Math.log1p(p.serverServices.estimate());
  out[o + 3] = Math.log1p(flows / Math.max(1, activeHours));
  out[o + 4] = Math.log1p(share(bytes, flows));
  out[o + 5] = Math.log1p(share(bytes, packets));
  out[o + 6] = bytes > 0 ? p.bytesIn / bytes : 0.5;
  out[o + 7] = flows > 0 ? p.flowsAsClient / flows : 0.5;
  // Share of the hours in the observed span with activity, over at least a day: an endpoint seen for a few hours would
  // otherwise get a share from a tiny denominator (3 of 3 hours = 1, 2 of 3 = 0.67), splitting part-time devices
  // (guests, laptops) into groups by how their few hours happened to fall rather than by what they did.
  out[o + 8] = Math.min(1, activeHours / Math.min(HOURS_PER_WEEK, Math.max(HOURS_PER_DAY, observedHours)));
  out[o + 9] = share(p.businessHourFlows, flows);
  out[o + 10] = share(night, flows);
  out[o + 11] = share(p.weekendFlows, flows);
  out[o + 12] = share(p.protocolFlows[0], flows);
  out[o + 13] = share(p.protocolFlows[1], flows);
  out[o + 14] = share(p.protocolFlows[2], flows);
  const categoryStart = o + BASE_FEATURES.length;
  const categories = SERVICE_CATEGORIES.length;
  for (let c = 0; c < categories + SHARE_TAIL.length; c++) out[categoryStart + c] = 0;
  const total = p.services.total;
  if (total <= 0) return;
  let categorised = 0;
  p.services.forEach((key, count) => {
    const role = (key >>> 24) & 1;
    const protocol = (key >>> 16) & 0xff;
    const port = key & 0xffff;
    const category = CATEGORY_BY_ROLE_PORT.get((role << 16) | port);
    if (category !== undefined && protocol !== IP_PROTOCOL.ICMP) {
      out[categoryStart + category] += count;
      categorised += count;
    } else if (protocol === IP_PROTOCOL.UDP && port >= RTP_LOW && port <= RTP_HIGH) {
      out[categoryStart + categories] += count;
      categorised += count;
    }
  });
  for (let c = 0; c <= categories; c++) out[categoryStart + c] = Math.min(1, out[categoryStart + c] / total);
  out[categoryStart + categories + 1] = Math.max(0, 1 - categorised / total);
}

function bucketOf(text: string): number {
  return hashString(text.trim().toLowerCase(), 0x1d) % IDENTITY_BUCKETS;
}

function writeIdentityFeatures(identity: IdentityContext | null, out: Float64Array | Float32Array, o: number): void {
  for (let i = 0; i < IDENTITY_FEATURE_NAMES.length; i++) out[o + i] = 0;
  if (!identity) return;
  if (identity.deviceType) out[o + bucketOf(identity.deviceType)] = 1;
  const groups = identity.groups ?? [];
  for (const group of groups) out[o + IDENTITY_BUCKETS + bucketOf(group)] = 1;
  out[o + 2 * IDENTITY_BUCKETS] = identity.user ? 1 : 0;
}
