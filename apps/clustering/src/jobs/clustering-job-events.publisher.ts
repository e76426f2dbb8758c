import { EventSubjects, type ClusteringJobDto, type ClusteringJobProgressEvent, type ClustersUpdatedEvent } from '@clarion/contracts';
import { publishEvent, type NatsConnectionHolder } from '@clarion/messaging';
import type { Logger } from 'pino';

/**
 * Core NATS events of the jobs (best effort: the gateway and consoles refresh from them, the database stays the
 * truth). Without a NATS connection an event is dropped, never queued: a later event or a read supersedes it.
 */
export class ClusteringJobEvents {
  constructor(
    private readonly nats: Pick<NatsConnectionHolder, 'connection'>,
    private readonly logger: Logger,
  ) {}

  jobChanged(tenantId: string, job: ClusteringJobDto): void {
    this.publish(EventSubjects.clusteringJobProgress, { tenantId, job } satisfies ClusteringJobProgressEvent);
  }

  clustersUpdated(event: ClustersUpdatedEvent): void {
    this.publish(EventSubjects.clustersUpdated, event);
  }

  private publish(subject: string, payload: object): void {
    const outcome = publishEvent(this.nats, subject, payload);
    if (!outcome.published) this.logger.debug({ subject, err: outcome.reason }, 'event not published');
  }
}
