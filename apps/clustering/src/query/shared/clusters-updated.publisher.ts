import { Inject, Injectable } from '@nestjs/common';
import { EventSubjects, type ClustersUpdatedEvent } from '@clarion/contracts';
import { NatsConnectionHolder, publishEvent } from '@clarion/messaging';
import { ROOT_LOGGER } from '@clarion/platform';
import type { Logger } from 'pino';
import { QueryMetrics } from './query-metrics';

/**
 * Announces a committed change of SGTs, memberships or identities on core NATS (best effort: the gateway drops its
 * caches and tells WebSocket clients; a missed event only delays a refresh, so it is never retried or queued).
 */
@Injectable()
export class ClustersUpdatedPublisher {
  constructor(
    private readonly nats: NatsConnectionHolder,
    private readonly metrics: QueryMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  publish(tenantId: string, reason: 'sgt' | 'membership' | 'identity'): void {
    const event: ClustersUpdatedEvent = { tenantId, reason, jobId: null, clusters: null, at: new Date().toISOString() };
    const outcome = publishEvent(this.nats, EventSubjects.clustersUpdated, event);
    this.metrics.clustersUpdatedEvents.inc({ reason, outcome: outcome.published ? 'published' : 'dropped' });
    if (!outcome.published) this.logger.warn({ tenantId, reason, err: outcome.reason }, 'clusters-updated event dropped');
  }
}
