import { context, SpanKind, trace } from '@opentelemetry/api';
import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  nanos,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
  type StreamConfig,
} from 'nats';
import { injectTraceHeaders } from './trace-headers';

export interface StreamLimits {
  maxBytes: number;
  maxAgeSeconds: number;
  replicas: number;
  duplicateWindowSeconds: number;
}

/**
 * Creates a stream, or brings an existing one's subjects and limits in line with config. Safe to call from every
 * instance of every service at every boot (JetStream serialises the updates).
 */
export async function ensureStream(
  jsm: JetStreamManager,
  spec: { name: string; subjects: readonly string[] },
  limits: StreamLimits,
): Promise<'created' | 'updated' | 'unchanged'> {
  const wanted: Partial<StreamConfig> = {
    name: spec.name,
    subjects: [...spec.subjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_bytes: limits.maxBytes,
    max_age: nanos(limits.maxAgeSeconds * 1000),
    num_replicas: limits.replicas,
    duplicate_window: nanos(limits.duplicateWindowSeconds * 1000),
  };
  let current: StreamConfig | undefined;
  try {
    current = (await jsm.streams.info(spec.name)).config;
  } catch (err) {
    if (!/not found/i.test((err as Error).message)) throw err;
  }
  if (!current) {
    try {
      await jsm.streams.add(wanted);
      return 'created';
    } catch (err) {
      // Another instance created it between our lookup and our add.
      if (!/already in use|exists/i.test((err as Error).message)) throw err;
      current = (await jsm.streams.info(spec.name)).config;
    }
  }
  const same =
    current.max_bytes === wanted.max_bytes &&
    current.max_age === wanted.max_age &&
    current.num_replicas === wanted.num_replicas &&
    current.duplicate_window === wanted.duplicate_window &&
    JSON.stringify([...current.subjects].sort()) === JSON.stringify([...(wanted.subjects ?? [])].sort());
  if (same) return 'unchanged';
  await jsm.streams.update(spec.name, { ...current, ...wanted } as StreamConfig);
  return 'updated';
}

/**
 * Publishes to JetStream inside a PRODUCER span whose context rides in the message headers, so the consumer's work
 * joins the producer's trace. `msgID` lets JetStream drop a repeat inside the duplicate window.
 */
export async function publishTraced(
  js: JetStreamClient,
  subject: string,
  payload: Uint8Array,
  options: { msgID?: string; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<PubAck> {
  const tracer = trace.getTracer('clarion-messaging');
  const span = tracer.startSpan(`${subject} publish`, {
    kind: SpanKind.PRODUCER,
    attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'messaging.message.id': options.msgID ?? '' },
  });
  const ctx = trace.setSpan(context.active(), span);
  try {
    const headers = injectTraceHeaders(undefined, ctx);
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
    return await js.publish(subject, payload, { msgID: options.msgID, headers, timeout: options.timeoutMs });
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: 2 });
    throw err;
  } finally {
    span.end();
  }
}
