import { EndpointProfile, decodeProfile, encodeProfile } from '@clarion/clustering-core';
import { flowBatchMessageId, type FlowBatchEvent } from '@clarion/contracts';
import { Database } from '@clarion/persistence';
import { ClusteringBatchRepository, EndpointEdgeRepository, EndpointProfileRepository, RouterInterfaceRepository, type EndpointProfileUpdate } from '../data';
import type { Logger } from 'pino';
import { PROFILE_PARAMETERS, buildBatchDelta } from './batch-delta';
import type { EndpointScopes } from './endpoint-scopes';
import type { AssignmentOutcome, IncrementalAssigner } from './incremental-assigner';
import { apiSummaryOf } from '../query/shared/service-label';
import type { ProfileCache } from './profile-cache';
import type { ProfilesMetrics } from './profiles-metrics';

export type BatchOutcome =
  | { kind: 'duplicate'; messageId: string }
  | { kind: 'merged'; messageId: string; endpoints: string[]; edges: number; assignment: AssignmentOutcome | null };

const EMPTY_PROFILE = encodeProfile(new EndpointProfile(PROFILE_PARAMETERS));

const finiteOrNull = (ms: number): number | null => (Number.isFinite(ms) ? ms : null);

/**
 * Merges one flow-batch message into the tenant's endpoint profiles and edges, exactly once: the ledger row, the
 * profile merge (row locks in key order, so instances sharing the consumer serialise on common endpoints instead of
 * losing updates) and the edge counters commit in one transaction. Only the tenant's internal hosts become endpoints
 * (EndpointScopes, buildBatchDelta); MACs the batch shows to be router interfaces are recorded in the same transaction
 * and endpoints stored under them before are removed. Then, outside it, the changed endpoints are assigned
 * incrementally.
 */
export class FlowBatchProcessor {
  constructor(
    private readonly database: Database,
    private readonly cache: ProfileCache,
    private readonly assigner: IncrementalAssigner,
    private readonly metrics: ProfilesMetrics,
    private readonly logger: Logger,
    private readonly scopes: EndpointScopes,
  ) {}

  /**
   * `onCommitted` runs right after the commit (the consumer acknowledges there), before the assignment. A failed
   * assignment is logged, not thrown: the profiles are stored and the next batch or full run places the endpoints.
   */
  async process(event: FlowBatchEvent, onCommitted?: () => void): Promise<BatchOutcome> {
    const messageId = flowBatchMessageId(event.batchId, event.part);
    const { tenantId } = event;
    const merged = await this.database.withTenant(tenantId, async (manager) => {
      if (!(await new ClusteringBatchRepository(manager).insertIfNew(tenantId, messageId, event.flows.length))) return null;
      const delta = buildBatchDelta(event.flows, await this.scopes.scopeOf(tenantId, manager));
      const routers = new RouterInterfaceRepository(manager);
      await routers.record(tenantId, [...delta.routerMacs].map(([mac, r]) => ({ mac, ...r })));
      const removedRouterEndpoints = await routers.removeMacEndpoints([...delta.routerMacsSeen].sort());
      const keys = [...delta.profiles.keys()].sort();
      const profiles = new EndpointProfileRepository(manager);
      await profiles.insertMissing(tenantId, keys, EMPTY_PROFILE);
      const stored = await profiles.lockByKeys(keys);
      const result = new Map<string, EndpointProfile>();
      const updates: EndpointProfileUpdate[] = [];
      for (const row of stored) {
        const addition = delta.profiles.get(row.endpointKey);
        if (!addition) continue;
        const profile = this.mergeStored(tenantId, row.endpointKey, row.profile, addition);
        const sighting = delta.sightings.get(row.endpointKey);
        result.set(row.endpointKey, profile);
        updates.push({
          endpointKey: row.endpointKey,
          profile: encodeProfile(profile),
          flows: profile.flows,
          firstSeenMs: finiteOrNull(profile.firstSeenMs),
          lastSeenMs: finiteOrNull(profile.lastSeenMs),
          address: sighting?.address ?? null,
          addressSeenMs: sighting?.addressSeenMs ?? null,
          mac: sighting?.mac ?? null,
          apiSummary: apiSummaryOf(profile.summary()),
        });
      }
      await profiles.updateMerged(updates);
      await new EndpointEdgeRepository(manager).addTraffic(tenantId, delta.edges);
      return { profiles: result, edges: delta.edges.length, externalSides: delta.externalSides, routerMacs: delta.routerMacs, removedRouterEndpoints };
    });
    if (merged === null) {
      this.metrics.duplicates.inc();
      return { kind: 'duplicate', messageId };
    }
    this.metrics.batches.inc();
    this.metrics.flows.inc(event.flows.length);
    this.metrics.externalSides.inc(merged.externalSides);
    for (const router of merged.routerMacs.values()) this.metrics.routerMacs.inc({ reason: router.reason });
    this.scopes.addRouterMacs(tenantId, merged.routerMacs.keys());
    this.metrics.routerEndpointsRemoved.inc(merged.removedRouterEndpoints);
    for (const [key, profile] of merged.profiles) this.cache.set(tenantId, key, profile);
    this.metrics.profilesCached.set(this.cache.size);
    onCommitted?.();
    const endpoints = [...merged.profiles.keys()];
    let assignment: AssignmentOutcome | null = null;
    try {
      assignment = await this.assigner.assign(tenantId, endpoints);
    } catch (err) {
      this.logger.error({ err, tenantId, messageId, endpoints: endpoints.length }, 'incremental assignment failed');
    }
    return { kind: 'merged', messageId, endpoints, edges: merged.edges, assignment };
  }

  /**
   * The stored profile with the batch's delta folded in. A stored profile that cannot be decoded or merged (corrupt,
   * or built with other parameters) would fail every later batch of that endpoint, so it is replaced by the delta.
   */
  private mergeStored(tenantId: string, endpointKey: string, bytes: Uint8Array, addition: EndpointProfile): EndpointProfile {
    try {
      return decodeProfile(bytes).mergeFrom(addition);
    } catch (err) {
      this.metrics.processingErrors.inc({ reason: 'profile_replaced' });
      this.logger.error({ err, tenantId, endpoint: endpointKey }, 'stored endpoint profile unusable; replaced by the latest batch');
      return addition;
    }
  }
}
