import { type EndpointProfile } from './endpoint-profile';
import { type IdentityContext } from './feature-extraction';
import { WELL_KNOWN_SERVICES, protocolName, serviceName, ServiceRole } from './service-ports';
import { SgtCategory, sgtNameFor } from './sgt';

export interface ServiceUse {
  protocol: number;
  port: number;
  /** "tcp/9100". */
  service: string;
  /** Share of members for which this service carries at least 10 % of their flows. */
  memberShare: number;
  /** Share of all the cluster's flows. */
  flowShare: number;
}

export interface ValueShare {
  value: string;
  /** Share of all members. */
  share: number;
}

/** What a label is derived from: aggregates over the member profiles (and identities when imported). */
export interface ClusterSummary {
  size: number;
  /** Members with any identity context. */
  identified: number;
  topDeviceType: ValueShare | null;
  topGroup: ValueShare | null;
  /** Share of members that act as the server in most of their flows. */
  serverShare: number;
  medianPeers: number;
  medianFlows: number;
  /** Share of the cluster's flows during business hours. */
  businessHourShare: number;
  /** Services members offer (server role), most widespread first. */
  served: ServiceUse[];
  /** Services members use as clients, most widespread first. */
  used: ServiceUse[];
}

const MEMBER_SERVICE_SHARE = 0.1;

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function topShare(values: Array<string | null | undefined>, size: number): ValueShare | null {
  const counts = new Map<string, number>();
  for (const v of values) {
    if (!v) continue;
    const key = v.trim();
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let best: ValueShare | null = null;
  for (const [value, count] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (!best || count / size > best.share) best = { value, share: count / size };
  }
  return best;
}

/** Aggregates member profiles (and optional identities, aligned by index) into a ClusterSummary. */
export function summariseCluster(
  members: readonly EndpointProfile[],
  identities: ReadonlyArray<IdentityContext | null | undefined> = [],
): ClusterSummary {
  const size = members.length;
  const memberCounts = new Map<number, number>();
  const flowCounts = new Map<number, number>();
  let totalFlows = 0;
  let businessFlows = 0;
  let servers = 0;
  for (const profile of members) {
    totalFlows += profile.flows;
    businessFlows += profile.businessHourFlows;
    if (profile.flowsAsServer > profile.flowsAsClient) servers++;
    profile.services.forEach((key, count) => {
      flowCounts.set(key, (flowCounts.get(key) ?? 0) + count);
      if (profile.flows > 0 && count / profile.flows >= MEMBER_SERVICE_SHARE) memberCounts.set(key, (memberCounts.get(key) ?? 0) + 1);
    });
  }
  const uses = (role: ServiceRole): ServiceUse[] =>
    [...flowCounts.keys()]
      .filter((key) => ((key >>> 24) & 1) === role)
      .map((key) => {
        const protocol = (key >>> 16) & 0xff;
        const port = key & 0xffff;
        return {
          protocol,
          port,
          service: serviceName(protocol, port),
          memberShare: size > 0 ? (memberCounts.get(key) ?? 0) / size : 0,
          flowShare: totalFlows > 0 ? (flowCounts.get(key) ?? 0) / totalFlows : 0,
        };
      })
      .sort((a, b) => b.memberShare - a.memberShare || b.flowShare - a.flowShare || a.protocol - b.protocol || a.port - b.port);
  const identified = identities.filter((i) => i && (i.deviceType || i.user || (i.groups && i.groups.length > 0))).length;
  const groups: string[] = [];
  identities.forEach((i) => {
    // Each member votes once per distinct group.
    for (const g of new Set(i?.groups ?? [])) groups.push(g);
  });
  return {
    size,
    identified,
    topDeviceType: size > 0 ? topShare(identities.map((i) => i?.deviceType), size) : null,
    topGroup: size > 0 ? topShare(groups, size) : null,
    serverShare: size > 0 ? servers / size : 0,
    medianPeers: Math.round(median(members.map((p) => p.peers.estimate()))),
    medianFlows: Math.round(median(members.map((p) => p.flows))),
    businessHourShare: totalFlows > 0 ? businessFlows / totalFlows : 0,
    served: uses(ServiceRole.SERVER),
    used: uses(ServiceRole.CLIENT),
  };
}

export interface ClusterLabel {
  /** Short label: "Printers: 94 % use tcp/9100". */
  label: string;
  /** One paragraph in words a network engineer trusts. */
  explanation: string;
  basis: 'identity' | 'behaviour';
  /** Which SGT range the group belongs in. */
  category: SgtCategory;
  /** Suggested stable SGT name. */
  sgtName: string;
}

interface DeviceRule {
  noun: string;
  ports: readonly number[];
  roles: readonly ServiceRole[];
  verb: string;
}

/** Device kinds recognised from the service they are known for (role matters: a printer accepts 9100). */
const DEVICE_RULES: readonly DeviceRule[] = [
  { noun: 'Printers', ports: [9100, 631, 515], roles: [ServiceRole.SERVER], verb: 'use' },
  { noun: 'IP cameras', ports: [554, 8554], roles: [ServiceRole.SERVER], verb: 'stream over' },
  { noun: 'VoIP phones', ports: [5060, 5061], roles: [ServiceRole.SERVER, ServiceRole.CLIENT], verb: 'use' },
  { noun: 'IoT devices', ports: [1883, 8883, 5683, 502, 47808], roles: [ServiceRole.CLIENT], verb: 'report over' },
];

/** Minimum share of the members behind a claim made in a label. */
const LABEL_MAJORITY = 0.5;
const IDENTITY_MAJORITY = 0.6;

function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
}

