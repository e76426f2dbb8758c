import { Inject, Injectable } from '@nestjs/common';
import { EventSubjects, type ClustersUpdatedEvent } from '@clarion/contracts';
import { injectTraceHeaders, NatsConnectionHolder } from '@clarion/messaging';
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
    const connection = this.nats.connection;
    if (connection === undefined || connection.isClosed()) {
      this.metrics.clustersUpdatedEvents.inc({ reason, outcome: 'dropped' });
      this.logger.warn({ tenantId, reason }, 'clusters-updated event dropped: NATS is not connected');
      return;
    }
    try {
      connection.publish(EventSubjects.clustersUpdated, Buffer.from(JSON.stringify(event)), { headers: injectTraceHeaders() });
      this.metrics.clustersUpdatedEvents.inc({ reason, outcome: 'published' });
    } catch (err) {
      this.metrics.clustersUpdatedEvents.inc({ reason, outcome: 'dropped' });
      this.logger.warn({ tenantId, reason, err: (err as Error).message }, 'clusters-updated event dropped');
    }
  }
}
