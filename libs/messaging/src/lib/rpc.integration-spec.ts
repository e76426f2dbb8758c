import { Controller, Inject, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientNats, MessagePattern, NatsRecordBuilder, Payload, Transport, type NatsOptions } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ActorDto, DomainException, ErrorCode, Headers } from '@clarion/contracts';
import { RequestContext, ServiceMetrics } from '@clarion/observability';
import { TestInfra, testLogger } from '@clarion/testing';
import { Type } from 'class-transformer';
import { IsObject, IsString, MaxLength, ValidateNested } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { headers as natsHeaders } from 'nats';
import { CallerSigner, CallerVerifier, callerSigningKeyOf, newCallerKeyPair, type AssertedActor } from './caller-assertion';
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
  whoami: `clarion.test${run}.whoami.v1`,
};

// The caller-assertion keys of this run: the test client signs as the gateway; a stranger's key is trusted by nobody.
const gatewayKeys = newCallerKeyPair();
const strangerKeys = newCallerKeyPair();
const TRUST = { gateway: [gatewayKeys.publicKey] };
const REQUESTERS = Object.fromEntries(Object.values(S).map((subject) => [subject, ['gateway']]));
const ACTOR: AssertedActor = { kind: 'user', tenantId: '6f1c1e0a-0000-4000-8000-000000000001', id: 'u-1', permissions: ['users:read'] };
const serverMetrics = new ServiceMetrics('test');

/** A page whose text holds what could confuse a splice: quotes, the envelope's member names, non-ASCII. */
const PAGE = { items: [{ id: 'e-1', label: 'a "quoted" ,"response": label', note: 'Büro «3»' }], nextCursor: null };

class WhoamiRequestDto {
  @IsObject()
  @ValidateNested()
  @Type(() => ActorDto)
  actor: ActorDto;
}

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

  @MessagePattern(S.whoami)
  whoami(@Payload() dto: WhoamiRequestDto) {
    return { tenantId: dto.actor.tenantId, id: dto.actor.id };
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
  applyRpcConventions(app, { service: 'test', metrics: serverMetrics, logger: testLogger(), callers: new CallerVerifier(`test${run}`, TRUST, REQUESTERS) });
  await app.listen();
  return app;
}

