import { Injectable } from '@nestjs/common';
import {
  type ImpactReportDto,
  type ImpactRequestDto,
  type PolicyMatrixDto,
  type PolicyMatrixRequestDto,
  type PolicyProposalDto,
  type PolicyProposalInputDto,
  type SgaclExportDto,
  type SgaclExportRequestDto,
  type SgaclOptionsDto,
} from '@clarion/contracts';
import {
  analyseImpact,
  generateSgacls,
  renderCiscoCli,
  renderSgaclJson,
  UNKNOWN_SGT,
  type PolicyCell,
  type PolicyProposal,
  type SgaclOptions,
  type SgtNamer,
} from '@clarion/clustering-core';
import { Database } from '@clarion/persistence';
import { PolicyEdgeRepository, SgtRepository } from '../../data';
import { ClusteringEnv } from '../../clustering.env';
import { requirePermission } from '../shared/query-access';
import { serviceLabel } from '../shared/service-label';

/** The impact report lists the most severe blocked services; its counts cover all of them. */
export const MAX_BLOCKED_LISTED = 1000;

interface ObservedPolicy {
  cells: PolicyCell[];
  /** Registry name of every SGT in the cells ("Unknown" for 0, "SGT_<n>" for a tag the registry does not know). */
  names: Map<number, string>;
}

const unregisteredName = (sgt: number): string => (sgt === UNKNOWN_SGT ? 'Unknown' : `SGT_${sgt}`);

function namerOf(names: Map<number, string>): SgtNamer {
  return (sgt) => names.get(sgt) ?? unregisteredName(sgt);
}

/** Request options without the absent ones (an explicit undefined would replace a default). */
function sgaclOptionsOf(request: SgaclOptionsDto): Partial<SgaclOptions> {
  const options: Partial<SgaclOptions> = {};
  if (request.minFlows !== undefined) options.minFlows = request.minFlows;
  if (request.minShare !== undefined) options.minShare = request.minShare;
  if (request.logDeny !== undefined) options.logDeny = request.logDeny;
  if (request.defaultAction !== undefined) options.defaultAction = request.defaultAction;
  return options;
}

export function proposalToDto(proposal: PolicyProposal): PolicyProposalDto {
  return {
    defaultAction: proposal.defaultAction,
    sgacls: proposal.sgacls.map((acl) => ({
      srcSgt: acl.srcSgt,
      dstSgt: acl.dstSgt,
      name: acl.name,
      rules: acl.rules.map((rule) => ({
        action: rule.action,
        ...(rule.protocol !== 'ip' ? { protocol: rule.protocol } : {}),
        ...(rule.port !== undefined ? { port: rule.port } : {}),
        ...(rule.log === true ? { log: true } : {}),
      })),
    })),
  };
}

/** An API proposal as the core evaluates it: a rule without a protocol matches every IP protocol. */
export function proposalFromInput(input: PolicyProposalInputDto): PolicyProposal {
  return {
    defaultAction: input.defaultAction,
    sgacls: input.sgacls.map((acl) => ({
      srcSgt: acl.srcSgt,
      dstSgt: acl.dstSgt,
      name: acl.name,
      rules: acl.rules.map((rule) => ({
        action: rule.action,
        protocol: rule.protocol ?? 'ip',
        ...(rule.port !== undefined ? { port: rule.port } : {}),
        ...(rule.log === true ? { log: true } : {}),
      })),
    })),
  };
}

/**
 * The observed policy matrix (aggregated in PostgreSQL from the endpoint edges and the current memberships), the
 * SGACLs derived from it, and the impact of a proposal on the traffic it holds.
 */
@Injectable()
export class PolicyService {
  constructor(
    private readonly db: Database,
    private readonly env: ClusteringEnv,
  ) {}

