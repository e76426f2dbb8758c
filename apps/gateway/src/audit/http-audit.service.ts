import { Inject, Injectable } from '@nestjs/common';
import { DomainException, ErrorCode, Subjects, type ActorDto, type AuditDetails } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import { ServiceMetrics } from '@clarion/observability';
import { ROOT_LOGGER } from '@clarion/platform';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { auditActionOf } from '../http/route-table';

export type AuditOutcome = 'success' | 'failure' | 'denied';

export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Reads of sensitive data, audited like state-changing calls: a bulk copy of the tenant's flows, the audit log itself
 * (who looked at what was done), and the list of API keys (who may act for the tenant). Other reads are not recorded.
 */
export const SENSITIVE_READS = { flowExport: 'flow.export', auditSearch: 'audit.read', apiKeyList: 'apikey.list' } as const;
export type SensitiveRead = (typeof SENSITIVE_READS)[keyof typeof SENSITIVE_READS];

/** FORBIDDEN from a service (a role beyond the caller's own, SSO off, ...) is a denial; every other error a failure. */
export const outcomeOfError = (err: unknown): AuditOutcome =>
  err instanceof DomainException && err.code === ErrorCode.Forbidden ? 'denied' : 'failure';

/**
 * The filters of a read as its event records them: the validated query's values, strings cut to the length an event
 * keeps. A query of these routes holds no secret (the credential travels in headers).
 */
export function readFilters(query: object): AuditDetails {
  const filters: AuditDetails = {};
  for (const [name, value] of Object.entries(query)) {
    if (typeof value === 'string') filters[name] = value.slice(0, 200);
    else if (typeof value === 'number' || typeof value === 'boolean') filters[name] = value;
  }
  return filters;
}

/**
 * Writes one audit event per state-changing call the gateway serves for a verified actor, and one per sensitive read
 * (SENSITIVE_READS), through the auth service
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
    await this.send(actor, auditActionOf(method, routePath), outcome, target ? { target: target.slice(0, 300) } : {});
  }

  /** One read of sensitive data: what it asked for (filters) and how much it answered (rows), never the data. */
  async recordRead(actor: ActorDto, action: SensitiveRead, outcome: AuditOutcome, details: AuditDetails): Promise<void> {
    await this.send(actor, action, outcome, { details });
  }

  /** Runs a sensitive read and records it once answered: a success with the rows it answered, or its failure. */
  async audited<T>(actor: ActorDto, action: SensitiveRead, filters: AuditDetails, read: () => Promise<T>, rowsOf: (answer: T) => number): Promise<T> {
    let answer: T;
    try {
      answer = await read();
    } catch (err) {
      await this.recordRead(actor, action, outcomeOfError(err), filters);
      throw err;
    }
    await this.recordRead(actor, action, 'success', { ...filters, rows: rowsOf(answer) });
    return answer;
  }

  private async send(actor: ActorDto, action: string, outcome: AuditOutcome, extra: { target?: string; details?: AuditDetails }): Promise<void> {
    try {
      await this.rpc.send(Subjects.auth.auditRecord, { actor, action, outcome, httpCall: true, ...extra });
    } catch (err) {
      this.failures.inc();
      this.logger.error({ err: (err as Error).message, action, outcome, tenantId: actor.tenantId }, 'could not record an audit event');
    }
  }
}
