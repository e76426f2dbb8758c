import { DomainException, ErrorCode } from '@clarion/contracts';
import type { ServiceMetrics } from '@clarion/observability';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { ENTITIES } from '../entities';
import { MIGRATIONS } from '../migrations';
import { TENANT_SETTING } from './roles';
import { tenantScopedRead } from './tenant-read';

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  applicationName: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What every connection of a service's pools is opened with (pg's client options). */
function connectionSettings(options: DatabaseOptions) {
  return {
    max: options.poolSize,
    statement_timeout: options.statementTimeoutMs,
    idle_in_transaction_session_timeout: options.statementTimeoutMs * 2,
    connectionTimeoutMillis: 5000,
  };
}

/** A TypeORM data source for PostgreSQL. Schema changes only through migrations: `synchronize` is always off. */
export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    logging: false,
    applicationName: options.applicationName,
    extra: connectionSettings(options),
  });
}

/**
 * The pool of `Database.readAsTenant`: pg's pipeline mode, so a tenant read's four statements go out in one write
 * (ADR 0012). Its own pool because pipeline mode is fixed per client and refuses custom query classes, such as the
 * COPY streams that run on the data source's pool. pg opens its connections on first use: a service that never
 * reads this way opens none.
 */
export function createTenantReadPool(options: DatabaseOptions): Pool {
  return new Pool({ connectionString: options.url, application_name: options.applicationName, pipeline: true, ...connectionSettings(options) });
}

interface PgQueryable {
  query: (...args: unknown[]) => unknown;
  __clarionTimed?: boolean;
}

interface PgPoolEvents {
  on: (event: 'connect', listener: (client: PgQueryable) => void) => unknown;
}

/**
 * Owns the service's connection pool. Connects in the background with retries so a database that is down at boot
 * makes the service not-ready instead of crashing it, and times every statement for the DB latency histogram.
 */
export class Database {
  readonly dataSource: DataSource;
  private readonly tenantReadPool: Pool;
  private initializing?: Promise<DataSource>;
  private stopped = false;
  private readPoolEnded = false;

  constructor(
    options: DatabaseOptions,
    private readonly logger: Logger,
    private readonly metrics?: ServiceMetrics,
  ) {
    this.dataSource = createDataSource(options);
    this.tenantReadPool = createTenantReadPool(options);
    // An idle connection that dies (a restarted server) is dropped by the pool; unheard, the event would crash us.
    this.tenantReadPool.on('error', (err) => this.logger.warn({ err: err.message }, 'idle PostgreSQL read connection failed'));
    this.instrument(this.tenantReadPool);
  }

  start(): Promise<DataSource> {
    if (!this.initializing) {
      this.initializing = (async () => {
        for (let attempt = 1; !this.stopped; attempt++) {
          try {
            await this.dataSource.initialize();
            this.instrumentPool();
            this.logger.info('connected to PostgreSQL');
            return this.dataSource;
          } catch (err) {
            const delay = Math.min(5000, 250 * 2 ** Math.min(attempt, 5));
            this.logger.warn({ err: (err as Error).message, attempt, retryInMs: delay }, 'PostgreSQL not reachable yet');
            await new Promise((r) => setTimeout(r, delay));
          }
        }
        throw new Error('database stopped before it connected');
      })();
      this.initializing.catch(() => undefined);
    }
    return this.initializing;
  }

  get ready(): boolean {
    return this.dataSource.isInitialized;
  }

  private requireReady(): DataSource {
    if (!this.dataSource.isInitialized) throw new DomainException(ErrorCode.DependencyUnavailable, 'the database is not reachable');
    return this.dataSource;
  }

  /**
   * Runs `work` in one transaction bound to `tenantId`: every statement in it sees and writes only that tenant's
   * rows (row-level security reads the transaction-local `app.tenant_id`).
   */
  async withTenant<T>(tenantId: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!UUID.test(tenantId)) throw new DomainException(ErrorCode.TenantContextMissing, 'a valid tenant id is required');
    return this.requireReady().transaction(async (manager) => {
      await manager.query('SELECT set_config($1, $2, true)', [TENANT_SETTING, tenantId]);
      return work(manager);
    });
  }

  /**
   * One read statement for `tenantId`, in one round trip to PostgreSQL instead of the four of `withTenant`: BEGIN READ
   * ONLY, set_config, the statement and COMMIT are pipelined on a connection of the tenant-read pool, so row-level
   * security applies as in `withTenant` (ADR 0012). For the busiest reads (pages of the API).
   */
  async readAsTenant<T>(tenantId: string, text: string, values: unknown[]): Promise<T[]> {
    if (!UUID.test(tenantId)) throw new DomainException(ErrorCode.TenantContextMissing, 'a valid tenant id is required');
    this.requireReady();
    return tenantScopedRead<T>(this.tenantReadPool, tenantId, text, values);
  }

  /** Work that is not tenant-scoped (platform tables such as tenants). Tenant tables show no rows here. */
  async withoutTenant<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return work(this.requireReady().manager);
  }

  async check(): Promise<void> {
    await this.requireReady().query('SELECT 1');
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (!this.readPoolEnded) {
      this.readPoolEnded = true;
      await this.tenantReadPool.end();
    }
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private instrumentPool(): void {
    this.instrument((this.dataSource.driver as unknown as { master?: PgPoolEvents }).master);
  }

  /** Wraps each pooled client's `query` to observe statement latency by SQL verb. */
  private instrument(pool: PgPoolEvents | Pool | undefined): void {
    const metrics = this.metrics;
    if (!metrics) return;
    (pool as PgPoolEvents | undefined)?.on('connect', (client) => {
      if (client.__clarionTimed) return;
      client.__clarionTimed = true;
      const original = client.query.bind(client);
      client.query = (...args: unknown[]) => {
        const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '');
        const operation = (/^\s*(\w+)/.exec(text)?.[1] ?? 'other').toUpperCase();
        const started = performance.now();
        const observe = (outcome: string) => metrics.dbQueryDuration.observe({ operation, outcome }, (performance.now() - started) / 1000);
        const last = args[args.length - 1];
        if (typeof last === 'function') {
          args[args.length - 1] = (err: unknown, ...rest: unknown[]) => {
            observe(err ? 'error' : 'ok');
            return (last as (...a: unknown[]) => unknown)(err, ...rest);
          };
          return original(...args);
        }
        const result = original(...args);
        if (result && typeof (result as Promise<unknown>).then === 'function') {
          (result as Promise<unknown>).then(
            () => observe('ok'),
            () => observe('error'),
          );
        }
        return result;
      };
    });
  }
}
