import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ClientNats, NatsRecordBuilder, type NatsOptions } from '@nestjs/microservices';
import { DomainException, ErrorCode, Headers, isRpcErrorEnvelope } from '@clarion/contracts';
import { RequestContext, type ServiceMetrics } from '@clarion/observability';
import { headers as natsHeaders } from 'nats';
import { firstValueFrom, timeout as rxTimeout, TimeoutError } from 'rxjs';
import { JsonText, JsonTextDeserializer } from './json-text';
import type { AssertedActor, CallerSigner } from './caller-assertion';
import { injectTraceHeaders } from './trace-headers';

export interface RpcCallOptions {
  /** Overrides RPC_TIMEOUT_MS for this call. */
  timeoutMs?: number;
  /**
   * Answer a JsonText as it came (the caller forwards it without reading it); otherwise a JsonText answer is parsed
   * like any other.
   */
  jsonText?: boolean;
}

/**
 * Request/reply over the NestJS NATS transport. Every call carries this service's signed caller assertion (with the
 * payload's `actor`, when it has one, as the actor vouched for), the trace context, the correlation id and the
 * tenant in NATS headers, is bounded by a timeout, and fails with a DomainException whose code says why:
 * the remote service's own code, UPSTREAM_TIMEOUT when nobody answered in time, SERVICE_UNAVAILABLE when no
 * instance is subscribed, DEPENDENCY_UNAVAILABLE when NATS itself is unreachable.
 */
/** The actor a payload is sent for (`{ actor, ... }`, the shape of every request made on behalf of someone). */
function actorOf(payload: unknown): AssertedActor | undefined {
  if (payload === null || typeof payload !== 'object' || !('actor' in payload)) return undefined;
  const actor = (payload as { actor?: AssertedActor }).actor;
  return actor ?? undefined;
}

export class RpcClient {
  private readonly client: ClientNats;

  constructor(
    options: NatsOptions['options'],
    private readonly defaultTimeoutMs: number,
    private readonly metrics?: ServiceMetrics,
    /** Without a signer requests go out unsigned, and every Clarion service refuses them (CALLER_UNVERIFIED). */
    private readonly signer?: CallerSigner,
  ) {
    this.client = new ClientNats({ ...options, deserializer: new JsonTextDeserializer() });
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  async send<TResponse, TRequest = unknown>(subject: string, payload: TRequest, options: RpcCallOptions = {}): Promise<TResponse> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const tracer = trace.getTracer('clarion-messaging');
    const span = tracer.startSpan(`${subject} request`, {
      kind: SpanKind.CLIENT,
      attributes: { 'rpc.system': 'nats', 'messaging.system': 'nats', 'messaging.destination.name': subject },
    });
    const ctx = trace.setSpan(context.active(), span);
    const started = performance.now();
    let outcome = 'ok';
    try {
      const hdrs = injectTraceHeaders(natsHeaders(), ctx);
      const request = RequestContext.current();
      if (request?.correlationId) hdrs.set(Headers.correlationId, request.correlationId);
      if (request?.tenantId) hdrs.set(Headers.tenantId, request.tenantId);
      if (this.signer) hdrs.set(Headers.callerAssertion, await this.signer.assertionFor(subject, actorOf(payload)));
      const record = new NatsRecordBuilder(payload).setHeaders(hdrs).build();
      const answer = await context.with(ctx, () =>
        firstValueFrom(this.client.send<TResponse>(subject, record).pipe(rxTimeout({ first: timeoutMs }))),
      );
      return answer instanceof JsonText && !options.jsonText ? (answer.parse() as TResponse) : answer;
    } catch (err) {
      const mapped = this.mapError(err, subject, timeoutMs);
      outcome = mapped.code;
      span.setStatus({ code: SpanStatusCode.ERROR, message: mapped.code });
      throw mapped;
    } finally {
      this.metrics?.rpcClientDuration.observe({ subject, outcome }, (performance.now() - started) / 1000);
      span.end();
    }
  }

  private mapError(err: unknown, subject: string, timeoutMs: number): DomainException {
    if (err instanceof DomainException) return err;
    if (err instanceof TimeoutError) {
      return new DomainException(ErrorCode.UpstreamTimeout, `${subject} did not answer within ${timeoutMs} ms`);
    }
    if (isRpcErrorEnvelope(err)) return new DomainException(err.code, err.message, err.details);
    const code = (err as { code?: string })?.code;
    const message = err instanceof Error ? err.message : String((err as { message?: string })?.message ?? err);
    // NATS "no responders" (503), surfaced by Nest as an EmptyResponseException: no instance subscribes.
    if (code === '503' || /no responders|no subscribers/i.test(message) || (err as Error)?.constructor?.name === 'EmptyResponseException') {
      return new DomainException(ErrorCode.ServiceUnavailable, `no instance is serving ${subject}`);
    }
    if (/CONNECTION_REFUSED|ECONNREFUSED|disconnect|closed|TIMEOUT/i.test(`${code ?? ''} ${message}`)) {
      return new DomainException(ErrorCode.DependencyUnavailable, 'the message bus (NATS) is unreachable');
    }
    return new DomainException(ErrorCode.Internal, `${subject} failed`);
  }
}
