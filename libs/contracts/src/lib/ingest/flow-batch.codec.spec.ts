import fc from 'fast-check';
import { decodeFlowBatch, encodeFlowBatchParts, FlowBatchFormatError, flowBatchMessageId, type FlowBatchFlow } from './flow-batch.codec';

const meta = { batchId: '0b8e2a34-5d6f-4a1b-9c2d-3e4f5a6b7c8d', tenantId: 'f47ac10b-58cc-4372-a567-0e02b2c3d479', sealedAtMs: 1_764_000_000_123 };

const flow = (i: number, overrides: Partial<FlowBatchFlow> = {}): FlowBatchFlow => ({
  srcAddress: `10.0.${i >> 8}.${i & 255}`,
  dstAddress: '2001:db8::53',
  srcMac: '00:1b:21:00:00:01',
  dstMac: null,
  srcPort: 40000 + (i % 1000),
  dstPort: 443,
  protocol: 6,
  tcpFlags: 0x1b,
  bytes: 1e12 + i,
  packets: 3,
  startMs: 1_764_000_000_000,
  endMs: 1_764_000_001_500.5,
  srcSgt: i % 2 === 0 ? 10 : null,
  dstSgt: 65535,
  ...overrides,
});

describe('flow batch event codec', () => {
  it('round-trips a batch in one part', () => {
    const flows = [flow(1), flow(2, { srcAddress: null, protocol: 1, srcPort: 0, dstPort: 0 })];
    const parts = encodeFlowBatchParts(meta, flows);
    expect(parts).toHaveLength(1);
    expect(decodeFlowBatch(parts[0])).toEqual({ ...meta, part: 0, parts: 1, flows });
  });

  it('splits a large batch into parts under the size limit, each self-contained', () => {
    const flows = Array.from({ length: 5_000 }, (_, i) => flow(i));
    const parts = encodeFlowBatchParts(meta, flows, 64 * 1024);
    expect(parts.length).toBeGreaterThan(4);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(64 * 1024);
    const decoded = parts.map(decodeFlowBatch);
    expect(decoded.map((d) => [d.part, d.parts])).toEqual(parts.map((_, i) => [i, parts.length]));
    expect(decoded.flatMap((d) => d.flows)).toEqual(flows);
  });

  it('carries addresses and MACs as bytes and gives them back in canonical text', () => {
    const [part] = encodeFlowBatchParts(meta, [
      flow(1, { srcAddress: '2001:DB8:0:0:0:0:0:1', dstAddress: '::ffff:10.1.2.3', srcMac: 'AA:BB:CC:DD:EE:FF', dstMac: 'not-a-mac' }),
      flow(2, { srcAddress: 'not-an-address', dstAddress: null }),
    ]);
    const [first, second] = decodeFlowBatch(part).flows;
    expect(first).toMatchObject({ srcAddress: '2001:db8::1', dstAddress: '::ffff:10.1.2.3', srcMac: 'aa:bb:cc:dd:ee:ff', dstMac: null });
    expect(second).toMatchObject({ srcAddress: null, dstAddress: null });
  });

  it('names message ids after the batch and part', () => {
    expect(flowBatchMessageId(meta.batchId, 3)).toBe(`${meta.batchId}.3`);
  });

  it('refuses truncated or foreign payloads with FlowBatchFormatError', () => {
    const [part] = encodeFlowBatchParts(meta, [flow(1)]);
    for (let cut = 0; cut < part.length; cut += 7) expect(() => decodeFlowBatch(part.subarray(0, cut))).toThrow(FlowBatchFormatError);
    expect(() => decodeFlowBatch(new Uint8Array(100))).toThrow(FlowBatchFormatError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeFlowBatch(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(FlowBatchFormatError);
        }
      }),
    );
  });
});
