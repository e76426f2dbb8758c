/** Headers carried on HTTP requests and NATS messages. Trace context travels as W3C `traceparent`/`tracestate`. */
export const Headers = {
  correlationId: 'x-correlation-id',
  tenantId: 'x-clarion-tenant',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;
