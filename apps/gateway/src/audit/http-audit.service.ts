import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type ActorDto } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import { ServiceMetrics } from '@clarion/observability';
import { ROOT_LOGGER } from '@clarion/platform';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { auditActionOf } from '../http/route-table';

export type AuditOutcome = 'success' | 'failure' | 'denied';

export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Writes one audit event per state-changing call the gateway serves for a verified actor, through the auth service
 * (`clarion.auth.audit.record.v1`) into the tenant's hash-chained log. Recording never changes the answer: a failure
 * to record is logged and counted (`clarion_gateway_audit_record_failures_total`, alert on it) and the call's own
 * result stands.
 */
@Injectable()
export class HttpAuditService {
  private readonly failures: Counter;

  constructor(
    private readonly rpc: RpcClient,
    metrics: ServiceMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    const name = 'clarion_gateway_audit_record_failures_total';
    this.failures =
      (metrics.registry.getSingleMetric(name) as Counter | undefined) ??
      new Counter({ name, help: 'State-changing calls whose audit event could not be recorded.', registers: [metrics.registry] });
  }

  async record(actor: ActorDto, method: string, routePath: string, outcome: AuditOutcome, target?: string): Promise<void> {
    const action = auditActionOf(method, routePath);
    try {
      await this.rpc.send(Subjects.auth.auditRecord, { actor, action, outcome, httpCall: true, ...(target ? { target: target.slice(0, 300) } : {}) });
    } catch (err) {
      this.failures.inc();
      this.logger.error({ err: (err as Error).message, action, outcome, tenantId: actor.tenantId }, 'could not record an audit event');
    }
  }
}
