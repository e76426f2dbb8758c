import { MIGRATIONS, createDataSource } from '@clarion/persistence';
import { REPO_ROOT, TestInfra, insertFlowRow } from '@clarion/testing';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

/**
 * tools/infra/backup.sh and restore.sh against the real PostgreSQL: a migrated database with data written by the
 * product's own CLI and as the services write it, dumped while it is live, restored into a new database, and checked
 * table by table, as the application role (row-level security and grants) and with the audit chain verifier.
 */
describe('backup and restore (pg_dump/pg_restore through tools/infra)', () => {
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  const source = `clarion_bk_src_${suffix}`;
  const target = `clarion_bk_dst_${suffix}`;
  const work = mkdtempSync(join(tmpdir(), 'clarion-backup-'));
  const dump = join(work, 'clarion.dump');
  const pgEnv = { ...process.env, PGHOST: TestInfra.pgHost, PGPORT: String(TestInfra.pgPort), PGUSER: 'postgres' };
  const url = (role: string, db: string) => `postgres://${role}@${TestInfra.pgHost}:${TestInfra.pgPort}/${db}`;
  const script = (name: string, args: string[], input?: string) =>
    spawnSync('bash', [resolve(REPO_ROOT, 'tools/infra', name), ...args], { env: pgEnv, encoding: 'utf8', input });
  const cli = (db: string, args: string[], input?: string) =>
    spawnSync(process.execPath, [resolve(REPO_ROOT, 'dist/apps/auth/src/cli/clarion-cli.js'), ...args], {
      env: { PATH: process.env['PATH'] ?? '', DATABASE_URL: url('clarion_auth', db), LOG_LEVEL: 'warn' },
      encoding: 'utf8',
      input,
    });
  async function withClient<T>(connection: string, work: (c: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: connection });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }
  /** Rows of every table of the schema, partitions included, read as the superuser (no row-level security). */
  const rowCounts = (db: string) =>
    withClient(url('postgres', db), async (c) => {
      const tables = (await c.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.t);
      const counts: Record<string, number> = {};
      for (const t of tables) counts[t] = Number((await c.query(`SELECT count(*) AS n FROM ONLY "${t}"`)).rows[0].n);
      return counts;
    });
  const dropDatabase = (db: string) => withClient(url('postgres', 'postgres'), (c) => c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`));
  const databaseExists = (db: string) =>
    withClient(url('postgres', 'postgres'), async (c) => (await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [db])).rows.length === 1);

  beforeAll(async () => {
    expect(script('db-setup.sh', [source]).status).toBe(0);
    const dataSource = createDataSource({ url: url('clarion_owner', source), poolSize: 1, statementTimeoutMs: 120_000, applicationName: 'backup-test-setup' });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
    }
    // Data written the way the product writes it: the admin CLI (tenant, user, hash-chained audit events) and, as
    // the application role, a flow in today's partition.
    const created = cli(source, ['admin', 'create', '--tenant', 'acme', '--email', 'ops@acme.example', '--name', 'Ops', '--password-stdin'], 'a-long-enough-passphrase-1!\n');
    expect(created.stderr + created.stdout).toMatch(/created admin ops@acme\.example/);
    await withClient(url('clarion_app', source), async (c) => {
      const partition = (await c.query(`SELECT clarion_ensure_flow_partition(current_date) AS name`)).rows[0].name as string;
      const tenant = (await c.query(`SELECT id FROM tenants WHERE slug = 'acme'`)).rows[0].id as string;
      await insertFlowRow(c, partition, { tenantId: tenant, endTime: new Date().toISOString(), srcPort: 40000 });
    });
  });

  afterAll(async () => {
    await dropDatabase(source);
    await dropDatabase(target);
    rmSync(work, { recursive: true, force: true });
  });

  it('restores every row, and the restored database works as the source did', async () => {
    const backup = script('backup.sh', [source, dump]);
    expect(backup.stderr).toBe('');
    expect(backup.stdout).toMatch(new RegExp(`^backup: ${source} -> .*clarion\\.dump \\(\\d+ bytes, \\d+ s\\)`));
    expect(existsSync(`${dump}.partial`)).toBe(false);
    // Every tenant's data and the credential hashes: readable by the one who made the backup only.
    expect((statSync(dump).mode & 0o777).toString(8)).toBe('600');

    const restore = script('restore.sh', [dump, target]);
    expect(restore.stderr).toBe('');
    expect(restore.status).toBe(0);
    expect(restore.stdout).toMatch(new RegExp(`restore: .* -> ${target} \\(${MIGRATIONS.length} migrations, \\d+ s\\)`));

    const before = await rowCounts(source);
    expect(before['audit_events']).toBeGreaterThan(0);
    expect(Object.keys(before).some((t) => /^flows_p\d{8}$/.test(t) && before[t] === 1)).toBe(true);
    expect(await rowCounts(target)).toEqual(before);

    // The audit chain verifies on the copy.
    const verified = cli(target, ['audit', 'verify']);
    expect(verified.status).toBe(0);
    expect(verified.stdout).toMatch(/ok\s+acme: \d+ events, chain intact/);

    // Row-level security, grants and the definer functions came back with their owner.
    await withClient(url('clarion_app', target), async (c) => {
      expect((await c.query(`SELECT count(*)::int AS n FROM users`)).rows[0].n).toBe(0); // no tenant set: nothing visible
      await c.query('BEGIN');
      const tenant = (await c.query(`SELECT id FROM tenants WHERE slug = 'acme'`)).rows[0].id as string;
      await c.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenant]);
      expect((await c.query(`SELECT count(*)::int AS n FROM users`)).rows[0].n).toBe(1);
      expect((await c.query(`SELECT count(*)::int AS n FROM flows`)).rows[0].n).toBe(1);
      await c.query('COMMIT');
      const partition = (await c.query(`SELECT clarion_ensure_flow_partition(current_date) AS name`)).rows[0].name as string;
      await expect(c.query(`SELECT count(*) FROM ${partition}`)).rejects.toMatchObject({ code: '42501' });
      await expect(c.query(`UPDATE audit_events SET action = 'x'`)).rejects.toMatchObject({ code: '42501' });
    });
    await withClient(url('postgres', target), async (c) => {
      const definers = await c.query<{ proname: string; owner: string; prosecdef: boolean }>(
        `SELECT proname, pg_get_userbyid(proowner) AS owner, prosecdef FROM pg_proc WHERE proname IN ('clarion_ensure_flow_partition', 'clarion_expire_flows') ORDER BY 1`,
      );
      expect(definers.rows).toEqual([
        { proname: 'clarion_ensure_flow_partition', owner: 'clarion_owner', prosecdef: true },
        { proname: 'clarion_expire_flows', owner: 'clarion_owner', prosecdef: true },
      ]);
    });
  });

  it('refuses to overwrite: an existing backup file, a database that already holds a schema, a file that is not a backup', async () => {
    const again = script('backup.sh', [source, dump]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/exists; refusing to overwrite/);

    const onto = script('restore.sh', [dump, source]);
    expect(onto.status).toBe(2);
    expect(onto.stderr).toMatch(/already holds a Clarion schema/);

    const junk = join(work, 'junk.dump');
    writeFileSync(junk, 'not a dump');
    const fromJunk = script('restore.sh', [junk, `${target}_junk`]);
    expect(fromJunk.status).not.toBe(0);
    expect(await databaseExists(`${target}_junk`)).toBe(false);

    const injected = script('restore.sh', [dump, 'x"; DROP DATABASE postgres; --']);
    expect(injected.status).toBe(2);
    expect(injected.stderr).toMatch(/database name/);
  });
});
