import { invalidArgument } from './clustering-core.error';
import { type PolicyCell, type PolicyMatrix } from './policy-matrix';
import { hasPorts, IP_PROTOCOL, protocolName } from './service-ports';
import { sgtNameFor } from './sgt';

/** One access control entry of a role-based ACL. `protocol` 'ip' matches every protocol. */
export interface SgaclRule {
  action: 'permit' | 'deny';
  /** IANA protocol number, or 'ip' for any. */
  protocol: number | 'ip';
  /** Destination (server) port for TCP/UDP/SCTP; absent = any port. */
  port?: number;
  log?: boolean;
}

export interface Sgacl {
  srcSgt: number;
  dstSgt: number;
  name: string;
  rules: SgaclRule[];
}

/** A proposed policy: the SGACL of each cell, and what applies to cells without one (TrustSec's default policy). */
export interface PolicyProposal {
  defaultAction: 'permit' | 'deny';
  sgacls: Sgacl[];
}

export interface SgaclOptions {
  /** A service gets a permit when it had at least this many flows ... */
  minFlows: number;
  /** ... and at least this share of the cell's flows. */
  minShare: number;
  /** Log the final deny (recommended while a policy is new). */
  logDeny: boolean;
  /** Default policy for cells without observed traffic. */
  defaultAction: 'permit' | 'deny';
}

export const DEFAULT_SGACL_OPTIONS: Readonly<SgaclOptions> = Object.freeze({
  minFlows: 10,
  minShare: 0.01,
  logDeny: true,
  defaultAction: 'permit',
});

/** Name of an SGT for rendering: registry name when known, else "SGT_<value>". */
export type SgtNamer = (sgt: number) => string;

export const defaultSgtNamer: SgtNamer = (sgt) => `SGT_${sgt}`;

/** "ALLOW_USERS_TO_PRINTERS", within the 64 characters the CLI allows for names. */
export function sgaclName(srcName: string, dstName: string): string {
  return `${sgtNameFor(srcName)}_TO_${sgtNameFor(dstName)}`.slice(0, 64);
}

/**
 * Derives a whitelist SGACL for every observed cell: one permit per service seen often enough (>= minFlows flows and
 * >= minShare of the cell's flows; heaviest first), then a final deny (logged). Cells are taken in (source,
 * destination) order, so the output is deterministic.
 */
export function generateSgacls(
  observed: PolicyMatrix | readonly PolicyCell[],
  namer: SgtNamer = defaultSgtNamer,
  options: Partial<SgaclOptions> = {},
): PolicyProposal {
  const o = { ...DEFAULT_SGACL_OPTIONS, ...options };
  if (!(o.minFlows >= 0) || !(o.minShare >= 0 && o.minShare <= 1)) throw invalidArgument('bad SGACL thresholds');
  const cells = Array.isArray(observed) ? (observed as readonly PolicyCell[]) : (observed as PolicyMatrix).cells();
  const sgacls: Sgacl[] = cells.map((cell) => {
    const permits: SgaclRule[] = [];
    const seen = new Set<string>();
    for (const service of cell.services) {
      if (service.flows < o.minFlows || service.flows < o.minShare * cell.flows) continue;
      const rule: SgaclRule = hasPorts(service.protocol)
        ? { action: 'permit', protocol: service.protocol, port: service.port }
        : { action: 'permit', protocol: service.protocol };
      const key = `${rule.protocol}/${rule.port ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      permits.push(rule);
    }
    return {
      srcSgt: cell.srcSgt,
      dstSgt: cell.dstSgt,
      name: sgaclName(namer(cell.srcSgt), namer(cell.dstSgt)),
      rules: [...permits, { action: 'deny', protocol: 'ip', ...(o.logDeny ? { log: true } : {}) }],
    };
  });
  return { defaultAction: o.defaultAction, sgacls };
}

function renderProtocol(protocol: number | 'ip'): string {
  if (protocol === 'ip') return 'ip';
  if (protocol === IP_PROTOCOL.TCP || protocol === IP_PROTOCOL.UDP || protocol === IP_PROTOCOL.ICMP) return protocolName(protocol);
  return String(protocol);
}

/** Name of the ACL bound to the default policy when it denies. */
export const DEFAULT_DENY_NAME = 'DEFAULT_DENY_IP_LOG';

/** `permit tcp dst eq 443`, `permit icmp`, `deny ip log`. */
export function renderRule(rule: SgaclRule): string {
  let text = `${rule.action} ${renderProtocol(rule.protocol)}`;
  if (rule.port !== undefined && rule.protocol !== 'ip') text += ` dst eq ${rule.port}`;
  if (rule.log) text += ' log';
  return text;
}

/**
 * Cisco IOS / IOS-XE CLI: every role-based ACL, then the `cts role-based permissions` that binds it to its cell.
 *
 *   ip access-list role-based USERS_TO_PRINTERS
 *    permit tcp dst eq 9100
 *    deny ip log
 *   !
 *   cts role-based permissions from 2 to 20 USERS_TO_PRINTERS
 */
export function renderCiscoCli(proposal: PolicyProposal): string {
  const lines: string[] = [];
  if (proposal.defaultAction === 'deny') lines.push(`ip access-list role-based ${DEFAULT_DENY_NAME}`, ' deny ip log', '!');
  for (const acl of proposal.sgacls) {
    lines.push(`ip access-list role-based ${acl.name}`);
    for (const rule of acl.rules) lines.push(` ${renderRule(rule)}`);
    lines.push('!');
  }
  for (const acl of proposal.sgacls) lines.push(`cts role-based permissions from ${acl.srcSgt} to ${acl.dstSgt} ${acl.name}`);
  if (proposal.defaultAction === 'deny') lines.push(`cts role-based permissions default ${DEFAULT_DENY_NAME}`);
  return `${lines.join('\n')}\n`;
}

export interface SgaclJson {
  defaultAction: 'permit' | 'deny';
  sgacls: Array<{
    source: { sgt: number; name: string };
    destination: { sgt: number; name: string };
    name: string;
    rules: Array<{ action: 'permit' | 'deny'; protocol: string; port?: number; log?: boolean; text: string }>;
  }>;
}

/** The same policy as JSON (for the API and for tools that push SGACLs to ISE). */
export function renderSgaclJson(proposal: PolicyProposal, namer: SgtNamer = defaultSgtNamer): SgaclJson {
  return {
    defaultAction: proposal.defaultAction,
    sgacls: proposal.sgacls.map((acl) => ({
      source: { sgt: acl.srcSgt, name: namer(acl.srcSgt) },
      destination: { sgt: acl.dstSgt, name: namer(acl.dstSgt) },
      name: acl.name,
      rules: acl.rules.map((rule) => ({
        action: rule.action,
        protocol: renderProtocol(rule.protocol),
        ...(rule.port !== undefined ? { port: rule.port } : {}),
        ...(rule.log ? { log: true } : {}),
        text: renderRule(rule),
      })),
    })),
  };
}
