import { NatsResponseJSONDeserializer } from '@nestjs/microservices/deserializers';
import { NatsRecordSerializer } from '@nestjs/microservices/serializers';

/**
 * An RPC answer that is already JSON text. A handler returns one when its answer is large and the caller only
 * forwards it (an API page the gateway sends to its client as it came): the handler serialises it once, the NATS
 * reply carries it without escaping, and a caller that asks for it (`RpcCallOptions.jsonText`) gets the bytes back
 * without parsing them. Any other caller receives the parsed value, as with an ordinary answer. `T` names what the
 * text holds.
 */
export class JsonText<T = unknown> {
  /** Phantom: what the text decodes to. */
  declare readonly decodesTo?: T;

  constructor(readonly text: string | Buffer) {}

  static of<T>(value: T): JsonText<T> {
    return new JsonText<T>(JSON.stringify(value) ?? 'null');
  }

  parse(): T {
    return JSON.parse(this.text.toString()) as T;
  }

  toString(): string {
    return this.text.toString();
  }
}

/**
 * The reply of a JsonText answer is still one JSON document, the transport's usual envelope, with the answer spliced
 * in as the last member: `{"jsonText":"0000000071","err":null,"isDisposed":true,"id":"…","response":<text>}`. The
 * first member gives, in ten digits, the byte offset at which the answer starts, so a caller finds it without reading
 * the envelope and never mistakes another reply for this form: the offset must point just past `"response":`.
 */
const MARKER = Buffer.from('{"jsonText":"');
const OFFSET_DIGITS = 10;
const RESPONSE_KEY = Buffer.from('"response":');
const CLOSE = Buffer.from('}');

/** The Nest NATS serializer, except that a JsonText answer is spliced into the reply as it is. */
export class JsonTextSerializer extends NatsRecordSerializer {
  override serialize(packet: unknown): { data: Uint8Array; headers?: unknown } {
    const answer = (packet as { response?: unknown } | undefined)?.response;
    if (!(answer instanceof JsonText)) return super.serialize(packet);
    const { response: _answer, jsonText: _marker, ...envelope } = packet as Record<string, unknown>;
    const members = JSON.stringify(envelope).slice(1, -1);
    const rest = Buffer.from(`",${members}${members === '' ? '' : ','}"response":`);
    const offset = MARKER.length + OFFSET_DIGITS + rest.length;
    const body = typeof answer.text === 'string' ? Buffer.from(answer.text) : answer.text;
    return { data: Buffer.concat([MARKER, Buffer.from(String(offset).padStart(OFFSET_DIGITS, '0')), rest, body, CLOSE]) };
  }
}

/** The Nest NATS response deserializer, except that a JsonText reply comes back as a JsonText holding the bytes. */
export class JsonTextDeserializer extends NatsResponseJSONDeserializer {
  override deserialize(value: Uint8Array, options?: Record<string, unknown>): ReturnType<NatsResponseJSONDeserializer['deserialize']> {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const offset = spliceOffset(bytes);
    if (offset === undefined) return super.deserialize(value, options);
    const envelope = JSON.parse(`${bytes.toString('utf8', 0, offset - RESPONSE_KEY.length - 1)}}`) as Record<string, unknown>;
    delete envelope['jsonText'];
    // A copy: the reply's buffer belongs to the NATS client, which may reuse it.
    const text = Buffer.from(bytes.subarray(offset, bytes.length - 1));
    return { ...envelope, response: new JsonText(text) } as ReturnType<NatsResponseJSONDeserializer['deserialize']>;
  }
}

/** Where the answer of a JsonText reply starts; undefined for any other reply. */
function spliceOffset(bytes: Buffer): number | undefined {
  const digitsEnd = MARKER.length + OFFSET_DIGITS;
  if (bytes.length <= digitsEnd + 1 || !bytes.subarray(0, MARKER.length).equals(MARKER) || bytes[digitsEnd] !== 0x22 /* " */) return undefined;
  const digits = bytes.toString('latin1', MARKER.length, digitsEnd);
  if (!/^\d+$/.test(digits)) return undefined;
  const offset = Number(digits);
  if (offset >= bytes.length || bytes[bytes.length - 1] !== 0x7d /* } */) return undefined;
  if (!bytes.subarray(offset - RESPONSE_KEY.length, offset).equals(RESPONSE_KEY) || bytes[offset - RESPONSE_KEY.length - 1] !== 0x2c /* , */) return undefined;
  return offset;
}
