// Seeded synthetic feature matrices for the clustering benchmark: role-like groups in the behaviour-feature space of
// @clarion/clustering-core, plus irregular endpoints. This stands in for tools/simulator (which will produce real
// flows) so the algorithms can be measured at 100k endpoints in seconds. Roles are described by their raw feature
// means (shares of flows per service category, client share, volumes, rhythm) and perturbed per endpoint.
import { BEHAVIOUR_FEATURE_NAMES, createFeatureMatrix, SeededRandom, type FeatureMatrix } from '@clarion/clustering-core';

export interface RoleArchetype {
  name: string;
  /** Share of the population. */
  weight: number;
  /** Raw feature means by feature name; features not named are 0 (shares) or a neutral value. */
  means: Record<string, number>;
}

const log = (x: number): number => Math.log1p(x);

export const ROLE_ARCHETYPES: readonly RoleArchetype[] = [
  {
    name: 'workstation', weight: 0.3,
    means: { log_peers: log(40), log_client_services: log(12), log_server_services: log(1), log_flows_per_active_hour: log(30), log_bytes_per_flow: log(20000), log_bytes_per_packet: log(600), in_byte_share: 0.85, client_share: 0.95, active_hour_share: 0.3, business_hour_share: 0.8, night_share: 0.03, weekend_share: 0.05, tcp_share: 0.8, udp_share: 0.18, icmp_share: 0.02, cli_web: 0.6, cli_infra: 0.25, cli_file: 0.08, cli_mail: 0.04, cli_print: 0.01, other_service_share: 0.02 },
  },
  {
    name: 'developer', weight: 0.08,
    means: { log_peers: log(90), log_client_services: log(30), log_server_services: log(4), log_flows_per_active_hour: log(80), log_bytes_per_flow: log(50000), log_bytes_per_packet: log(800), in_byte_share: 0.7, client_share: 0.9, active_hour_share: 0.45, business_hour_share: 0.7, night_share: 0.08, weekend_share: 0.1, tcp_share: 0.9, udp_share: 0.09, icmp_share: 0.01, cli_web: 0.45, cli_remote_admin: 0.15, cli_database: 0.1, cli_infra: 0.15, srv_web: 0.03, srv_remote_admin: 0.02, other_service_share: 0.1 },
  },
  {
    name: 'web-server', weight: 0.04,
    means: { log_peers: log(300), log_client_services: log(4), log_server_services: log(2), log_flows_per_active_hour: log(500), log_bytes_per_flow: log(30000), log_bytes_per_packet: log(900), in_byte_share: 0.2, client_share: 0.05, active_hour_share: 0.95, business_hour_share: 0.45, night_share: 0.2, weekend_share: 0.25, tcp_share: 0.97, udp_share: 0.03, srv_web: 0.9, cli_infra: 0.04, cli_database: 0.04, other_service_share: 0.02 },
  },
  {
    name: 'database-server', weight: 0.02,
    means: { log_peers: log(10), log_client_services: log(3), log_server_services: log(1), log_flows_per_active_hour: log(200), log_bytes_per_flow: log(8000), log_bytes_per_packet: log(700), in_byte_share: 0.3, client_share: 0.05, active_hour_share: 0.95, business_hour_share: 0.45, night_share: 0.2, weekend_share: 0.25, tcp_share: 0.96, udp_share: 0.04, srv_database: 0.92, cli_infra: 0.05, other_service_share: 0.03 },
  },
  {
    name: 'file-server', weight: 0.02,
    means: { log_peers: log(200), log_client_services: log(3), log_server_services: log(3), log_flows_per_active_hour: log(150), log_bytes_per_flow: log(200000), log_bytes_per_packet: log(1200), in_byte_share: 0.5, client_share: 0.05, active_hour_share: 0.9, business_hour_share: 0.7, night_share: 0.08, weekend_share: 0.05, tcp_share: 0.97, udp_share: 0.03, srv_file: 0.85, cli_infra: 0.08, other_service_share: 0.07 },
  },
  {
    name: 'directory-dns', weight: 0.03,
    means: { log_peers: log(500), log_client_services: log(4), log_server_services: log(8), log_flows_per_active_hour: log(900), log_bytes_per_flow: log(400), log_bytes_per_packet: log(150), in_byte_share: 0.45, client_share: 0.05, active_hour_share: 1, business_hour_share: 0.6, night_share: 0.1, weekend_share: 0.1, tcp_share: 0.5, udp_share: 0.5, srv_dns_ntp_dhcp: 0.5, srv_directory: 0.4, cli_infra: 0.05, other_service_share: 0.05 },
  },
  {
    name: 'printer', weight: 0.03,
    means: { log_peers: log(15), log_client_services: log(2), log_server_services: log(4), log_flows_per_active_hour: log(5), log_bytes_per_flow: log(300000), log_bytes_per_packet: log(1000), in_byte_share: 0.95, client_share: 0.05, active_hour_share: 0.25, business_hour_share: 0.85, night_share: 0.02, weekend_share: 0.02, tcp_share: 0.75, udp_share: 0.25, srv_print: 0.7, srv_snmp: 0.2, srv_web: 0.05, cli_infra: 0.05 },
  },
  {
    name: 'ip-camera', weight: 0.05,
    means: { log_peers: log(2), log_client_services: log(2), log_server_services: log(2), log_flows_per_active_hour: log(6), log_bytes_per_flow: log(5e6), log_bytes_per_packet: log(1300), in_byte_share: 0.02, client_share: 0.1, active_hour_share: 1, business_hour_share: 0.3, night_share: 0.25, weekend_share: 0.28, tcp_share: 0.8, udp_share: 0.2, srv_camera: 0.8, rtp_media_share: 0.15, cli_infra: 0.05 },
  },
  {
    name: 'voip-phone', weight: 0.1,
    means: { log_peers: log(8), log_client_services: log(3), log_server_services: log(2), log_flows_per_active_hour: log(10), log_bytes_per_flow: log(50000), log_bytes_per_packet: log(200), in_byte_share: 0.5, client_share: 0.5, active_hour_share: 0.3, business_hour_share: 0.85, night_share: 0.01, weekend_share: 0.02, tcp_share: 0.15, udp_share: 0.85, srv_voip: 0.3, cli_voip: 0.3, rtp_media_share: 0.35, cli_infra: 0.05 },
  },
  {
    name: 'iot-sensor', weight: 0.12,
    means: { log_peers: log(2), log_client_services: log(2), log_server_services: log(0), log_flows_per_active_hour: log(12), log_bytes_per_flow: log(300), log_bytes_per_packet: log(120), in_byte_share: 0.4, client_share: 1, active_hour_share: 1, business_hour_share: 0.3, night_share: 0.25, weekend_share: 0.28, tcp_share: 0.7, udp_share: 0.3, cli_iot: 0.85, cli_infra: 0.15 },
  },
  {
    name: 'badge-reader', weight: 0.04,
    means: { log_peers: log(1), log_client_services: log(2), log_server_services: log(0), log_flows_per_active_hour: log(2), log_bytes_per_flow: log(800), log_bytes_per_packet: log(200), in_byte_share: 0.5, client_share: 0.95, active_hour_share: 0.9, business_hour_share: 0.6, night_share: 0.05, weekend_share: 0.05, tcp_share: 0.9, udp_share: 0.1, cli_infra: 0.1, other_service_share: 0.9 },
  },
  {
    name: 'guest-device', weight: 0.07,
    means: { log_peers: log(60), log_client_services: log(6), log_server_services: log(0), log_flows_per_active_hour: log(40), log_bytes_per_flow: log(60000), log_bytes_per_packet: log(900), in_byte_share: 0.9, client_share: 1, active_hour_share: 0.15, business_hour_share: 0.7, night_share: 0.02, weekend_share: 0.1, tcp_share: 0.85, udp_share: 0.15, cli_web: 0.85, cli_infra: 0.12, other_service_share: 0.03 },
  },
];

