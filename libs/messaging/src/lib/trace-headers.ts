import { context, propagation, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from 'nats';

const setter: TextMapSetter<MsgHdrs> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

// NATS header names are case-preserving; W3C propagators ask for lower-case keys.
const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (carrier) => (carrier ? [...carrier.keys()] : []),
  get: (carrier, key) => {
    if (!carrier) return undefined;
    if (carrier.has(key)) return carrier.get(key);
    for (const k of carrier.keys()) if (k.toLowerCase() === key) return carrier.get(k);
    return undefined;
  },
};

/** Writes the active trace context (W3C traceparent/tracestate) into NATS headers, creating them if needed. */
export function injectTraceHeaders(target?: MsgHdrs, ctx: Context = context.active()): MsgHdrs {
  const hdrs = target ?? natsHeaders();
  propagation.inject(ctx, hdrs, setter);
  return hdrs;
}

/** The trace context a NATS message carries, as the parent of the work done for it. */
export function extractTraceContext(hdrs: MsgHdrs | undefined): Context {
  return propagation.extract(context.active(), hdrs, getter);
}
