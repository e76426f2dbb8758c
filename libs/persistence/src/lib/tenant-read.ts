import { createHash } from 'node:crypto';
import { Query, type QueryResult } from 'pg';
import { TENANT_SETTING } from './roles';

/** The parts of pg's connection a query uses to speak the extended protocol (pg's own Query uses the same). */
interface PgConnection {
  parse(config: { text: string; name: string; types: unknown[] }): void;
  bind(config: { portal: string; statement: string; values: unknown[] }): void;
  execute(config: { portal: string; rows?: number }): void;
  parsedStatements: Record<string, string>;
}

/** What pg's Query offers a subclass (its typings declare only the public surface). */
interface PgQueryInternals {
  name: string;
  hasBeenParsed(connection: PgConnection): boolean;
  prepare(connection: PgConnection): void;
  handleRowDescription(msg: unknown): void;
  handleDataRow(msg: unknown): void;
  handleCommandComplete(msg: unknown, connection: PgConnection): void;
  handleError(err: Error, connection: PgConnection): void;
}

const SET_TENANT_SQL = 'SELECT set_config($1, $2, true)';

/**
 * One read bound to a tenant, in ONE round trip: `set_config(app.tenant_id, ..., is_local)` and the statement go out
 * together in the extended protocol, ahead of a single Sync. PostgreSQL runs everything before a Sync in one implicit
 * transaction, so the setting row-level security reads holds for the statement and ends with it (nothing leaks to
 * the connection's next user), exactly as BEGIN / set_config / statement / COMMIT would, which takes four round trips.
 * The statement is a named prepared statement (parsed and planned once per connection); the set_config row is read
 * and dropped, the statement's rows are the result.
 */
class TenantScopedQuery extends Query {
  private described = false;
  private parsingStatement = false;

  constructor(
    private readonly tenantId: string,
    config: { name: string; text: string; values: unknown[] },
  ) {
    super(config);
  }

  prepare(connection: PgConnection): void {
    const self = this as unknown as PgQueryInternals;
    this.parsingStatement = !self.hasBeenParsed(connection);
    connection.parse({ text: SET_TENANT_SQL, name: '', types: [] });
    connection.bind({ portal: '', statement: '', values: [TENANT_SETTING, this.tenantId] });
    connection.execute({ portal: '', rows: 0 });
    // Parse (first time on this connection), Bind, Describe, Execute, Sync of the statement: pg's own sequence.
    (Query.prototype as unknown as PgQueryInternals).prepare.call(this, connection);
  }

  handleRowDescription(msg: unknown): void {
    this.described = true;
    (Query.prototype as unknown as PgQueryInternals).handleRowDescription.call(this, msg);
  }

  /** Rows before the statement's description are set_config's. */
  handleDataRow(msg: unknown): void {
    if (this.described) (Query.prototype as unknown as PgQueryInternals).handleDataRow.call(this, msg);
  }

  handleCommandComplete(msg: unknown, connection: PgConnection): void {
    if (this.described) (Query.prototype as unknown as PgQueryInternals).handleCommandComplete.call(this, msg, connection);
  }

  handleError(err: Error, connection: PgConnection): void {
    // pg records the statement as parsed on the first ParseComplete of the round trip, which here may be set_config's:
    // when the statement itself then failed to parse, forget it, so the next use parses it again.
    if (this.parsingStatement) delete connection.parsedStatements[(this as unknown as PgQueryInternals).name];
    (Query.prototype as unknown as PgQueryInternals).handleError.call(this, err, connection);
  }
}

/** A pooled pg client, as far as a tenant read needs it. */
export interface PgClient {
  query(query: Query, callback?: (err: Error | null, result: QueryResult) => void): unknown;
}

/** The name of a statement's server-side prepared form: derived from its text, so every text gets its own. */
export const statementName = (text: string): string => `clarion_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;

/** Runs one read statement for `tenantId` on `client` in one round trip (see TenantScopedQuery). */
export function tenantScopedRead<T>(client: PgClient, tenantId: string, text: string, values: unknown[]): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    // The callback as query()'s argument, so the pool's statement timing (Database) sees this query too.
    client.query(new TenantScopedQuery(tenantId, { name: statementName(text), text, values }), (err, result) =>
      err ? reject(err) : resolve(result.rows as T[]),
    );
  });
}