export const IRREGULAR_LABEL = -1;

export interface SyntheticFeatures {
  /** Raw (unscaled) behaviour features. */
  matrix: FeatureMatrix;
  /** Index into ROLE_ARCHETYPES, or IRREGULAR_LABEL. */
  roles: Int32Array;
}

const SERVICE_SHARES = BEHAVIOUR_FEATURE_NAMES.filter((n) => n.startsWith('srv_') || n.startsWith('cli_') || n === 'rtp_media_share' || n === 'other_service_share');
const BOUNDED = new Set(['in_byte_share', 'client_share', 'active_hour_share', 'business_hour_share', 'night_share', 'weekend_share', 'tcp_share', 'udp_share', 'icmp_share']);

/**
 * `count` endpoints: a share `irregular` drawn at random over the plausible range of every feature, the rest by role
 * weight with per-endpoint variation (log features +-0.35, proportions +-0.05, service mix multiplicative noise).
 */
export function synthesiseFeatures(count: number, irregular: number, seed: number): SyntheticFeatures {
  const rng = new SeededRandom(seed);
  const names = BEHAVIOUR_FEATURE_NAMES;
  const d = names.length;
  const index = new Map(names.map((n, i) => [n, i]));
  const matrix = createFeatureMatrix(count, d);
  const roles = new Int32Array(count);
  const cumulative: number[] = [];
  let sum = 0;
  for (const role of ROLE_ARCHETYPES) cumulative.push((sum += role.weight));
  const row = new Float64Array(d);
  for (let i = 0; i < count; i++) {
    row.fill(0);
    if (rng.next() < irregular) {
      roles[i] = IRREGULAR_LABEL;
      for (const name of names) {
        const j = index.get(name) as number;
        if (name.startsWith('log_')) row[j] = rng.uniform(0, name === 'log_bytes_per_flow' ? 15 : 7);
        else if (BOUNDED.has(name)) row[j] = rng.next();
      }
      let total = 0;
      for (const name of SERVICE_SHARES) {
        const j = index.get(name) as number;
        row[j] = rng.next() < 0.3 ? rng.next() : 0;
        total += row[j];
      }
      for (const name of SERVICE_SHARES) row[index.get(name) as number] /= total || 1;
    } else {
      const u = rng.next() * sum;
      let r = 0;
      while (r < cumulative.length - 1 && u > cumulative[r]) r++;
      roles[i] = r;
      const means = ROLE_ARCHETYPES[r].means;
      for (const name of names) {
        const j = index.get(name) as number;
        const mean = means[name] ?? 0;
        if (name.startsWith('log_')) row[j] = Math.max(0, mean + 0.35 * rng.normal());
        else if (BOUNDED.has(name)) row[j] = Math.min(1, Math.max(0, mean + 0.05 * rng.normal()));
      }
      let total = 0;
      for (const name of SERVICE_SHARES) {
        const j = index.get(name) as number;
        const mean = means[name] ?? 0;
        // Small stray usage of other services, multiplicative variation of the role's own mix.
        row[j] = mean > 0 ? mean * Math.exp(0.25 * rng.normal()) : rng.next() < 0.05 ? 0.02 * rng.next() : 0;
        total += row[j];
      }
      for (const name of SERVICE_SHARES) row[index.get(name) as number] /= total || 1;
    }
    for (let j = 0; j < d; j++) matrix.values[i * d + j] = row[j];
  }
  return { matrix, roles };
}
