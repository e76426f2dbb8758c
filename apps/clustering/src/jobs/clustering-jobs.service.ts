import {
  DomainException,
  ErrorCode,
  type ClusteringJobDto,
  type GetClusteringJobRequestDto,
  type ListClusteringJobsRequestDto,
  type Page,
  type RunClusteringJobRequestDto,
} from '@clarion/contracts';
import { type Database } from '@clarion/persistence';
import { ClusteringJobRepository, type ClusteringJobPosition } from '../data';
import type { ClusteringJobEvents } from './clustering-job-events.publisher';
import { toClusteringJobDto } from './clustering-job.mapper';
import type { ClusteringJobMetrics } from './clustering-job.metrics';

const DEFAULT_PAGE = 50;
const CURSOR = /^(\d{1,20})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
/** A job that finishes between "already active" and the read of it leaves room for a new one: try again. */
const RUN_ATTEMPTS = 3;

/** Cursor: the last job's exact creation time (microseconds) and id, base64url so clients treat it as opaque. */
export function encodeJobCursor(position: ClusteringJobPosition): string {
  return Buffer.from(`${position.createdMicros}.${position.id}`, 'utf8').toString('base64url');
}

export function decodeJobCursor(cursor: string): ClusteringJobPosition {
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null) {
    throw new DomainException(ErrorCode.ValidationFailed, 'the cursor is not valid', [{ field: 'cursor', message: 'not a cursor from a previous page' }]);
  }
  return { createdMicros: match[1], id: match[2] };
}

/** The jobs API: queue a run on request, list and read jobs, always within the actor's tenant. */
export class ClusteringJobsService {
  constructor(
    private readonly db: Database,
    private readonly runner: { wake(): void },
    private readonly events: ClusteringJobEvents,
    private readonly metrics: ClusteringJobMetrics,
  ) {}

  /** Queues a run requested by the actor, or answers the tenant's job already queued or running. */
  async run(request: RunClusteringJobRequestDto): Promise<ClusteringJobDto> {
    const tenantId = request.actor.tenantId;
    for (let attempt = 0; attempt < RUN_ATTEMPTS; attempt++) {
      const outcome = await this.db.withTenant(tenantId, async (m) => {
        const jobs = new ClusteringJobRepository(m);
        const inserted = await jobs.insertQueued(tenantId, 'request', request.actor.id);
        return inserted ? { job: inserted, queued: true } : { job: await jobs.findActive(), queued: false };
      });
      if (outcome.job === null) continue;
      const job = toClusteringJobDto(outcome.job);
      if (outcome.queued) {
        this.metrics.queued.inc({ trigger: 'request' });
        this.events.jobChanged(tenantId, job);
        this.runner.wake();
      }
      return job;
    }
    throw new DomainException(ErrorCode.Conflict, 'jobs of this tenant are changing too fast; try again');
  }

  async list(request: ListClusteringJobsRequestDto): Promise<Page<ClusteringJobDto>> {
    const limit = request.limit ?? DEFAULT_PAGE;
    const after = request.cursor === undefined ? undefined : decodeJobCursor(request.cursor);
    const rows = await this.db.withTenant(request.actor.tenantId, (m) => new ClusteringJobRepository(m).list({ status: request.status, after, limit: limit + 1 }));
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toClusteringJobDto), nextCursor: rows.length > limit && last ? encodeJobCursor(last) : null };
  }

  async get(request: GetClusteringJobRequestDto): Promise<ClusteringJobDto> {
    const row = await this.db.withTenant(request.actor.tenantId, (m) => new ClusteringJobRepository(m).findById(request.id));
    if (row === null) throw new DomainException(ErrorCode.NotFound, 'no such clustering job');
    return toClusteringJobDto(row);
  }
}
