import { type Database, TenantRepository } from '@clarion/persistence';
import { ClusteringBatchRepository } from '../data';
import type { Logger } from 'pino';

/**
 * Keeps the ledger of consumed flow batches (clustering_batches) bounded: rows older than the retention are deleted,
 * tenant by tenant (the table is tenant-isolated). The retention must outlast every way a message can come again:
 * JetStream's duplicate window for a republished batch, and the redeliveries of one that was not acknowledged.
 */
export class BatchLedgerPruner {
  constructor(
    private readonly database: Database,
    private readonly retentionMs: number,
    private readonly logger: Logger,
  ) {}

  /** Deletes what is older than `nowMs - retention` for every tenant; returns the rows deleted. */
  async prune(nowMs = Date.now()): Promise<number> {
    if (!this.database.ready) return 0;
    const before = new Date(nowMs - this.retentionMs);
    const tenants = await this.database.withoutTenant((manager) => new TenantRepository(manager).listIds());
    let deleted = 0;
    for (const tenantId of tenants) {
      deleted += await this.database.withTenant(tenantId, (manager) => new ClusteringBatchRepository(manager).deleteConsumedBefore(before));
    }
    if (deleted > 0) this.logger.info({ deleted, before: before.toISOString(), tenants: tenants.length }, 'flow-batch ledger pruned');
    return deleted;
  }
}
