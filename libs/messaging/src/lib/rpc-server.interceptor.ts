import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { NatsContext } from '@nestjs/microservices';
import { DomainException, ErrorCode, Headers } from '@clarion/contracts';
import { RequestContext, type ServiceMetrics } from '@clarion/observability';
import type { Logger } from 'pino';
import { Observable } from 'rxjs';
import { extractTraceContext } from './trace-headers';

/**
 * Wraps every NATS handler: continues the caller's trace from the message headers, restores the correlation id and
 * tenant into the request context (so logs carry them), and records duration and outcome per subject.
 */
@Injectable()
export class RpcServerInterceptor implements NestInterceptor {
  constructor(
    private readonly metrics: ServiceMetrics,
    private readonly logger?: Logger,
  ) {}

  intercept(executionContext: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (executionContext.getType() !== 'rpc') return next.handle();
    const natsContext = executionContext.switchToRpc().getContext<NatsContext>();
    const subject = natsContext.getSubject();
    const hdrs = natsContext.getHeaders();
    const parent = extractTraceContext(hdrs);
    const span = trace.getTracer('clarion-messaging').startSpan(
      `${subject} process`,
      { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'nats', 'messaging.system': 'nats', 'messaging.destination.name': subject } },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    const started = performance.now();
    const finish = (outcome: string) => {
      const seconds = (performance.now() - started) / 1000;
      this.metrics.rpcServerDuration.observe({ subject, outcome }, seconds);
      // Inside the handler's context, so the line carries trace_id, span_id and tenant_id.
      this.logger?.debug({ subject, outcome, durationMs: Math.round(seconds * 1000) }, 'handled NATS request');
      span.end();
    };
    return new Observable((subscriber) =>
      RequestContext.run(
        { correlationId: hdrs?.get(Headers.correlationId) || undefined, tenantId: hdrs?.get(Headers.tenantId) || undefined },
        () =>
          context.with(ctx, () =>
            next.handle().subscribe({
              next: (value) => subscriber.next(value),
              error: (err: unknown) => {
                const code = err instanceof DomainException ? err.code : ErrorCode.Internal;
                span.setStatus({ code: SpanStatusCode.ERROR, message: code });
                finish(code);
                subscriber.error(err);
              },
              complete: () => {
                finish('ok');
                subscriber.complete();
              },
            }),
          ),
      ),
    );
  }
}
