import { trace } from '@opentelemetry/api';
import pino, { type Logger, type LoggerOptions } from 'pino';
import { RequestContext } from './request-context';

/**
 * Paths pino removes from every log line. Credentials must never reach a log, whatever a developer passes in.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.secret',
  '*.apiKey',
  '*.privateKey',
  'password',
  'token',
  'secret',
];

/** Fields added to every line: the active trace and span, and the tenant the request acts for. */
export function logContextMixin(): Record<string, string> {
  const out: Record<string, string> = {};
  const span = trace.getActiveSpan();
  const ctx = span?.spanContext();
  if (ctx && ctx.traceId !== '00000000000000000000000000000000') {
    out['trace_id'] = ctx.traceId;
    out['span_id'] = ctx.spanId;
  }
  const request = RequestContext.current();
  if (request?.tenantId) out['tenant_id'] = request.tenantId;
  if (request?.correlationId) out['correlation_id'] = request.correlationId;
  return out;
}

export function pinoOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service, pid: process.pid },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: logContextMixin,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
  };
}

/** A logger for code that runs outside Nest (start-up, the ops server, tools). */
export function createLogger(service: string, level = 'info'): Logger {
  return pino(pinoOptions(service, level));
}
