import type { EntityManager } from 'typeorm';

/**
 * The ledger of flow-batch messages the clustering service consumed (`clustering_batches`), written in the same
 * transaction as the profile updates of the batch, so a redelivered message finds its id and changes nothing.
 */
export class ClusteringBatchRepository {
  constructor(private readonly manager: EntityManager) {}

  /** Records a message as consumed; false when it was already recorded (a redelivery). */
  async insertIfNew(tenantId: string, messageId: string, flows: number): Promise<boolean> {
    const rows: unknown[] = await this.manager.query(
      `INSERT INTO clustering_batches (tenant_id, message_id, flows) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, message_id) DO NOTHING RETURNING 1`,
      [tenantId, messageId, flows],
    );
    return rows.length === 1;
  }

  /** Deletes the tenant's ledger rows consumed before `before`; returns how many. */
  async deleteConsumedBefore(before: Date): Promise<number> {
    const rows: Array<{ deleted: number }> = await this.manager.query(
      `WITH gone AS (DELETE FROM clustering_batches WHERE consumed_at < $1 RETURNING 1) SELECT count(*)::int AS deleted FROM gone`,
      [before.toISOString()],
    );
    return rows[0]?.deleted ?? 0;
  }
}
