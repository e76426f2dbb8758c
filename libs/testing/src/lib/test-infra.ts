/**
 * Where the real infrastructure of this machine is, for integration and end-to-end tests. Every default matches the
 * services `npm test` brings up; CLARION_TEST_* variables point the tests elsewhere.
 */
const env = (name: string, fallback: string): string => process.env[name] ?? fallback;

export const TestInfra = {
  pgHost: env('CLARION_TEST_PG_HOST', '127.0.0.1'),
  pgPort: Number(env('CLARION_TEST_PG_PORT', '5432')),
  database: env('CLARION_TEST_DATABASE', 'clarion_test'),
  natsUrl: env('CLARION_TEST_NATS_URL', 'nats://127.0.0.1:4222'),
  redisUrl: env('CLARION_TEST_REDIS_URL', 'redis://127.0.0.1:6379'),
  get superuserUrl(): string {
    return `postgres://postgres@${this.pgHost}:${this.pgPort}/${this.database}`;
  },
  get ownerUrl(): string {
    return `postgres://clarion_owner@${this.pgHost}:${this.pgPort}/${this.database}`;
  },
  /** The role every service shared before each had its own (kept for older deployments): row-level security applies. */
  get appUrl(): string {
    return this.roleUrl('clarion_app');
  },
  /** The login role of one service (`clarion_<service>`): only that service's grants, row-level security applies. */
  serviceUrl(service: 'gateway' | 'auth' | 'ingest' | 'clustering' | 'retention'): string {
    return this.roleUrl(`clarion_${service}`);
  },
  roleUrl(role: string): string {
    return `postgres://${role}@${this.pgHost}:${this.pgPort}/${this.database}`;
  },
};