describe('RPC over the NestJS NATS transport (real NATS)', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const instances: INestMicroservice[] = [];
  const metrics = new ServiceMetrics('caller');
  const signer = new CallerSigner('gateway', callerSigningKeyOf(gatewayKeys.privateKeyPem));
  const client = new RpcClient(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'caller' }), 1000, metrics, signer);
  const unsigned = new RpcClient(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'unsigned' }), 1000);
  const stranger = new RpcClient(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'stranger' }), 1000, undefined, new CallerSigner('gateway', callerSigningKeyOf(strangerKeys.privateKeyPem)));

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    instances.push(await startInstance('one'), await startInstance('two'));
    await Promise.all([client.connect(), unsigned.connect(), stranger.connect()]);
  });

  afterAll(async () => {
    await Promise.all([client.close(), unsigned.close(), stranger.close()]);
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
    // A Nest client without Clarion's deserializer (but with the caller's assertion) reads the same reply as an
    // ordinary answer.
    const plain = new ClientNats({ ...natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'plain' }) });
    try {
      const hdrs = natsHeaders();
      hdrs.set(Headers.callerAssertion, await signer.assertionFor(S.page));
      expect(await firstValueFrom(plain.send(S.page, new NatsRecordBuilder({}).setHeaders(hdrs).build()))).toEqual(PAGE);
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

  describe('caller assertions', () => {
    const refusedCount = async (subject: string, reason: string): Promise<number> => {
      const metric = (await serverMetrics.registry.getSingleMetric('clarion_rpc_refused_total')?.get())?.values ?? [];
      return metric.filter((v) => v.labels['subject'] === subject && v.labels['reason'] === reason).reduce((sum, v) => sum + v.value, 0);
    };

    it('hands the handler the actor the assertion carries, not the one in the payload', async () => {
      const forged = { ...ACTOR, tenantId: '00000000-0000-4000-8000-00000000beef', id: 'admin' };
      const forgedPayload = { actor: forged };
      // The RpcClient signs the payload's actor; a forger would have to sign it too. Here the caller vouches for
      // ACTOR and a man in the middle rewrites the payload: the handler still sees ACTOR.
      const hdrs = natsHeaders();
      hdrs.set(Headers.callerAssertion, await signer.assertionFor(S.whoami, ACTOR));
      const plain = new ClientNats({ ...natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'rewriter' }) });
      try {
        expect(await firstValueFrom(plain.send(S.whoami, new NatsRecordBuilder(forgedPayload).setHeaders(hdrs).build()))).toEqual({ tenantId: ACTOR.tenantId, id: ACTOR.id });
      } finally {
        await plain.close();
      }
      expect(await client.send(S.whoami, { actor: ACTOR })).toEqual({ tenantId: ACTOR.tenantId, id: ACTOR.id });
    });

    it('refuses, counts and never handles a request without an assertion, with a key nobody trusts, or with an actor not vouched for', async () => {
      const before = { missing: await refusedCount(S.whoami, 'missing'), unknown: await refusedCount(S.whoami, 'unknown_key'), unasserted: await refusedCount(S.whoami, 'actor_not_asserted') };
      await expect(unsigned.send(S.whoami, { actor: ACTOR })).rejects.toMatchObject({ code: ErrorCode.CallerUnverified });
      await expect(stranger.send(S.whoami, { actor: ACTOR })).rejects.toMatchObject({ code: ErrorCode.CallerUnverified });
      // Signed as a call without an actor, with an actor slipped into the payload afterwards.
      const hdrs = natsHeaders();
      hdrs.set(Headers.callerAssertion, await signer.assertionFor(S.whoami));
      const plain = new ClientNats({ ...natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'slipper' }) });
      try {
        await expect(firstValueFrom(plain.send(S.whoami, new NatsRecordBuilder({ actor: ACTOR }).setHeaders(hdrs).build()))).rejects.toMatchObject({ code: ErrorCode.CallerUnverified });
      } finally {
        await plain.close();
      }
      expect(await refusedCount(S.whoami, 'missing')).toBe(before.missing + 1);
      expect(await refusedCount(S.whoami, 'unknown_key')).toBe(before.unknown + 1);
      expect(await refusedCount(S.whoami, 'actor_not_asserted')).toBe(before.unasserted + 1);
      // The refusals never reached a handler: no server duration was recorded for them.
      const handled = ((await serverMetrics.registry.getSingleMetric('clarion_rpc_server_duration_seconds')?.get())?.values ?? []) as Array<{
        labels: Record<string, string | number>;
        metricName?: string;
      }>;
      expect(handled.filter((v) => v.labels['subject'] === S.whoami && v.labels['outcome'] !== 'ok' && String(v.metricName).endsWith('_count'))).toEqual([]);
    });

    it('refuses an assertion made for another subject', async () => {
      const hdrs = natsHeaders();
      hdrs.set(Headers.callerAssertion, await signer.assertionFor(S.echo, ACTOR));
      const plain = new ClientNats({ ...natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'replayer' }) });
      try {
        await expect(firstValueFrom(plain.send(S.whoami, new NatsRecordBuilder({ actor: ACTOR }).setHeaders(hdrs).build()))).rejects.toMatchObject({ code: ErrorCode.CallerUnverified });
      } finally {
        await plain.close();
      }
      expect(await refusedCount(S.whoami, 'wrong_subject')).toBeGreaterThanOrEqual(1);
    });
  });

  it('records client latency by subject and outcome', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(new RegExp(`clarion_rpc_client_duration_seconds_count\\{[^}]*subject="${S.missing.replace(/\./g, '\\.')}"[^}]*outcome="NOT_FOUND"`));
  });
});
