import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { createDataSource } from '@clarion/persistence';
import { REPO_ROOT, TestInfra } from '@clarion/testing';

/**
 * Jest global setup for integration and e2e tests: a clean `clarion_test` database (roles and database created
 * if missing, schema dropped and recreated) with every migration applied once, as the schema owner.
 */
export default async function globalSetup(): Promise<void> {
  const root = REPO_ROOT;
  execFileSync('bash', [resolve(root, 'tools/infra/db-setup.sh'), TestInfra.database], {
    env: { ...process.env, PGHOST: TestInfra.pgHost, PGPORT: String(TestInfra.pgPort), PGUSER: 'postgres' },
    stdio: 'pipe',
  });
  const admin = new Client({ connectionString: TestInfra.superuserUrl });
  await admin.connect();
  try {
    await admin.query('DROP SCHEMA IF EXISTS public CASCADE');
    await admin.query('CREATE SCHEMA public AUTHORIZATION clarion_owner');
    await admin.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
    await admin.query('GRANT USAGE ON SCHEMA public TO clarion_app');
  } finally {
    await admin.end();
  }
  const dataSource = createDataSource({ url: TestInfra.ownerUrl, poolSize: 1, statementTimeoutMs: 120_000, applicationName: 'clarion-test-setup' });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}
