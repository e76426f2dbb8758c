import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { Writable } from 'node:stream';
import { pinoOptions } from './logger';
import { RequestContext } from './request-context';

function capture(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = pino(pinoOptions('auth', 'info'), sink);
  return { logger, lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('service logger', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider());
  });

  it('writes JSON lines with the service name', () => {
    const { logger, lines } = capture();
    logger.info('hello');
    expect(lines()[0]).toMatchObject({ level: 'info', service: 'auth', msg: 'hello' });
  });

  it('adds trace_id, span_id and tenant_id from the active span and request context', () => {
    const { logger, lines } = capture();
    const span = trace.getTracer('t').startSpan('work');
    context.with(trace.setSpan(context.active(), span), () =>
      RequestContext.run({ tenantId: '11111111-1111-4111-8111-111111111111', correlationId: 'c-1' }, () => logger.info('inside')),
    );
    span.end();
    expect(lines()[0]).toMatchObject({
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
      tenant_id: '11111111-1111-4111-8111-111111111111',
      correlation_id: 'c-1',
    });
  });

  it('redacts credentials wherever they appear', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer eyJhbGciOi.secret', cookie: 'sid=1', 'x-api-key': 'clr_ab_cd' } },
        body: { password: 'hunter2hunter2', refreshToken: 'rt-123' },
        token: 'plain-token',
      },
      'login attempt',
    );
    const text = JSON.stringify(lines()[0]);
    for (const secret of ['eyJhbGciOi.secret', 'sid=1', 'clr_ab_cd', 'hunter2hunter2', 'rt-123', 'plain-token']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[REDACTED]');
  });
});
