import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { TestInfra, testLogger } from '@clarion/testing';
import { AckPolicy, DeliverPolicy, type JetStreamManager } from 'nats';
import { randomUUID } from 'node:crypto';
import { ensureStream, publishTraced } from './jetstream';
import { NatsConnectionHolder, natsConnectionOptions } from './nats-connection';
import { extractTraceContext } from './trace-headers';

describe('JetStream helpers (real NATS with JetStream)', () => {
  const run = randomUUID().slice(0, 8).toUpperCase();
  const spec = { name: `TEST_${run}`, subjects: [`clarion.test${run}.>`] };
  const limits = { maxBytes: 8 * 1024 * 1024, maxAgeSeconds: 600, replicas: 1, duplicateWindowSeconds: 60 };
  const holder = new NatsConnectionHolder(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'js-test' }), testLogger());
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let jsm: JetStreamManager;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    jsm = await holder.jetstreamManager();
  });

  afterAll(async () => {
    await jsm.streams.delete(spec.name).catch(() => undefined);
    await holder.close();
    await provider.shutdown();
  });

  it('creates a stream once, then leaves it unchanged, then updates changed limits', async () => {
    expect(await ensureStream(jsm, spec, limits)).toBe('created');
    expect(await ensureStream(jsm, spec, limits)).toBe('unchanged');
    expect(await ensureStream(jsm, spec, { ...limits, maxBytes: 16 * 1024 * 1024 })).toBe('updated');
    const info = await jsm.streams.info(spec.name);
    expect(info.config.max_bytes).toBe(16 * 1024 * 1024);
    expect(info.config.subjects).toEqual(spec.subjects);
  });

  it('survives several instances ensuring the same stream at once', async () => {
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => ensureStream(jsm, spec, limits)));
    expect(outcomes.every((o) => o === 'unchanged' || o === 'updated')).toBe(true);
    expect((await jsm.streams.info(spec.name)).config.max_bytes).toBe(limits.maxBytes);
  });

  it('drops a repeated message id inside the duplicate window', async () => {
    const js = await holder.jetstream();
    const subject = `clarion.test${run}.batch.v1`;
    const first = await publishTraced(js, subject, new TextEncoder().encode('batch-1'), { msgID: 'batch-1' });
    const again = await publishTraced(js, subject, new TextEncoder().encode('batch-1'), { msgID: 'batch-1' });
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(first.seq);
  });

  it('carries the producer trace to the consumer in message headers', async () => {
    const js = await holder.jetstream();
    const subject = `clarion.test${run}.traced.v1`;
    const traceId = await trace.getTracer('test').startActiveSpan('producer', async (span) => {
      await publishTraced(js, subject, new TextEncoder().encode('x'), { msgID: randomUUID() });
      span.end();
      return span.spanContext().traceId;
    });
    await jsm.consumers.add(spec.name, { durable_name: `c_${run}`, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: subject });
    const consumer = await js.consumers.get(spec.name, `c_${run}`);
    const msg = await consumer.next({ expires: 5000 });
    expect(msg).not.toBeNull();
    const parent = extractTraceContext(msg!.headers);
    expect(trace.getSpanContext(parent)?.traceId).toBe(traceId);
    msg!.ack();
  });
});
