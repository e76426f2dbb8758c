import type { NatsConnection } from 'nats';
import { injectTraceHeaders } from './trace-headers';

export type EventPublishOutcome = { published: true } | { published: false; reason: string };

/**
 * Publishes a JSON event on core NATS (fan-out, no acknowledgement) with the trace context in its headers. Best
 * effort by design: events tell listeners to refresh, the database stays the truth, so an event is never queued or
 * retried. Never throws: the outcome says whether it went out and, if not, why.
 */
export function publishEvent(nats: { readonly connection: NatsConnection | undefined }, subject: string, payload: object): EventPublishOutcome {
  const connection = nats.connection;
  if (connection === undefined || connection.isClosed()) return { published: false, reason: 'not connected to NATS' };
  try {
    connection.publish(subject, Buffer.from(JSON.stringify(payload)), { headers: injectTraceHeaders() });
    return { published: true };
  } catch (err) {
    return { published: false, reason: (err as Error).message };
  }
}
