import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { NatsContext } from '@nestjs/microservices';
import { Headers } from '@clarion/contracts';
import type { ServiceMetrics } from '@clarion/observability';
import type { Logger } from 'pino';
import { CallerRefusedError, type CallerVerifier } from './caller-assertion';

/**
 * Runs before every NATS handler: the request's caller assertion must verify (see caller-assertion.ts), and the
 * payload's `actor` is replaced by the one the assertion carries, so a handler never sees an actor nobody vouched
 * for. A request that claims an actor without an assertion of one is refused, never passed on without it. Every
 * refusal answers CALLER_UNVERIFIED, counts in `clarion_rpc_refused_total{subject,reason}` and is logged once (without
 * the assertion, which is a credential for its lifetime).
 */
@Injectable()
export class CallerAssertionGuard implements CanActivate {
  constructor(
    private readonly verifier: CallerVerifier,
    private readonly metrics: ServiceMetrics,
    private readonly logger?: Logger,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'rpc') return true;
    const nats = context.switchToRpc().getContext<NatsContext>();
    const subject = nats.getSubject();
    try {
      const caller = await this.verifier.verify(nats.getHeaders()?.get(Headers.callerAssertion) || undefined, subject);
      const data: unknown = context.switchToRpc().getData();
      if (data !== null && typeof data === 'object') {
        const payload = data as Record<string, unknown>;
        if (caller.actor) payload['actor'] = { ...caller.actor };
        else if ('actor' in payload) throw new CallerRefusedError('actor_not_asserted');
      }
      return true;
    } catch (err) {
      const reason = err instanceof CallerRefusedError ? err.reason : 'malformed';
      this.metrics.rpcRefused.inc({ subject, reason });
      this.logger?.warn({ subject, reason }, 'refused a NATS request: caller assertion not believed');
      throw err instanceof CallerRefusedError ? err : new CallerRefusedError('malformed');
    }
  }
}
