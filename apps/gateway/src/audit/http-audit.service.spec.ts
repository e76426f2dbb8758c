import { DomainException, ErrorCode, RecordAuditRequestDto, Subjects, type ActorDto } from '@clarion/contracts';
import type { RpcClient } from '@clarion/messaging';
import { ServiceMetrics } from '@clarion/observability';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import pino from 'pino';
import { HttpAuditService, readFilters, SENSITIVE_READS } from './http-audit.service';

const actor: ActorDto = { kind: 'user', tenantId: '11111111-1111-4111-8111-111111111111', id: 'u1', permissions: ['audit:read'] };

function setup(rpcFails = false) {
  const sent: Array<{ subject: string; payload: Record<string, unknown> }> = [];
  const rpc = {
    send: async (subject: string, payload: Record<string, unknown>) => {
      sent.push({ subject, payload });
      if (rpcFails) throw new DomainException(ErrorCode.UpstreamTimeout, 'auth did not answer');
      return { recorded: true };
    },
  } as unknown as RpcClient;
  const metrics = new ServiceMetrics('gateway-test');
  const audit = new HttpAuditService(rpc, metrics, pino({ level: 'silent' }));
  const failures = async () => (await metrics.registry.getSingleMetric('clarion_gateway_audit_record_failures_total')!.get()).values[0]?.value ?? 0;
  return { sent, audit, failures };
}

/** The payload as the auth service's validation pipe would check it. */
const problems = (payload: Record<string, unknown>) => validateSync(plainToInstance(RecordAuditRequestDto, payload), { whitelist: true, forbidNonWhitelisted: true });

describe('HttpAuditService, sensitive reads', () => {
  it('records a read once answered, with its filters and the rows it answered, and returns the answer', async () => {
    const { sent, audit } = setup();
    const page = { items: [{ seq: 3 }, { seq: 2 }], nextCursor: '2' };
    await expect(audit.audited(actor, SENSITIVE_READS.auditSearch, { action: 'auth.login', limit: 2 }, async () => page, (p) => p.items.length)).resolves.toBe(page);
    expect(sent).toEqual([
      {
        subject: Subjects.auth.auditRecord,
        payload: { actor, action: 'audit.read', outcome: 'success', httpCall: true, details: { action: 'auth.login', limit: 2, rows: 2 } },
      },
    ]);
    expect(problems(sent[0]!.payload)).toEqual([]);
  });

  it('records a refused read as denied and a failed one as a failure, and passes the error on', async () => {
    const { sent, audit } = setup();
    const refuse = async () => {
      throw new DomainException(ErrorCode.Forbidden, 'no');
    };
    await expect(audit.audited(actor, SENSITIVE_READS.apiKeyList, {}, refuse, () => 0)).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    const fail = async () => {
      throw new DomainException(ErrorCode.UpstreamTimeout, 'slow');
    };
    await expect(audit.audited(actor, SENSITIVE_READS.apiKeyList, {}, fail, () => 0)).rejects.toMatchObject({ code: ErrorCode.UpstreamTimeout });
    expect(sent.map((s) => [s.payload['action'], s.payload['outcome'], s.payload['details']])).toEqual([
      ['apikey.list', 'denied', {}],
      ['apikey.list', 'failure', {}],
    ]);
  });

  it('never turns an answered read into an error when the audit log cannot be written, and counts the miss', async () => {
    const { audit, failures } = setup(true);
    await expect(audit.audited(actor, SENSITIVE_READS.apiKeyList, {}, async () => ['k'], (list) => list.length)).resolves.toEqual(['k']);
    expect(await failures()).toBe(1);
  });

  it('keeps only the flat values of a query, strings cut to 200 characters', () => {
    const filters = readFilters({ from: '2026-01-01T00:00:00Z', port: 443, truncated: false, cursor: 'c'.repeat(300), absent: undefined, nested: { a: 1 } });
    expect(filters).toEqual({ from: '2026-01-01T00:00:00Z', port: 443, truncated: false, cursor: 'c'.repeat(200) });
    expect(problems({ actor, action: 'flow.export', outcome: 'success', details: { ...filters, rows: 10 } })).toEqual([]);
  });

  it('is refused by the auth service when the details are not flat, too many or too long', () => {
    for (const details of [{ nested: { a: 1 } }, { list: [1] }, { long: 'x'.repeat(201) }, Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${i}`, i])), { 'bad name': 1 }]) {
      expect({ details, refused: problems({ actor, action: 'flow.export', outcome: 'success', details }).length > 0 }).toEqual({ details, refused: true });
    }
  });
});
