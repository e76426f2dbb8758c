import { createHash } from 'node:crypto';
import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { TENANT_SETTING } from './roles';

/** A client of a pool created with pg's `pipeline: true`, as far as a tenant read needs it. */
export interface PipelinedClient {
  readonly pipeline: boolean;
  query<R extends QueryResultRow>(config: string | QueryConfig): Promise<QueryResult<R>>;
  getTransactionStatus(): string | null;
  release(destroy?: boolean): void;
}

/** The pool a tenant read takes its connection from. */
export interface PipelinedPool {
  connect(): Promise<PipelinedClient>;
}

/** The name of a statement's server-side prepared form: derived from its text, so every text gets its own. */
export const statementName = (text: string): string => `clarion_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;

const SET_TENANT_SQL = 'SELECT set_config($1, $2, true)';
const SET_TENANT_STATEMENT = statementName(SET_TENANT_SQL);

/**
 * Runs one read statement for `tenantId` in ONE round trip, through pg's pipeline mode (a public Client/Pool option,
 * ADR 0012): BEGIN READ ONLY, `set_config(app.tenant_id, ..., is_local)`, the statement (a named prepared statement,
 * parsed and planned once per connection) and COMMIT are written together, and the server answers them in order.
 * The explicit transaction is what holds the setting from set_config to the statement: in pipeline mode each query
 * ends with its own Sync, which would otherwise end an implicit transaction between the two. When the statement
 * fails, COMMIT ends the aborted transaction as a ROLLBACK; either way the setting dies with the transaction.
 *
 * The caller validates `tenantId`; it travels as a bound parameter, never in SQL text.
 */
export async function tenantScopedRead<T>(pool: PipelinedPool, tenantId: string, text: string, values: unknown[]): Promise<T[]> {
  const client = await pool.connect();
  // A client that does not pipeline would still be correct but would wait for each answer: four round trips.
  if (!client.pipeline) {
    client.release();
    throw new Error('tenant reads need a pool created with pipeline: true');
  }
  let idle = false;
  try {
    // All four are written before any answer is read: none is awaited until every one has been sent.
    const sent = [
      client.query('BEGIN READ ONLY'),
      client.query({ name: SET_TENANT_STATEMENT, text: SET_TENANT_SQL, values: [TENANT_SETTING, tenantId] }),
      client.query<T & QueryResultRow>({ name: statementName(text), text, values }),
      client.query('COMMIT'),
    ] as const;
    const [begin, setTenant, read, commit] = await Promise.allSettled(sent);
    idle = commit.status === 'fulfilled' && client.getTransactionStatus() === 'I';
    if (read.status === 'rejected') throw read.reason;
    // Rows read outside the transaction or without the tenant set must not be returned, even if the statement ran.
    for (const step of [begin, setTenant, commit]) if (step.status === 'rejected') throw step.reason;
    return read.value.rows;
  } finally {
    // Only a connection seen idle after COMMIT goes back to the pool: anything else (a broken pipeline, a
    // transaction still open) is closed, so no later user can inherit a transaction or its tenant.
    client.release(!idle);
  }
}
