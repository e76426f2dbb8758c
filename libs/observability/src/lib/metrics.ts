import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The Prometheus registry of one service process, with the metrics every service shares. Services register their
 * own metrics on `registry` (see the ingest and clustering metrics).
 */
export class ServiceMetrics {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'clarion_http_server_request_duration_seconds',
    help: 'HTTP requests served, by method, route template and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly httpErrors = new Counter({
    name: 'clarion_http_server_errors_total',
    help: 'HTTP responses with status >= 500, and 4xx by error code.',
    labelNames: ['route', 'status_code', 'code'] as const,
    registers: [this.registry],
  });

  readonly rpcServerDuration = new Histogram({
    name: 'clarion_rpc_server_duration_seconds',
    help: 'NATS request handlers, by subject and outcome (ok or the error code).',
    labelNames: ['subject', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly rpcClientDuration = new Histogram({
    name: 'clarion_rpc_client_duration_seconds',
    help: 'NATS requests made by this service, by subject and outcome.',
    labelNames: ['subject', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly rpcRefused = new Counter({
    name: 'clarion_rpc_refused_total',
    help: 'NATS requests refused before any handler because their caller assertion was missing, forged, expired or not for this service, by subject and reason.',
    labelNames: ['subject', 'reason'] as const,
    registers: [this.registry],
  });

  readonly dbQueryDuration = new Histogram({
    name: 'clarion_db_query_duration_seconds',
    help: 'PostgreSQL statements, by first SQL keyword and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly dependencyUp = new Counter({
    name: 'clarion_readiness_check_failures_total',
    help: 'Failed readiness checks, by dependency.',
    labelNames: ['dependency'] as const,
    registers: [this.registry],
  });

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, prefix: 'clarion_' });
  }
}
