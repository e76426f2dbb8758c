import { metrics, trace } from '@opentelemetry/api';
import { shutdownTracing, startTracing } from './tracing';

describe('startTracing', () => {
  afterEach(async () => {
    await shutdownTracing(500);
  });

  it('starts no OpenTelemetry metrics pipeline of its own (metrics are Prometheus, from prom-client)', () => {
    delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    delete process.env['OTEL_METRICS_EXPORTER'];
    startTracing('spec', '0.0.0');
    // The SDK's default would be a MeterProvider exporting OTLP to localhost:4318 and a histogram per HTTP request.
    expect(metrics.getMeterProvider().constructor.name).toBe('NoopMeterProvider');
  });

  it('records no spans without an OTLP endpoint (instrumentation stays cheap)', () => {
    delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    startTracing('spec', '0.0.0');
    expect(trace.getTracer('spec').startSpan('x').isRecording()).toBe(false);
  });
});