function plural(noun: string): string {
  const n = noun.trim();
  if (/s$/i.test(n)) return n.charAt(0).toUpperCase() + n.slice(1);
  return n.charAt(0).toUpperCase() + n.slice(1) + 's';
}

function describe(use: ServiceUse): string {
  const name = WELL_KNOWN_SERVICES[use.port];
  return name ? `${use.service} (${name})` : use.service;
}

function identityCategory(deviceType: string): SgtCategory {
  if (/server|controller|database|\bdc\b|storage|nas/i.test(deviceType)) return SgtCategory.SERVERS;
  if (/laptop|workstation|desktop|\bpc\b|notebook|user|developer|macbook|thin client/i.test(deviceType)) return SgtCategory.USERS;
  return SgtCategory.DEVICES;
}

/**
 * Names a cluster. Identity first when it is known for most members (dominant device type, else dominant directory
 * group); otherwise behaviour: a device kind recognised by its service ("Printers: 94 % use tcp/9100"), servers by
 * the service most of them offer ("Servers offering tcp/443 to 120 peers"), else client devices.
 */
export function labelCluster(summary: ClusterSummary): ClusterLabel {
  const behaviour = behaviourSentence(summary);
  const identityKnown = summary.size > 0 && summary.identified / summary.size >= LABEL_MAJORITY;
  if (identityKnown && summary.topDeviceType && summary.topDeviceType.share >= IDENTITY_MAJORITY) {
    const label = plural(summary.topDeviceType.value);
    return {
      label,
      explanation:
        `${percent(summary.topDeviceType.share)} of the ${summary.size} endpoints in this cluster are imported as device type ` +
        `"${summary.topDeviceType.value}", so the cluster is named after it. ${behaviour}`,
      basis: 'identity',
      category: identityCategory(summary.topDeviceType.value),
      sgtName: sgtNameFor(label),
    };
  }
  if (identityKnown && summary.topGroup && summary.topGroup.share >= IDENTITY_MAJORITY) {
    const label = `Group ${summary.topGroup.value}`;
    return {
      label,
      explanation:
        `${percent(summary.topGroup.share)} of the ${summary.size} endpoints in this cluster belong to the directory group ` +
        `"${summary.topGroup.value}", so the cluster is named after it. ${behaviour}`,
      basis: 'identity',
      category: SgtCategory.USERS,
      sgtName: sgtNameFor(summary.topGroup.value),
    };
  }
  const basisNote = 'Labelled from behaviour: no identity data dominates its members.';
  for (const rule of DEVICE_RULES) {
    const candidates = rule.roles.flatMap((role) =>
      (role === ServiceRole.SERVER ? summary.served : summary.used).filter((u) => rule.ports.includes(u.port)),
    );
    candidates.sort((a, b) => b.memberShare - a.memberShare || b.flowShare - a.flowShare);
    const top = candidates[0];
    if (top && top.memberShare >= LABEL_MAJORITY) {
      return {
        label: `${rule.noun}: ${percent(top.memberShare)} ${rule.verb} ${top.service}`,
        explanation: `${behaviour} ${basisNote}`,
        basis: 'behaviour',
        category: SgtCategory.DEVICES,
        sgtName: sgtNameFor(rule.noun),
      };
    }
  }
  const served = summary.served[0];
  if (summary.serverShare >= LABEL_MAJORITY && served && served.memberShare >= LABEL_MAJORITY) {
    return {
      label: `Servers offering ${served.service} to ${summary.medianPeers} peers`,
      explanation: `${behaviour} ${basisNote}`,
      basis: 'behaviour',
      category: SgtCategory.SERVERS,
      sgtName: sgtNameFor(`SERVERS_${protocolName(served.protocol)}_${served.port}`),
    };
  }
  const used = summary.used[0];
  const label = summary.serverShare < LABEL_MAJORITY && used ? 'Client devices' : 'Mixed endpoints';
  return {
    label,
    explanation: `${behaviour} ${basisNote}`,
    basis: 'behaviour',
    category: label === 'Client devices' ? SgtCategory.USERS : SgtCategory.SPECIAL,
    sgtName: sgtNameFor(label === 'Client devices' ? 'CLIENTS' : 'MIXED'),
  };
}

function behaviourSentence(s: ClusterSummary): string {
  const parts: string[] = [`The cluster holds ${s.size} endpoint${s.size === 1 ? '' : 's'}.`];
  const served = s.served.filter((u) => u.memberShare >= 0.2).slice(0, 3);
  const used = s.used.filter((u) => u.memberShare >= 0.2).slice(0, 3);
  if (served.length > 0) {
    parts.push(
      `Most widespread services they offer: ${served.map((u) => `${describe(u)} on ${percent(u.memberShare)} of them (${percent(u.flowShare)} of the cluster's flows)`).join(', ')}.`,
    );
  }
  if (used.length > 0) {
    parts.push(`As clients they mostly use ${used.map((u) => `${describe(u)} (by ${percent(u.memberShare)} of them)`).join(', ')}.`);
  }
  parts.push(
    `${percent(s.serverShare)} of them act mainly as servers; the median endpoint talks to ${s.medianPeers} peer${s.medianPeers === 1 ? '' : 's'} ` +
      `over ${s.medianFlows} flow${s.medianFlows === 1 ? '' : 's'}, and ${percent(s.businessHourShare)} of the cluster's flows fall in business ` +
      `hours (Monday to Friday, 08:00-18:00).`,
  );
  return parts.join(' ');
}
