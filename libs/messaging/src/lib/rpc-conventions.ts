import type { INestMicroservice } from '@nestjs/common';
import type { ServiceMetrics } from '@clarion/observability';
import type { Logger } from 'pino';
import type { CallerVerifier } from './caller-assertion';
import { CallerAssertionGuard } from './caller-assertion.guard';
import { RpcErrorEnvelopeFilter } from './rpc-exception.filter';
import { RpcServerInterceptor } from './rpc-server.interceptor';
import { createValidationPipe } from './validation';

/**
 * What every NATS-serving Nest app gets: the caller's signed assertion verified before any handler (the actor comes
 * from it alone), payload validation, trace/tenant/correlation context and metrics per handler, and the coded error
 * envelope.
 */
export function applyRpcConventions(
  app: INestMicroservice,
  opts: { service: string; metrics: ServiceMetrics; logger: Logger; callers: CallerVerifier },
): void {
  app.useGlobalGuards(new CallerAssertionGuard(opts.callers, opts.metrics, opts.logger));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalInterceptors(new RpcServerInterceptor(opts.metrics, opts.logger));
  app.useGlobalFilters(new RpcErrorEnvelopeFilter(opts.service, opts.logger));
}
