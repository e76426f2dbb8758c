/**
 * OpenTelemetry start-up. Imported by each app's `instrument.ts`, which is the first import of its `main.ts`:
 * instrumentations patch modules when they are required, so the SDK must start before Nest, pg, ioredis or http
 * are loaded. This file must therefore import nothing from the rest of the workspace.
 *
 * It reads OTEL_* variables directly because it runs before config validation; the service's env class validates
 * the same variables right after, and a bad value still stops the process.
 */
import type * as SdkNode from '@opentelemetry/sdk-node';
import type * as ExporterTraceOtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as InstrumentationHttp from '@opentelemetry/instrumentation-http';
import type * as InstrumentationNest from '@opentelemetry/instrumentation-nestjs-core';
import type * as InstrumentationPg from '@opentelemetry/instrumentation-pg';
import type * as InstrumentationIoredis from '@opentelemetry/instrumentation-ioredis';
import type * as Resources from '@opentelemetry/resources';
import type * as SemanticConventions from '@opentelemetry/semantic-conventions';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let sdk: SdkNode.NodeSDK | undefined;

const OPS_PATHS = new Set(['/metrics', '/healthz', '/readyz']);

/** The workspace version from the root package.json (containers run node directly, without npm's variables). */
function workspaceVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'clarion' && pkg.version) return pkg.version;
      } catch {
        /* keep looking */
      }
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
}

/**
 * Starts tracing when OTEL_EXPORTER_OTLP_ENDPOINT names a collector. Without one nothing is instrumented: spans would
 * go nowhere, and the instrumentation alone (HTTP, Nest, pg, ioredis wrappers and their context propagation) cost the
 * gateway about 0.1 ms of CPU per request, a third of a cached read (docs/PERFORMANCE.md).
 */
export function startTracing(serviceName: string, serviceVersion = workspaceVersion()): void {
  if (sdk) return;
  const endpoint = process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (!endpoint) return;
  // Loaded only when tracing is on: the SDK, the exporter and the instrumentations take over a second to load, which
  // every start of every service (and every test that starts one) would otherwise pay for nothing.
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof SdkNode;
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof ExporterTraceOtlpHttp;
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof InstrumentationHttp;
  const { NestInstrumentation } = require('@opentelemetry/instrumentation-nestjs-core') as typeof InstrumentationNest;
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof InstrumentationPg;
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof InstrumentationIoredis;
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof Resources;
  const { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } = require('@opentelemetry/semantic-conventions') as typeof SemanticConventions;
  const { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } = require('@opentelemetry/sdk-trace-base') as typeof SdkTraceBase;
  const ratio = Number(process.env['OTEL_TRACES_SAMPLER_RATIO'] ?? '1');
  const spanProcessors = [
    new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces`, timeoutMillis: 5000 }), {
      // Small batches and a short delay: traces show up in Jaeger within a second of the request.
      scheduledDelayMillis: Number(process.env['OTEL_BSP_SCHEDULE_DELAY'] ?? '1000'),
      maxQueueSize: 4096,
    }),
  ];
  sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: `clarion-${serviceName}`,
      [ATTR_SERVICE_VERSION]: serviceVersion,
      'service.namespace': 'clarion',
    }),
    spanProcessors,
    // Metrics are Prometheus (/metrics, prom-client) and logs are pino on stdout. Without these two empty lists the SDK
    // starts its own OTLP metric and log exporters from defaults (to localhost:4318), and the HTTP instrumentation
    // records a histogram per request for nobody.
    metricReaders: [],
    logRecordProcessors: [],
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(Number.isFinite(ratio) ? ratio : 1) }),
    instrumentations: [
      new HttpInstrumentation({
        // Scrapes and probes would drown real traffic in Jaeger.
        ignoreIncomingRequestHook: (req) => OPS_PATHS.has((req.url ?? '').split('?')[0] ?? ''),
      }),
      new NestInstrumentation(),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      new IORedisInstrumentation(),
    ],
  });
  sdk.start();
}

/** Flushes buffered spans; called on shutdown so the last requests' spans are not lost. */
export async function shutdownTracing(timeoutMs = 2000): Promise<void> {
  const current = sdk;
  sdk = undefined;
  if (!current) return;
  // An unreachable collector must not hold up a shutdown: flush what can be flushed in time, drop the rest.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    current.shutdown().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}
