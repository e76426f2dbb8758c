/**
 * `npm run migrate [-- --revert | --show]`: applies pending TypeORM migrations as the schema owner.
 * The services never change the schema themselves (no `synchronize`, no migrations at boot), so several instances
 * can start at once and a failed migration never leaves a half-started fleet.
 */
import { createLogger } from '@clarion/observability';
import { createDataSource } from '@clarion/persistence';
import { loadEnvOrExit } from '@clarion/platform';
import { MigrateEnv } from './migrate.env';
import { assertSchemaOwner } from './schema-owner';

async function main(): Promise<void> {
  const env = loadEnvOrExit(MigrateEnv, 'migrate');
  const logger = createLogger('migrate');
  const dataSource = createDataSource({ url: env.DATABASE_MIGRATION_URL, poolSize: 1, statementTimeoutMs: 600_000, applicationName: 'clarion-migrate' });
  await dataSource.initialize();
  try {
    await assertSchemaOwner(dataSource);
    if (process.argv.includes('--show')) {
      const pending = await dataSource.showMigrations();
      logger.info({ pending }, pending ? 'migrations are pending' : 'schema is up to date');
    } else if (process.argv.includes('--revert')) {
      await dataSource.undoLastMigration({ transaction: 'each' });
      logger.info('reverted the last migration');
    } else {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      logger.info({ applied: applied.map((m) => m.name) }, applied.length ? `applied ${applied.length} migration(s)` : 'schema is up to date');
    }
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
