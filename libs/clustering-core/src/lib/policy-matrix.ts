import { type FlowObservation } from './endpoint-profile';
import { HyperLogLog } from './hyper-log-log';
import { hasPorts, initiatorSide } from './service-ports';
import { resolveSgt } from './sgt';

/** A flow as the policy matrix sees it: endpoints on both sides and the TrustSec tags the exporter sent, if any. */
export interface PolicyFlow extends FlowObservation {
  srcEndpoint: string;
  dstEndpoint: string;
  srcSgt?: number | null;
  dstSgt?: number | null;
}

export interface PolicyService {
  protocol: number;
  /** Server-side port (0 for protocols without ports). */
  port: number;
  flows: number;
  bytes: number;
  distinctSources: number;
  distinctDestinations: number;
  firstSeenMs: number | null;
  lastSeenMs: number | null;
}

export interface PolicyCell {
  srcSgt: number;
  dstSgt: number;
  flows: number;
  bytes: number;
  /** Heaviest first (flows, then bytes, protocol, port). */
  services: PolicyService[];
}

interface ServiceAccumulator {
  protocol: number;
  port: number;
  flows: number;
  bytes: number;
  sources: HyperLogLog;
  destinations: HyperLogLog;
  firstSeenMs: number;
  lastSeenMs: number;
}

/** Distinct counters per (cell, service) stay sparse (a few bytes) until they see more than ~128 endpoints. */
const DISTINCT_PRECISION = 10;

/**
 * Observed traffic between security groups. Every flow is oriented from the endpoint that opened the connection to
 * the one that accepted it (the same rule as the profiles), so a response record counts towards the same
 * (client group -> server group, protocol, server port) service as its request and the matrix reads as "who may open
 * what". SGTs come from the flow's tags when present, else from the endpoints' memberships, else Unknown (0).
 */
export class PolicyMatrix {
  private readonly cellMap = new Map<number, Map<number, ServiceAccumulator>>();

  /** `membershipOf` returns an endpoint's current SGT or null. */
  addFlow(flow: PolicyFlow, membershipOf: (endpoint: string) => number | null | undefined): void {
    const srcSgt = resolveSgt(flow.srcSgt, membershipOf(flow.srcEndpoint));
    const dstSgt = resolveSgt(flow.dstSgt, membershipOf(flow.dstEndpoint));
    const forward = initiatorSide(flow) === 'src';
    const client = forward ? flow.srcEndpoint : flow.dstEndpoint;
    const server = forward ? flow.dstEndpoint : flow.srcEndpoint;
    const clientSgt = forward ? srcSgt : dstSgt;
    const serverSgt = forward ? dstSgt : srcSgt;
    const protocol = flow.protocol & 0xff;
    const port = hasPorts(protocol) ? (forward ? flow.dstPort : flow.srcPort) : 0;
    const cellKey = clientSgt * 65536 + serverSgt;
    let cell = this.cellMap.get(cellKey);
    if (!cell) {
      cell = new Map();
      this.cellMap.set(cellKey, cell);
    }
    const serviceKey = protocol * 65536 + port;
    let service = cell.get(serviceKey);
    if (!service) {
      service = {
        protocol,
        port,
        flows: 0,
        bytes: 0,
        sources: new HyperLogLog(DISTINCT_PRECISION),
        destinations: new HyperLogLog(DISTINCT_PRECISION),
        firstSeenMs: Number.POSITIVE_INFINITY,
        lastSeenMs: Number.NEGATIVE_INFINITY,
      };
      cell.set(serviceKey, service);
    }
    service.flows++;
    service.bytes += Number.isFinite(flow.bytes) && flow.bytes > 0 ? Math.round(flow.bytes) : 0;
    service.sources.add(client);
    service.destinations.add(server);
    const start = flow.startMs > 0 ? flow.startMs : flow.endMs;
    const end = flow.endMs > 0 ? flow.endMs : flow.startMs;
    if (start > 0 && start < service.firstSeenMs) service.firstSeenMs = start;
    if (end > 0 && end > service.lastSeenMs) service.lastSeenMs = end;
  }

  /** Cells ordered by (source SGT, destination SGT). */
  cells(): PolicyCell[] {
    const out: PolicyCell[] = [];
    for (const [key, services] of this.cellMap) {
      const list: PolicyService[] = [...services.values()].map((s) => ({
        protocol: s.protocol,
        port: s.port,
        flows: s.flows,
        bytes: s.bytes,
        distinctSources: Math.round(s.sources.estimate()),
        distinctDestinations: Math.round(s.destinations.estimate()),
        firstSeenMs: Number.isFinite(s.firstSeenMs) ? s.firstSeenMs : null,
        lastSeenMs: Number.isFinite(s.lastSeenMs) ? s.lastSeenMs : null,
      }));
      list.sort((a, b) => b.flows - a.flows || b.bytes - a.bytes || a.protocol - b.protocol || a.port - b.port);
      out.push({
        srcSgt: Math.floor(key / 65536),
        dstSgt: key % 65536,
        flows: list.reduce((sum, s) => sum + s.flows, 0),
        bytes: list.reduce((sum, s) => sum + s.bytes, 0),
        services: list,
      });
    }
    out.sort((a, b) => a.srcSgt - b.srcSgt || a.dstSgt - b.dstSgt);
    return out;
  }

  cell(srcSgt: number, dstSgt: number): PolicyCell | null {
    return this.cells().find((c) => c.srcSgt === srcSgt && c.dstSgt === dstSgt) ?? null;
  }

  /** Folds another matrix (another collector or time window) into this one. */
  mergeFrom(other: PolicyMatrix): this {
    for (const [key, services] of other.cellMap) {
      let cell = this.cellMap.get(key);
      if (!cell) {
        cell = new Map();
        this.cellMap.set(key, cell);
      }
      for (const [serviceKey, s] of services) {
        const mine = cell.get(serviceKey);
        if (!mine) {
          cell.set(serviceKey, { ...s, sources: s.sources.clone(), destinations: s.destinations.clone() });
          continue;
        }
        mine.flows += s.flows;
        mine.bytes += s.bytes;
        mine.sources.mergeFrom(s.sources);
        mine.destinations.mergeFrom(s.destinations);
        mine.firstSeenMs = Math.min(mine.firstSeenMs, s.firstSeenMs);
        mine.lastSeenMs = Math.max(mine.lastSeenMs, s.lastSeenMs);
      }
    }
    return this;
  }
}
