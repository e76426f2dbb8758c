import {
  ClusterAssigner,
  decodeProfile,
  deserialiseClusterModel,
  type ClusterModelState,
  type EndpointProfile,
  type IdentityContext,
} from '@clarion/clustering-core';
import { Database } from '@clarion/persistence';
import { EndpointAssignmentRepository, EndpointProfileRepository, type EndpointAssignmentInput } from '../data';
import type { Logger } from 'pino';
import type { ClustersUpdatedNotifier } from './clusters-updated.notifier';
import type { ProfileCache } from './profile-cache';
import type { ProfilesMetrics } from './profiles-metrics';

interface LoadedModel {
  version: number;
  useIdentity: boolean;
  jobId: string | null;
  clusters: number;
  assigner: ClusterAssigner;
}

export interface AssignmentOutcome {
  /** False when the tenant has no model yet (nothing was assigned). */
  modelPresent: boolean;
  assigned: number;
  unassigned: number;
  /** Membership rows inserted or moved to another cluster. */
  changed: number;
}

const NO_MODEL: AssignmentOutcome = { modelPresent: false, assigned: 0, unassigned: 0, changed: 0 };

/**
 * Places the endpoints a batch changed into the clusters of the tenant's current model (cluster_models), between full
 * re-clusterings. The deserialised model and its ClusterAssigner are kept per tenant and rebuilt only when the stored
 * version changes; each call asks PostgreSQL for the version (the state travels only when it differs).
 */
export class IncrementalAssigner {
  private readonly models = new Map<string, LoadedModel>();

  constructor(
    private readonly database: Database,
    private readonly cache: ProfileCache,
    private readonly notifier: ClustersUpdatedNotifier,
    private readonly metrics: ProfilesMetrics,
    private readonly logger: Logger,
  ) {}

  async assign(tenantId: string, endpointKeys: readonly string[]): Promise<AssignmentOutcome> {
    if (endpointKeys.length === 0) return NO_MODEL;
    const stopTimer = this.metrics.assignmentSeconds.startTimer();
    try {
      const outcome = await this.database.withTenant(tenantId, async (manager) => {
        const assignments = new EndpointAssignmentRepository(manager);
        const model = await this.currentModel(tenantId, assignments);
        if (!model) return { outcome: NO_MODEL, model: undefined };
        const profiles = await this.profilesOf(tenantId, endpointKeys, new EndpointProfileRepository(manager));
        const identities = new Map<string, IdentityContext>();
        if (model.useIdentity) {
          for (const row of await assignments.identitiesOf(endpointKeys)) {
            identities.set(row.endpointKey, { deviceType: row.deviceType, user: row.userName, groups: row.groups });
          }
        }
        const inputs: EndpointAssignmentInput[] = [];
        let assigned = 0;
        for (const endpointKey of endpointKeys) {
          const profile = profiles.get(endpointKey);
          if (!profile) continue;
          const result = model.assigner.assignProfile(profile, identities.get(endpointKey) ?? null);
          if (result.clusterId !== null) assigned++;
          inputs.push({
            endpointKey,
            clusterId: result.clusterId,
            probability: result.clusterId !== null ? result.factors.membership : 0,
            confidence: result.confidence,
            band: result.band,
          });
        }
        const applied = await assignments.apply(tenantId, model.version, model.jobId, inputs);
        return { outcome: { modelPresent: true, assigned, unassigned: inputs.length - assigned, changed: applied.length }, model };
      });
      const { assigned, unassigned, changed } = outcome.outcome;
      if (assigned > 0) this.metrics.assignments.inc({ outcome: 'assigned' }, assigned);
      if (unassigned > 0) this.metrics.assignments.inc({ outcome: 'unassigned' }, unassigned);
      if (changed > 0 && outcome.model) this.notifier.notify(tenantId, outcome.model.clusters);
      return outcome.outcome;
    } catch (err) {
      this.metrics.assignments.inc({ outcome: 'error' }, endpointKeys.length);
      throw err;
    } finally {
      stopTimer();
    }
  }

  private async currentModel(tenantId: string, repo: EndpointAssignmentRepository): Promise<LoadedModel | undefined> {
    const held = this.models.get(tenantId);
    const row = await repo.findModel(held?.version ?? null);
    if (!row) {
      this.models.delete(tenantId);
      return undefined;
    }
    if (held && row.state === null) return held;
    const model = deserialiseClusterModel(row.state as ClusterModelState);
    const loaded: LoadedModel = {
      version: row.version,
      useIdentity: row.useIdentity,
      jobId: row.jobId,
      clusters: model.clusters.length,
      assigner: new ClusterAssigner(model),
    };
    this.models.set(tenantId, loaded);
    this.logger.info({ tenantId, version: row.version, clusters: loaded.clusters, useIdentity: row.useIdentity }, 'cluster model loaded for assignment');
    return loaded;
  }

  /** From the cache (the merge just put them there), else decoded from PostgreSQL. */
  private async profilesOf(tenantId: string, endpointKeys: readonly string[], repo: EndpointProfileRepository): Promise<Map<string, EndpointProfile>> {
    const profiles = new Map<string, EndpointProfile>();
    const missing: string[] = [];
    for (const key of endpointKeys) {
      const cached = this.cache.get(tenantId, key);
      if (cached) profiles.set(key, cached);
      else missing.push(key);
    }
    for (const row of await repo.findByKeys(missing)) {
      try {
        const profile = decodeProfile(row.profile);
        profiles.set(row.endpointKey, profile);
        this.cache.set(tenantId, row.endpointKey, profile);
      } catch (err) {
        this.logger.warn({ err, tenantId, endpoint: row.endpointKey }, 'stored endpoint profile cannot be decoded; not assigned');
      }
    }
    return profiles;
  }
}
