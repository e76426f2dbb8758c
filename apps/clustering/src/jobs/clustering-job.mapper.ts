import type { ClusteringJobDto } from '@clarion/contracts';
import type { ClusteringJobRow } from '../data';

/** A job row as the API shows it: ISO times, duration once finished. */
export function toClusteringJobDto(row: ClusteringJobRow): ClusteringJobDto {
  return {
    id: row.id,
    trigger: row.trigger,
    status: row.status,
    stage: row.stage,
    progress: row.progress,
    endpoints: row.endpoints,
    clusters: row.clusters,
    noiseRate: row.noiseRate,
    error: row.error,
    requestedBy: row.requestedBy,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    durationMs: row.startedAt !== null && row.finishedAt !== null ? row.finishedAt.getTime() - row.startedAt.getTime() : null,
  };
}
