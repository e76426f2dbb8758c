import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit chain becomes keyed (issue 12, item 8). Until now each event's hash was SHA-256(previous || event), which
 * anyone able to write the table can recompute after changing a row. From here on the auth service seals each event
 * with HMAC-SHA256 under AUDIT_KEY, a secret that never enters the database; `key_id` names the key (a digest of it,
 * not the key) so that a rotated key's events still verify with the old key.
 *
 * The rows already written keep their unkeyed hashes and verify by the old rule: `chain_version` 1 is the unkeyed
 * rule, 2 the keyed one. No default for new rows: an auth instance still running the previous release cannot append
 * an unkeyed event after keyed ones (the verifier would flag it forever); its writes fail until it is replaced.
 */
export class AuditKeyedChain1764950000000 implements MigrationInterface {
  name = 'AuditKeyedChain1764950000000';

  async up(q: QueryRunner): Promise<void> {
    // Adding columns fires no row trigger, so the append-only trigger does not stand in the way.
    await q.query(`ALTER TABLE audit_events ADD COLUMN chain_version smallint NOT NULL DEFAULT 1, ADD COLUMN key_id text`);
    await q.query(`ALTER TABLE audit_events ALTER COLUMN chain_version DROP DEFAULT`);
    await q.query(`
      ALTER TABLE audit_events ADD CONSTRAINT audit_events_chain_version CHECK (
        (chain_version = 1 AND key_id IS NULL) OR (chain_version = 2 AND key_id ~ '^[0-9a-f]{16}$')
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events DROP CONSTRAINT IF EXISTS audit_events_chain_version`);
    await q.query(`ALTER TABLE audit_events DROP COLUMN IF EXISTS key_id, DROP COLUMN IF EXISTS chain_version`);
  }
}
