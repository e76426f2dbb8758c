import { DomainException } from '@clarion/contracts';
import { TestInfra, testLogger } from '@clarion/testing';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Client, Pool } from 'pg';
import { FeatureFlagRepository } from '../repositories/feature-flag.repository';
import { createTenantReadPool, Database, type DatabaseOptions } from './database';
import { statementName, tenantScopedRead } from './tenant-read';

/**
 * A loopback relay to PostgreSQL that counts round trips at the protocol level: one each time a client writes again
 * after the server has answered it (bytes pipelined behind earlier ones, unanswered, are the same round trip).
 */
class RoundTripCounter {
  private turns = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server = createServer((client) => {
    const upstream = connect(TestInfra.pgPort, TestInfra.pgHost);
    let answered = true;
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk) => {
      if (answered) this.turns++;
      answered = false;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      answered = true;
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as { port: number };
    return `postgres://clarion_app@127.0.0.1:${port}/${TestInfra.database}`;
  }

  async count(work: () => Promise<unknown>): Promise<number> {
    this.turns = 0;
    await work();
    return this.turns;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const options = (url: string, poolSize: number): DatabaseOptions => ({ url, poolSize, statementTimeoutMs: 5000, applicationName: 'tenant-read-test' });
const text = 'SELECT key AS flag, enabled FROM feature_flags WHERE enabled = $1 ORDER BY key';

/** Tenant reads in one round trip, on the real PostgreSQL as the application role (row-level security applies). */
describe('Database.readAsTenant', () => {
  const owner = new Client({ connectionString: TestInfra.ownerUrl });
  const db = new Database(options(TestInfra.appUrl, 1), testLogger());
  let tenantA: string;
  let tenantB: string;

  beforeAll(async () => {
    await owner.connect();
    const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    tenantA = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'A') RETURNING id`, [`ra-${suffix}`])).rows[0].id;
    tenantB = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'B') RETURNING id`, [`rb-${suffix}`])).rows[0].id;
    await db.start();
    await db.withTenant(tenantA, (m) => new FeatureFlagRepository(m).upsert(tenantA, 'sso', true));
    await db.withTenant(tenantB, (m) => new FeatureFlagRepository(m).upsert(tenantB, 'streaming-export', true));
  });

  afterAll(async () => {
    await db.close();
    await owner.end();
  });

  it('answers what the same statement answers in a tenant transaction', async () => {
    expect(await db.readAsTenant(tenantA, text, [true])).toEqual(await db.withTenant(tenantA, (m) => m.query(text, [true])));
    expect(await db.readAsTenant(tenantA, text, [true])).toEqual([{ flag: 'sso', enabled: true }]);
  });

  it('shows each tenant only its own rows', async () => {
    expect((await db.readAsTenant<{ flag: string }>(tenantA, text, [true])).map((r) => r.flag)).toEqual(['sso']);
    expect((await db.readAsTenant<{ flag: string }>(tenantB, text, [true])).map((r) => r.flag)).toEqual(['streaming-export']);
  });

  it('reads in one round trip, where a tenant transaction takes four', async () => {
    const relay = new RoundTripCounter();
    const relayed = new Database(options(await relay.start(), 1), testLogger());
    try {
      await relayed.start();
      // Connecting and the first Parse are not what is measured: one read and one transaction to warm both pools.
      await relayed.readAsTenant(tenantA, text, [true]);
      await relayed.withTenant(tenantA, (m) => m.query(text, [true]));
      const read = await relay.count(async () => expect(await relayed.readAsTenant(tenantA, text, [true])).toEqual([{ flag: 'sso', enabled: true }]));
      const transaction = await relay.count(() => relayed.withTenant(tenantA, (m) => m.query(text, [true])));
      expect({ read, transaction }).toEqual({ read: 1, transaction: 4 });
    } finally {
      await relayed.close();
      await relay.close();
    }
  });

  it('keeps tenants apart under concurrent reads on a shared pool', async () => {
    const pooled = new Database(options(TestInfra.appUrl, 3), testLogger());
    await pooled.start();
    try {
      const reads = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? tenantA : tenantB)).map(async (tenant) => ({
        tenant,
        flags: (await pooled.readAsTenant<{ flag: string }>(tenant, text, [true])).map((r) => r.flag),
      }));
      for (const { tenant, flags } of await Promise.all(reads)) expect(flags).toEqual(tenant === tenantA ? ['sso'] : ['streaming-export']);
    } finally {
      await pooled.close();
    }
  });

  it('rejects with the database error, and the connection serves the next read', async () => {
    await expect(db.readAsTenant(tenantA, 'SELECT 1 / $1::int AS x', [0])).rejects.toThrow(/division by zero/);
    // A statement that does not parse fails the same way each time (it is not remembered as prepared).
    for (let i = 0; i < 2; i++) await expect(db.readAsTenant(tenantA, 'SELEC key FROM feature_flags WHERE $1::bool', [true])).rejects.toThrow(/syntax error/);
    expect(await db.readAsTenant(tenantA, text, [true])).toEqual([{ flag: 'sso', enabled: true }]);
    expect(await db.readAsTenant(tenantA, 'SELECT 6 / $1::int AS x', [3])).toEqual([{ x: 2 }]);
  });

  it('refuses a statement that writes (the read runs in a read-only transaction)', async () => {
    await expect(db.readAsTenant(tenantA, `UPDATE feature_flags SET enabled = $1 WHERE key = 'sso'`, [false])).rejects.toThrow(/read-only transaction/);
    expect(await db.readAsTenant(tenantA, text, [true])).toEqual([{ flag: 'sso', enabled: true }]);
  });

  it('refuses a malformed tenant id before touching the database', async () => {
    await expect(db.readAsTenant("' OR 1=1 --", text, [true])).rejects.toBeInstanceOf(DomainException);
  });

  /** One pooled connection, so what a read leaves on it is what the next user gets (checked by its backend pid). */
  describe('on the connection it used', () => {
    let pool: Pool;
    const sessionText = `SELECT pg_backend_pid() AS pid, coalesce(current_setting('app.tenant_id', true), '') AS tenant, (SELECT count(*) FROM feature_flags)::int AS visible`;
    const nextUser = async () => (await pool.query(`${sessionText}, pg_catalog.txid_current_if_assigned() IS NULL AND now() = statement_timestamp() AS outside_transaction`)).rows[0];

    beforeEach(() => {
      pool = createTenantReadPool(options(TestInfra.appUrl, 1));
    });

    afterEach(() => pool.end());

    it('leaves no tenant and no transaction for the next user, after a read and after a failed one', async () => {
      const [during] = await tenantScopedRead<{ pid: number; tenant: string; visible: number }>(pool, tenantA, `${sessionText} WHERE $1::bool`, [true]);
      expect(during).toEqual({ pid: expect.any(Number), tenant: tenantA, visible: 1 });
      expect(await nextUser()).toEqual({ pid: during.pid, tenant: '', visible: 0, outside_transaction: true });
      await expect(tenantScopedRead(pool, tenantB, 'SELECT 1 / $1::int AS x', [0])).rejects.toThrow(/division by zero/);
      expect(await nextUser()).toEqual({ pid: during.pid, tenant: '', visible: 0, outside_transaction: true });
    });

    it('prepares the statement once per connection, under a name derived from its text', async () => {
      await tenantScopedRead(pool, tenantA, text, [true]);
      await tenantScopedRead(pool, tenantB, text, [true]);
      const prepared = await pool.query('SELECT name, statement FROM pg_prepared_statements WHERE name = $1', [statementName(text)]);
      expect(prepared.rows).toEqual([{ name: statementName(text), statement: text }]);
    });

    it('refuses a pool that does not pipeline, which would take four round trips', async () => {
      const sequential = new Pool({ connectionString: TestInfra.appUrl, max: 1 });
      try {
        await expect(tenantScopedRead(sequential, tenantA, text, [true])).rejects.toThrow(/pipeline/);
      } finally {
        await sequential.end();
      }
    });
  });
});
