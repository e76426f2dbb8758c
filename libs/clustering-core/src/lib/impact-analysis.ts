import { PolicyMatrix, type PolicyCell, type PolicyFlow } from './policy-matrix';
import { hasPorts, IP_PROTOCOL, serviceName, WELL_KNOWN_SERVICES } from './service-ports';
import { type PolicyProposal, type Sgacl, type SgaclRule } from './sgacl';

export enum ImpactRisk {
  CRITICAL = 'critical',
  HIGH = 'high',
  MEDIUM = 'medium',
  LOW = 'low',
}

export interface ImpactOptions {
  /** A blocked service with at least this many flows is "frequent": SSH/HTTP/SMB/RDP become high, others medium. */
  frequentFlows: number;
}

export const DEFAULT_IMPACT_OPTIONS: Readonly<ImpactOptions> = Object.freeze({ frequentFlows: 100 });

export interface BlockedService {
  srcSgt: number;
  dstSgt: number;
  protocol: number;
  port: number;
  service: string;
  flows: number;
  bytes: number;
  distinctSources: number;
  distinctDestinations: number;
  risk: ImpactRisk;
  reason: string;
  /** The rule that denies it, or "default policy". */
  deniedBy: string;
}

export interface ImpactReport {
  totalFlows: number;
  totalBytes: number;
  blockedFlows: number;
  blockedBytes: number;
  /** Blocked services, most severe first, then by flows. */
  blocked: BlockedService[];
  blockedByRisk: Record<ImpactRisk, number>;
}

/** Infrastructure every endpoint depends on: blocking any of it breaks logins, name resolution or time. */
const CRITICAL_SERVICES: ReadonlyArray<{ protocols: readonly number[]; port: number }> = [
  { protocols: [IP_PROTOCOL.UDP, IP_PROTOCOL.TCP], port: 53 },
  { protocols: [IP_PROTOCOL.UDP, IP_PROTOCOL.TCP], port: 88 },
  { protocols: [IP_PROTOCOL.UDP], port: 123 },
  { protocols: [IP_PROTOCOL.UDP, IP_PROTOCOL.TCP], port: 389 },
  { protocols: [IP_PROTOCOL.TCP], port: 636 },
  { protocols: [IP_PROTOCOL.TCP], port: 443 },
];

/** Administrative and business services whose loss is noticed at once when they are in regular use. */
const HIGH_WHEN_FREQUENT: ReadonlyArray<{ protocol: number; port: number }> = [
  { protocol: IP_PROTOCOL.TCP, port: 22 },
  { protocol: IP_PROTOCOL.TCP, port: 80 },
  { protocol: IP_PROTOCOL.TCP, port: 445 },
  { protocol: IP_PROTOCOL.TCP, port: 3389 },
];

const RISK_ORDER: Record<ImpactRisk, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** Risk of losing a service with `flows` observed flows. */
export function riskOf(protocol: number, port: number, flows: number, options: ImpactOptions = DEFAULT_IMPACT_OPTIONS): { risk: ImpactRisk; reason: string } {
  const name = WELL_KNOWN_SERVICES[port] ?? serviceName(protocol, port);
  if (hasPorts(protocol) && CRITICAL_SERVICES.some((s) => s.port === port && s.protocols.includes(protocol))) {
    return { risk: ImpactRisk.CRITICAL, reason: `${name} is infrastructure every endpoint depends on` };
  }
  const frequent = flows >= options.frequentFlows;
  if (HIGH_WHEN_FREQUENT.some((s) => s.port === port && s.protocol === protocol)) {
    return frequent
      ? { risk: ImpactRisk.HIGH, reason: `${name} is in regular use (${flows} flows)` }
      : { risk: ImpactRisk.MEDIUM, reason: `${name} is used occasionally (${flows} flows)` };
  }
  return frequent
    ? { risk: ImpactRisk.MEDIUM, reason: `${name} is in regular use (${flows} flows)` }
    : { risk: ImpactRisk.LOW, reason: `${name} is rare (${flows} flows)` };
}

