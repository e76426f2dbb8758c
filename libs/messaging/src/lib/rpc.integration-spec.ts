import { Controller, Inject, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientNats, MessagePattern, Payload, Transport, type NatsOptions } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { DomainException, ErrorCode } from '@clarion/contracts';
import { RequestContext, ServiceMetrics } from '@clarion/observability';
import { TestInfra, testLogger } from '@clarion/testing';
import { IsString, MaxLength } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { JsonText, JsonTextSerializer } from './json-text';
import { natsConnectionOptions } from './nats-connection';
import { applyRpcConventions } from './rpc-conventions';
import { RpcClient } from './rpc-client';

// Subjects unique to this run, so a concurrently running Clarion on the same NATS never answers them.
const run = randomUUID().slice(0, 8);
const S = {
  echo: `clarion.test${run}.echo.v1`,
  missing: `clarion.test${run}.missing.v1`,
  crash: `clarion.test${run}.crash.v1`,
  slow: `clarion.test${run}.slow.v1`,
  nobody: `clarion.test${run}.nobody.v1`,
  page: `clarion.test${run}.page.v1`,
};

/** A page whose text holds what could confuse a splice: quotes, the envelope's member names, non-ASCII. */
const PAGE = { items: [{ id: 'e-1', label: 'a "quoted" ,"response": label', note: 'Büro «3»' }], nextCursor: null };

class EchoRequestDto {
  @IsString()
  @MaxLength(20)
  text: string;
}

@Controller()
class TestController {
  constructor(@Inject('INSTANCE') private readonly instance: string) {}

  @MessagePattern(S.echo)
  echo(@Payload() dto: EchoRequestDto) {
    return {
      text: dto.text,
      instance: this.instance,
      traceId: trace.getActiveSpan()?.spanContext().traceId,
      tenantId: RequestContext.current()?.tenantId,
      correlationId: RequestContext.current()?.correlationId,
    };
  }

  @MessagePattern(S.missing)
  missing(): never {
    throw new DomainException(ErrorCode.NotFound, 'no such cluster');
  }

  @MessagePattern(S.crash)
  crash(): never {
    throw new Error('secret internal detail /etc/passwd');
  }

  @MessagePattern(S.page)
  page(): JsonText<typeof PAGE> {
    return JsonText.of(PAGE);
  }

  @MessagePattern(S.slow)
  async slow(): Promise<string> {
    await new Promise((r) => setTimeout(r, 1500));
    return 'late';
  }
}

async function startInstance(instance: string): Promise<INestMicroservice> {
  @Module({ controllers: [TestController], providers: [{ provide: 'INSTANCE', useValue: instance }] })
  class TestModule {}
  const app = await NestFactory.createMicroservice<NatsOptions>(TestModule, {
    transport: Transport.NATS,
    options: { ...natsConnectionOptions({ servers: TestInfra.natsUrl, name: instance }), queue: `clarion.test${run}`, serializer: new JsonTextSerializer() },
    logger: false,
  });
  applyRpcConventions(app, { service: 'test', metrics: new ServiceMetrics('test'), logger: testLogger() });
  await app.listen();
  return app;
}

