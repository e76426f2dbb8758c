import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { DomainException, ErrorCode, Subjects, type ActorDto } from '@clarion/contracts';
import type { RpcClient } from '@clarion/messaging';
import { ServiceMetrics } from '@clarion/observability';
import pino from 'pino';
import { firstValueFrom, of, throwError } from 'rxjs';
import { HttpAuditInterceptor, auditTarget } from './http-audit.interceptor';
import { HttpAuditService } from './http-audit.service';

const actor: ActorDto = { kind: 'user', tenantId: '11111111-1111-4111-8111-111111111111', id: 'u1', permissions: ['apikeys:manage'] };

function setup(options: { method?: string; params?: Record<string, string>; rpcFails?: boolean; withActor?: boolean } = {}) {
  const sent: Array<{ subject: string; payload: Record<string, unknown> }> = [];
  const rpc = {
    send: async (subject: string, payload: Record<string, unknown>) => {
      sent.push({ subject, payload });
      if (options.rpcFails) throw new DomainException(ErrorCode.UpstreamTimeout, 'auth did not answer');
      return { recorded: true };
    },
  } as unknown as RpcClient;
  const metrics = new ServiceMetrics('gateway-test');
  const interceptor = new HttpAuditInterceptor(new HttpAuditService(rpc, metrics, pino({ level: 'silent' })));
  const request = {
    method: options.method ?? 'POST',
    url: '/api/v1/api-keys',
    routeOptions: { url: options.params ? '/api/v1/api-keys/:id' : '/api/v1/api-keys' },
    params: options.params ?? {},
    actor: options.withActor === false ? undefined : actor,
  };
  const context = { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
  const run = (handler: CallHandler) => firstValueFrom(interceptor.intercept(context, handler));
  const failures = async () => (await metrics.registry.getSingleMetric('clarion_gateway_audit_record_failures_total')!.get()).values[0]?.value ?? 0;
  return { sent, run, failures };
}

describe('HttpAuditInterceptor', () => {
  it('records a success with the actor, the route as action and the created id as target', async () => {
    const { sent, run } = setup();
    await expect(run({ handle: () => of({ id: 'key-1', name: 'k' }) })).resolves.toEqual({ id: 'key-1', name: 'k' });
    expect(sent).toEqual([
      { subject: Subjects.auth.auditRecord, payload: { actor, action: 'http.post.api.v1.api-keys', outcome: 'success', httpCall: true, target: 'key-1' } },
    ]);
  });

  it('records a failure with the path parameter as target and passes the error on', async () => {
    const { sent, run } = setup({ method: 'DELETE', params: { id: 'key-2' } });
    await expect(run({ handle: () => throwError(() => new DomainException(ErrorCode.NotFound, 'no such key')) })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    expect(sent[0]!.payload).toMatchObject({ action: 'http.delete.api.v1.api-keys.:id', outcome: 'failure', target: 'key-2' });
  });

  it('records a refusal by the service (FORBIDDEN) as denied', async () => {
    const { sent, run } = setup();
    await expect(run({ handle: () => throwError(() => new DomainException(ErrorCode.Forbidden, 'beyond your permissions')) })).rejects.toThrow();
    expect(sent[0]!.payload['outcome']).toBe('denied');
  });

  it('never turns a success into an error when the audit log cannot be written, and counts the miss', async () => {
    const { run, failures } = setup({ rpcFails: true });
    await expect(run({ handle: () => of({ id: 'key-3' }) })).resolves.toEqual({ id: 'key-3' });
    expect(await failures()).toBe(1);
  });

  it('leaves reads and calls without a verified actor alone', async () => {
    const read = setup({ method: 'GET' });
    await read.run({ handle: () => of([]) });
    expect(read.sent).toEqual([]);
    const anonymous = setup({ withActor: false });
    await anonymous.run({ handle: () => of({ accessToken: 't' }) });
    expect(anonymous.sent).toEqual([]);
  });
});

describe('auditTarget', () => {
  it('names the target by its path parameters, else by the created resource\'s id, else by its numeric value (SGTs) or address (exporters)', () => {
    expect(auditTarget({ value: '42' }, { value: 42, id: 'x' })).toBe('42');
    expect(auditTarget({}, { id: 'c-1f' })).toBe('c-1f');
    expect(auditTarget({}, { value: 42, name: 'PRINTERS' })).toBe('42');
    expect(auditTarget({}, { address: '192.0.2.1', name: 'core-sw-1' })).toBe('192.0.2.1');
    expect(auditTarget({}, { updated: 3, unknown: [] })).toBeUndefined();
    expect(auditTarget(undefined, undefined)).toBeUndefined();
  });
});