function matches(rule: SgaclRule, protocol: number, port: number): boolean {
  if (rule.protocol === 'ip') return true;
  if (rule.protocol !== protocol) return false;
  return rule.port === undefined || !hasPorts(protocol) || rule.port === port;
}

export interface PolicyDecision {
  action: 'permit' | 'deny';
  /** Index of the matching rule in the cell's SGACL, -1 for the default policy (or an SGACL with no match). */
  ruleIndex: number;
  sgacl: Sgacl | null;
}

/**
 * What the proposal does to (protocol, destination port) from srcSgt to dstSgt: the first matching rule of the cell's
 * SGACL; a cell without an SGACL follows the default policy; an SGACL without a match denies (implicit deny).
 */
export function evaluatePolicy(proposal: PolicyProposal, srcSgt: number, dstSgt: number, protocol: number, port: number): PolicyDecision {
  const sgacl = proposal.sgacls.find((a) => a.srcSgt === srcSgt && a.dstSgt === dstSgt) ?? null;
  if (!sgacl) return { action: proposal.defaultAction, ruleIndex: -1, sgacl: null };
  const index = sgacl.rules.findIndex((rule) => matches(rule, protocol, port));
  if (index < 0) return { action: 'deny', ruleIndex: -1, sgacl };
  return { action: sgacl.rules[index].action, ruleIndex: index, sgacl };
}

/**
 * Replays observed traffic (a policy matrix, i.e. flows aggregated per cell and service) against a proposed policy and
 * reports every service it would block, with its risk.
 */
export function analyseImpact(
  proposal: PolicyProposal,
  observed: PolicyMatrix | readonly PolicyCell[],
  options: Partial<ImpactOptions> = {},
): ImpactReport {
  const o = { ...DEFAULT_IMPACT_OPTIONS, ...options };
  const cells = Array.isArray(observed) ? (observed as readonly PolicyCell[]) : (observed as PolicyMatrix).cells();
  const report: ImpactReport = {
    totalFlows: 0,
    totalBytes: 0,
    blockedFlows: 0,
    blockedBytes: 0,
    blocked: [],
    blockedByRisk: { critical: 0, high: 0, medium: 0, low: 0 },
  };
  for (const cell of cells) {
    for (const service of cell.services) {
      report.totalFlows += service.flows;
      report.totalBytes += service.bytes;
      const decision = evaluatePolicy(proposal, cell.srcSgt, cell.dstSgt, service.protocol, service.port);
      if (decision.action === 'permit') continue;
      const { risk, reason } = riskOf(service.protocol, service.port, service.flows, o);
      let deniedBy = 'default policy';
      if (decision.sgacl) {
        deniedBy = decision.ruleIndex >= 0 ? `${decision.sgacl.name} rule ${decision.ruleIndex + 1}` : `${decision.sgacl.name} implicit deny`;
      }
      report.blocked.push({
        srcSgt: cell.srcSgt,
        dstSgt: cell.dstSgt,
        protocol: service.protocol,
        port: service.port,
        service: serviceName(service.protocol, service.port),
        flows: service.flows,
        bytes: service.bytes,
        distinctSources: service.distinctSources,
        distinctDestinations: service.distinctDestinations,
        risk,
        reason,
        deniedBy,
      });
      report.blockedFlows += service.flows;
      report.blockedBytes += service.bytes;
      report.blockedByRisk[risk]++;
    }
  }
  report.blocked.sort((a, b) => RISK_ORDER[a.risk] - RISK_ORDER[b.risk] || b.flows - a.flows || a.srcSgt - b.srcSgt || a.dstSgt - b.dstSgt);
  return report;
}

/** Replays individual flows: aggregates them into a matrix (same SGT resolution) and analyses that. */
export function replayFlows(
  proposal: PolicyProposal,
  flows: Iterable<PolicyFlow>,
  membershipOf: (endpoint: string) => number | null | undefined,
  options: Partial<ImpactOptions> = {},
): ImpactReport {
  const matrix = new PolicyMatrix();
  for (const flow of flows) matrix.addFlow(flow, membershipOf);
  return analyseImpact(proposal, matrix, options);
}
