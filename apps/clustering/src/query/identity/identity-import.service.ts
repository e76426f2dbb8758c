import { Inject, Injectable } from '@nestjs/common';
import { DomainException, ErrorCode, type IdentityImportRequestDto, type IdentityImportResultDto } from '@clarion/contracts';
import { Database } from '@clarion/persistence';
import { IdentityRepository, type EndpointIdentityRecord } from '../../data';
import { ROOT_LOGGER } from '@clarion/platform';
import type { Logger } from 'pino';
import { ClusteringEnv } from '../../clustering.env';
import { ClustersUpdatedPublisher } from '../shared/clusters-updated.publisher';
import { requirePermission } from '../shared/query-access';
import { QueryMetrics } from '../shared/query-metrics';
import { identityInputsFromCsv, identityInputsFromJson, validateIdentity } from './identity-records.parser';

/** Rejections listed in the answer; the count covers all of them. */
export const MAX_REJECTIONS_LISTED = 100;

/**
 * Imports identity context (device type, user, directory groups) per MAC or IP. Valid records are written in one
 * statement; invalid ones are reported with where and why. The features take effect at the next full clustering run.
 */
@Injectable()
export class IdentityImportService {
  constructor(
    private readonly db: Database,
    private readonly env: ClusteringEnv,
    private readonly events: ClustersUpdatedPublisher,
    private readonly metrics: QueryMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async import(request: IdentityImportRequestDto): Promise<IdentityImportResultDto> {
    requirePermission(request.actor, 'identity:import');
    const { tenantId } = request.actor;
    const inputs = request.format === 'csv' ? identityInputsFromCsv(request.content) : identityInputsFromJson(request.content);
    const max = this.env.CLUSTERING_IDENTITY_IMPORT_MAX_RECORDS;
    if (inputs.length > max) {
      throw new DomainException(ErrorCode.PayloadTooLarge, `an import holds at most ${max} records (this one has ${inputs.length})`, [
        { field: 'content', message: `more than ${max} records` },
      ]);
    }
    const rejected: IdentityImportResultDto['rejected'] = [];
    let rejectedCount = 0;
    let accepted = 0;
    // A key named twice keeps its last record: one upsert statement cannot write a row twice.
    const byKey = new Map<string, EndpointIdentityRecord>();
    for (const input of inputs) {
      const verdict = validateIdentity(input);
      if ('reason' in verdict) {
        rejectedCount++;
        if (rejected.length < MAX_REJECTIONS_LISTED) rejected.push({ at: input.at, reason: verdict.reason });
        continue;
      }
      accepted++;
      const { endpointKeys, deviceType, user, groups } = verdict.record;
      for (const endpointKey of endpointKeys) {
        byKey.delete(endpointKey);
        byKey.set(endpointKey, { endpointKey, deviceType, user, groups });
      }
    }
    if (byKey.size > 0) {
      await this.db.withTenant(tenantId, (m) => new IdentityRepository(m).upsertBatch(tenantId, [...byKey.values()], request.actor.id));
      this.events.publish(tenantId, 'identity');
    }
    this.metrics.identityRecords.inc({ outcome: 'imported' }, accepted);
    this.metrics.identityRecords.inc({ outcome: 'rejected' }, rejectedCount);
    this.logger.info({ tenantId, actor: request.actor.id, format: request.format, records: inputs.length, imported: accepted, rejected: rejectedCount }, 'identity import');
    return { records: inputs.length, imported: accepted, rejected, rejectedCount };
  }
}
