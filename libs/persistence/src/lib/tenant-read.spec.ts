import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { statementName, tenantScopedRead, type PipelinedClient, type PipelinedPool } from './tenant-read';

const TENANT = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const TEXT = 'SELECT key FROM feature_flags WHERE enabled = $1';

type Answer = { rows: unknown[] } | Error;

/**
 * A pipelined client that answers each query in order, after everything sent in the same tick has been sent (as
 * the server does), and records what it was sent and how it was released.
 */
class FakeClient implements PipelinedClient {
  readonly sent: (string | QueryConfig)[] = [];
  sentBeforeFirstAnswer?: number;
  released?: boolean;
  constructor(
    private readonly answers: Answer[],
    readonly pipeline = true,
    private readonly status: 'I' | 'T' | 'E' = 'I',
  ) {}

  query<R extends QueryResultRow>(config: string | QueryConfig): Promise<QueryResult<R>> {
    const answer = this.answers[this.sent.length];
    this.sent.push(config);
    return new Promise((resolve, reject) =>
      setImmediate(() => {
        this.sentBeforeFirstAnswer ??= this.sent.length;
        return answer instanceof Error ? reject(answer) : resolve(answer as QueryResult<R>);
      }),
    );
  }

  getTransactionStatus(): string {
    return this.status;
  }

  release(destroy?: boolean): void {
    this.released = destroy === true ? false : true;
  }
}

const poolOf = (client: FakeClient): PipelinedPool => ({ connect: async () => client });
const ok = (rows: unknown[] = []): Answer => ({ rows });

describe('tenantScopedRead', () => {
  it('sends BEGIN READ ONLY, the tenant as a bound parameter, the named statement and COMMIT before any answer', async () => {
    const client = new FakeClient([ok(), ok([{ set_config: TENANT }]), ok([{ key: 'sso' }]), ok()]);
    expect(await tenantScopedRead(poolOf(client), TENANT, TEXT, [true])).toEqual([{ key: 'sso' }]);
    expect(client.sentBeforeFirstAnswer).toBe(4);
    expect(client.sent).toEqual([
      'BEGIN READ ONLY',
      { name: statementName('SELECT set_config($1, $2, true)'), text: 'SELECT set_config($1, $2, true)', values: ['app.tenant_id', TENANT] },
      { name: statementName(TEXT), text: TEXT, values: [true] },
      'COMMIT',
    ]);
    expect(client.released).toBe(true);
  });

  it("rejects with the statement's error and gives the connection back once COMMIT left it idle", async () => {
    const client = new FakeClient([ok(), ok(), new Error('division by zero'), ok()]);
    await expect(tenantScopedRead(poolOf(client), TENANT, TEXT, [true])).rejects.toThrow('division by zero');
    expect(client.released).toBe(true);
  });

  it('returns no rows when the tenant was not set, even if the statement answered', async () => {
    const client = new FakeClient([ok(), new Error('set_config failed'), ok([{ key: 'sso' }]), ok()]);
    await expect(tenantScopedRead(poolOf(client), TENANT, TEXT, [true])).rejects.toThrow('set_config failed');
  });

  it('returns no rows when the transaction was not opened', async () => {
    const client = new FakeClient([new Error('BEGIN failed'), ok(), ok([{ key: 'sso' }]), ok()]);
    await expect(tenantScopedRead(poolOf(client), TENANT, TEXT, [true])).rejects.toThrow('BEGIN failed');
    expect(client.released).toBe(true);
  });

  it('closes the connection instead of pooling it when COMMIT failed', async () => {
    const client = new FakeClient([ok(), ok(), ok([{ key: 'sso' }]), new Error('Connection terminated')]);
    await expect(tenantScopedRead(poolOf(client), TENANT, TEXT, [true])).rejects.toThrow('Connection terminated');
    expect(client.released).toBe(false);
  });

  it('closes the connection instead of pooling it when it is still in a transaction after COMMIT', async () => {
    const client = new FakeClient([ok(), ok(), ok([{ key: 'sso' }]), ok()], true, 'T');
    expect(await tenantScopedRead(poolOf(client), TENANT, TEXT, [true])).toEqual([{ key: 'sso' }]);
    expect(client.released).toBe(false);
  });

  it('refuses a client that does not pipeline and sends it nothing', async () => {
    const client = new FakeClient([], false);
    await expect(tenantScopedRead(poolOf(client), TENANT, TEXT, [true])).rejects.toThrow(/pipeline: true/);
    expect({ sent: client.sent, released: client.released }).toEqual({ sent: [], released: true });
  });
});
