import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { shutdownTracing, startTracing } from './tracing';

describe('startTracing', () => {
  const saved = process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];

  afterEach(async () => {
    await shutdownTracing(500);
    trace.disable();
    propagation.disable();
    context.disable();
    metrics.disable();
    if (saved === undefined) delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    else process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = saved;
  });

  it('instruments nothing without an OTLP endpoint: no propagator, no recording spans, no meter', () => {
    delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    startTracing('spec', '0.0.0');
    expect(propagation.fields()).toEqual([]);
    expect(trace.getTracer('spec').startSpan('x').isRecording()).toBe(false);
    expect(metrics.getMeterProvider().constructor.name).toBe('NoopMeterProvider');
  });

  it('with an endpoint records spans and propagates W3C trace context, and still starts no metrics pipeline of its own', () => {
    // Nothing listens there: spans are batched and dropped at shutdown, which is all this test needs.
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = 'http://127.0.0.1:9';
    startTracing('spec', '0.0.0');
    expect(propagation.fields()).toEqual(expect.arrayContaining(['traceparent', 'tracestate']));
    const span = trace.getTracer('spec').startSpan('x');
    expect(span.isRecording()).toBe(true);
    span.end();
    // Metrics are Prometheus (prom-client); the SDK's default would be an OTLP MeterProvider and a histogram per request.
    expect(metrics.getMeterProvider().constructor.name).toBe('NoopMeterProvider');
  });
});
