import { NatsResponseJSONDeserializer } from '@nestjs/microservices/deserializers';
import { NatsRecordSerializer } from '@nestjs/microservices/serializers';
import fc from 'fast-check';
import { JsonText, JsonTextDeserializer, JsonTextSerializer } from './json-text';

const serializer = new JsonTextSerializer();
const deserializer = new JsonTextDeserializer();
const nestDeserializer = new NatsResponseJSONDeserializer();
/** What a handler may answer: any JSON value (strings with quotes, the splice's own marker text, any code point). */
const jsonValue = fc.jsonValue({ maxDepth: 4 });
const id = fc.oneof(fc.uuid(), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constant('","response":"x'));

describe('JsonText over the Nest NATS envelope', () => {
  it('round-trips any answer: the forwarding caller gets the exact text, the envelope members intact', () => {
    fc.assert(
      fc.property(jsonValue, id, (value, packetId) => {
        const { data } = serializer.serialize({ err: null, response: JsonText.of(value), isDisposed: true, id: packetId });
        const message = deserializer.deserialize(data) as unknown as { response: JsonText; id: string; isDisposed: boolean; err: unknown };
        expect(message.response).toBeInstanceOf(JsonText);
        expect(message.response.toString()).toBe(JSON.stringify(value));
        expect(message.response.parse()).toEqual(JSON.parse(JSON.stringify(value)));
        expect([message.id, message.isDisposed, message.err]).toEqual([packetId, true, null]);
      }),
      { numRuns: 500 },
    );
  });

  it("is an ordinary reply to Nest's own deserializer: the same answer, parsed", () => {
    fc.assert(
      fc.property(jsonValue, id, (value, packetId) => {
        const { data } = serializer.serialize({ err: null, response: JsonText.of(value), isDisposed: true, id: packetId });
        const { jsonText, ...read } = nestDeserializer.deserialize(data) as unknown as Record<string, unknown>;
        expect(jsonText).toMatch(/^\d{10}$/);
        expect(read).toEqual(nestDeserializer.deserialize(new NatsRecordSerializer().serialize({ err: null, response: value, isDisposed: true, id: packetId }).data));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves every other packet as Nest writes and reads it', () => {
    fc.assert(
      fc.property(jsonValue, id, fc.boolean(), (value, packetId, disposed) => {
        const packet = { err: null, response: value, isDisposed: disposed, id: packetId };
        const ours = serializer.serialize(packet);
        expect(Buffer.from(ours.data)).toEqual(Buffer.from(new NatsRecordSerializer().serialize(packet).data));
        expect(deserializer.deserialize(ours.data)).toEqual(nestDeserializer.deserialize(ours.data));
      }),
      { numRuns: 300 },
    );
  });

  it('reads a reply that only looks like the marker as an ordinary one', () => {
    for (const offset of ['0000000001', '0000000030', '0000000031', '9999999999', 'abcdefghij']) {
      const lookalike = Buffer.from(JSON.stringify({ jsonText: offset, response: { items: [] }, isDisposed: true, id: 'x' }));
      expect(deserializer.deserialize(lookalike)).toEqual(nestDeserializer.deserialize(lookalike));
    }
    const { data } = serializer.serialize({ err: null, response: new JsonText(Buffer.from('[1,2]')), isDisposed: true, id: 'b' });
    expect((deserializer.deserialize(data) as unknown as { response: JsonText }).response.parse()).toEqual([1, 2]);
  });
});
