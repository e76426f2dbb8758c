import { DomainException, ErrorCode } from '@clarion/contracts';
import type { ServiceMetrics } from '@clarion/observability';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { ENTITIES } from '../entities';
import { MIGRATIONS } from '../migrations';
import { TENANT_SETTING } from './roles';
import { tenantScopedRead, type PgClient } from './tenant-read';

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  applicationName: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
    extra: {
      max: options.poolSize,
      statement_timeout: options.statementTimeoutMs,
      idle_in_transaction_session_timeout: options.statementTimeoutMs * 2,
      connectionTimeoutMillis: 5000,
    },
  });
}

interface PgQueryable {
  query: (...args: unknown[]) => unknown;
  __clarionTimed?: boolean;
}

/**
 * Owns the service's connection pool. Connects in the background with retries so a database that is down at boot
 * makes the service not-ready instead of crashing it, and times every statement for the DB latency histogram.
 */
export class Database {
  readonly dataSource: DataSource;
  private initializing?: Promise<DataSource>;
  private stopped = false;

  constructor(
    options: DatabaseOptions,
    private readonly logger: Logger,
    private readonly metrics?: ServiceMetrics,
  ) {
    this.dataSource = createDataSource(options);
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
   * One read statement for `tenantId`, in one round trip to PostgreSQL instead of the four of `withTenant` (BEGIN,
   * set_config, the statement, COMMIT): the setting and the statement travel together and run in one implicit
   * transaction, so row-level security applies as in `withTenant`. For the busiest reads (pages of the API).
   */
  async readAsTenant<T>(tenantId: string, text: string, values: unknown[]): Promise<T[]> {
    if (!UUID.test(tenantId)) throw new DomainException(ErrorCode.TenantContextMissing, 'a valid tenant id is required');
    const runner = this.requireReady().createQueryRunner();
    try {
      return await tenantScopedRead<T>((await runner.connect()) as PgClient, tenantId, text, values);
    } finally {
      await runner.release();
    }
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
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  /** Wraps each pooled client's `query` to observe statement latency by SQL verb. */
  private instrumentPool(): void {
    const metrics = this.metrics;
    if (!metrics) return;
    const pool = (this.dataSource.driver as unknown as { master?: { on: (e: string, cb: (c: PgQueryable) => void) => void } }).master;
    pool?.on('connect', (client) => {
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
