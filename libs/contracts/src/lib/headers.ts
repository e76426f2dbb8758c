/** Headers carried on HTTP requests and NATS messages. Trace context travels as W3C `traceparent`/`tracestate`. */
export const Headers = {
  correlationId: 'x-correlation-id',
  tenantId: 'x-clarion-tenant',
  /**
   * On every NATS request: the caller's signed assertion (who sends it, to which service, on which subject, for how
   * long, and for whom: the user or API key the gateway verified). Services believe the actor from here alone.
   */
  callerAssertion: 'x-clarion-caller',
  /**
   * On every message a service stores in a JetStream stream: its publisher's signature over subject, message id and
   * payload (`<key id>.<base64url Ed25519 signature>`), so a consumer believes the payload (and the tenant in it) only
   * as that publisher wrote it, however long it waited in the stream.
   */
  messageSignature: 'x-clarion-signature',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;