describe('RPC over the NestJS NATS transport (real NATS)', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const instances: INestMicroservice[] = [];
  const metrics = new ServiceMetrics('caller');
  const client = new RpcClient(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'caller' }), 1000, metrics);

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    instances.push(await startInstance('one'), await startInstance('two'));
    await client.connect();
  });

  afterAll(async () => {
    await client.close();
    await Promise.all(instances.map((i) => i.close()));
    await provider.shutdown();
  });

  it('answers a valid request', async () => {
    const answer = await client.send<{ text: string }>(S.echo, { text: 'hello' });
    expect(answer.text).toBe('hello');
  });

  it('answers a JsonText page parsed by default, and as the handler wrote it to a caller that forwards it', async () => {
    expect(await client.send(S.page, {})).toEqual(PAGE);
    const forwarded = await client.send<JsonText<typeof PAGE>>(S.page, {}, { jsonText: true });
    expect(forwarded).toBeInstanceOf(JsonText);
    expect(forwarded.toString()).toBe(JSON.stringify(PAGE));
    // A Nest client without Clarion's deserializer reads the same reply as an ordinary answer.
    const plain = new ClientNats({ ...natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'plain' }) });
    try {
      expect(await firstValueFrom(plain.send(S.page, {}))).toEqual(PAGE);
    } finally {
      await plain.close();
    }
  });

  it('shares requests between the instances of one queue group, each handled once', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => client.send<{ instance: string; text: string }>(S.echo, { text: `m${i}` })));
    const byInstance = new Map<string, number>();
    for (const a of answers) byInstance.set(a.instance, (byInstance.get(a.instance) ?? 0) + 1);
    expect(answers.map((a) => a.text).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`).sort());
    expect([...byInstance.keys()].sort()).toEqual(['one', 'two']);
    expect((byInstance.get('one') ?? 0) + (byInstance.get('two') ?? 0)).toBe(40);
  });

  it("carries the caller's trace, tenant and correlation id to the handler", async () => {
    const tracer = trace.getTracer('test');
    const result = await tracer.startActiveSpan('caller', async (span) => {
      try {
        return await RequestContext.run({ tenantId: '6f1c1e0a-0000-4000-8000-000000000001', correlationId: 'corr-42' }, () =>
          client.send<{ traceId: string; tenantId: string; correlationId: string }>(S.echo, { text: 'traced' }),
        );
      } finally {
        span.end();
      }
    });
    const callerSpan = exporter.getFinishedSpans().find((s) => s.name === 'caller');
    expect(result.traceId).toBe(callerSpan?.spanContext().traceId);
    expect(result.tenantId).toBe('6f1c1e0a-0000-4000-8000-000000000001');
    expect(result.correlationId).toBe('corr-42');
    const serverSpan = exporter.getFinishedSpans().find((s) => s.name === `${S.echo} process` && s.spanContext().traceId === result.traceId);
    expect(serverSpan).toBeDefined();
  });

  it('refuses an invalid payload with VALIDATION_FAILED naming the field', async () => {
    const attempt = client.send(S.echo, { text: 'x'.repeat(21), extra: 1 });
    await expect(attempt).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    const err = (await attempt.catch((e: unknown) => e)) as DomainException;
    expect(err.details?.map((d) => d.field).sort()).toEqual(['extra', 'text']);
  });

  it("keeps a handler's domain error code and message", async () => {
    await expect(client.send(S.missing, {})).rejects.toMatchObject({ code: ErrorCode.NotFound, message: 'no such cluster' });
  });

  it('turns an unexpected error into INTERNAL without leaking its message', async () => {
    const err = (await client.send(S.crash, {}).catch((e: unknown) => e)) as DomainException;
    expect(err).toBeInstanceOf(DomainException);
    expect(err.code).toBe(ErrorCode.Internal);
    expect(err.message).not.toContain('passwd');
  });

  it('fails with UPSTREAM_TIMEOUT when the handler does not answer in time', async () => {
    const started = Date.now();
    await expect(client.send(S.slow, {}, { timeoutMs: 300 })).rejects.toMatchObject({ code: ErrorCode.UpstreamTimeout });
    expect(Date.now() - started).toBeLessThan(1400);
  });

  it('fails fast with SERVICE_UNAVAILABLE when no instance serves the subject', async () => {
    const started = Date.now();
    await expect(client.send(S.nobody, {}, { timeoutMs: 5000 })).rejects.toMatchObject({ code: ErrorCode.ServiceUnavailable });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('records client latency by subject and outcome', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(new RegExp(`clarion_rpc_client_duration_seconds_count\\{[^}]*subject="${S.missing.replace(/\./g, '\\.')}"[^}]*outcome="NOT_FOUND"`));
  });
});