  async matrix(request: PolicyMatrixRequestDto): Promise<PolicyMatrixDto> {
    requirePermission(request.actor, 'policy:read');
    const observed = await this.observe(request.actor.tenantId, request.minFlows ?? 0);
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      generatedAt: new Date().toISOString(),
      sgts: [...observed.names].map(([value, name]) => ({ value, name })).sort((a, b) => a.value - b.value),
      cells: observed.cells.map((cell) => ({
        srcSgt: cell.srcSgt,
        dstSgt: cell.dstSgt,
        flows: cell.flows,
        bytes: cell.bytes,
        services: cell.services.map((s) => ({
          protocol: s.protocol,
          port: s.port,
          service: serviceLabel(s.protocol, s.port),
          flows: s.flows,
          bytes: s.bytes,
          distinctSources: s.distinctSources,
          distinctDestinations: s.distinctDestinations,
          firstSeenAt: iso(s.firstSeenMs),
          lastSeenAt: iso(s.lastSeenMs),
        })),
      })),
    };
  }

  async sgacl(request: SgaclExportRequestDto): Promise<SgaclExportDto> {
    requirePermission(request.actor, 'policy:read');
    const observed = await this.observe(request.actor.tenantId, 0);
    const namer = namerOf(observed.names);
    const proposal = generateSgacls(observed.cells, namer, sgaclOptionsOf(request));
    const out: SgaclExportDto = { format: request.format, generatedAt: new Date().toISOString(), proposal: proposalToDto(proposal) };
    if (request.format === 'cli') out.cli = renderCiscoCli(proposal);
    else out.json = renderSgaclJson(proposal, namer);
    return out;
  }

  async impact(request: ImpactRequestDto): Promise<ImpactReportDto> {
    requirePermission(request.actor, 'policy:read');
    const observed = await this.observe(request.actor.tenantId, 0);
    const proposal =
      request.proposal !== undefined ? proposalFromInput(request.proposal) : generateSgacls(observed.cells, namerOf(observed.names), sgaclOptionsOf(request));
    const report = analyseImpact(proposal, observed.cells, { frequentFlows: this.env.CLUSTERING_IMPACT_FREQUENT_FLOWS });
    return {
      generatedAt: new Date().toISOString(),
      totalFlows: report.totalFlows,
      totalBytes: report.totalBytes,
      blockedFlows: report.blockedFlows,
      blockedBytes: report.blockedBytes,
      blockedByRisk: { ...report.blockedByRisk },
      blocked: report.blocked.slice(0, MAX_BLOCKED_LISTED).map((b) => ({ ...b, service: serviceLabel(b.protocol, b.port) })),
    };
  }

  private async observe(tenantId: string, minFlows: number): Promise<ObservedPolicy> {
    const { rows, registry } = await this.db.withTenant(tenantId, async (m) => {
      const rows = await new PolicyEdgeRepository(m).aggregateServices(minFlows);
      const values = new Set<number>();
      for (const r of rows) values.add(r.srcSgt).add(r.dstSgt);
      return { rows, registry: await new SgtRepository(m).namesOf([...values]) };
    });
    const cells = new Map<number, PolicyCell>();
    const names = new Map<number, string>();
    for (const r of rows) {
      const key = r.srcSgt * 65536 + r.dstSgt;
      let cell = cells.get(key);
      if (cell === undefined) cells.set(key, (cell = { srcSgt: r.srcSgt, dstSgt: r.dstSgt, flows: 0, bytes: 0, services: [] }));
      const flows = Number(r.flows);
      const bytes = Number(r.bytes);
      cell.flows += flows;
      cell.bytes += bytes;
      // Rows come heaviest first within a cell, the order PolicyCell.services promises.
      cell.services.push({
        protocol: r.protocol,
        port: r.port,
        flows,
        bytes,
        distinctSources: Number(r.distinctSources),
        distinctDestinations: Number(r.distinctDestinations),
        firstSeenMs: r.firstSeenAt?.getTime() ?? null,
        lastSeenMs: r.lastSeenAt?.getTime() ?? null,
      });
      for (const sgt of [r.srcSgt, r.dstSgt]) names.set(sgt, registry.get(sgt) ?? unregisteredName(sgt));
    }
    return { cells: [...cells.values()].sort((a, b) => a.srcSgt - b.srcSgt || a.dstSgt - b.dstSgt), names };
  }
}
