import { decodeFlowBatch } from '@clarion/contracts';
import { flowRecord } from '../testing/flow-records';
import { FlowBatcher } from './flow-batcher';
import { dayOf, type SealedBatch } from './sealed-batch';

const A = '6f1c1b7e-3b5c-4a59-9d0e-1a2b3c4d5e6f';
const B = '0b8e2a34-5d6f-4a1b-9c2d-3e4f5a6b7c8d';

describe('flow batcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const setup = (maxRows: number, maxDelayMs = 500) => {
    const sealed: SealedBatch[] = [];
    const batcher = new FlowBatcher({ maxRows, maxDelayMs, eventPartMaxBytes: 512 * 1024 }, (b) => sealed.push(b), () => 1_000);
    return { sealed, batcher };
  };

  it('seals a batch when it is full, carrying the rest of the packet into the next', () => {
    const { sealed, batcher } = setup(4);
    batcher.add(A, Array.from({ length: 3 }, () => flowRecord()), 10);
    expect(sealed).toHaveLength(0);
    batcher.add(A, Array.from({ length: 6 }, () => flowRecord()), 20);
    expect(sealed.map((b) => b.rowCount)).toEqual([4, 4]);
    expect(sealed[0].packetTimes).toEqual([10, 20]);
    expect(batcher.openRows).toBe(1);
  });

  it('seals a batch when its first flow has waited the maximum delay', () => {
    const { sealed, batcher } = setup(1000, 500);
    batcher.add(A, [flowRecord()], 10);
    jest.advanceTimersByTime(499);
    batcher.add(A, [flowRecord()], 11);
    expect(sealed).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(sealed.map((b) => b.rowCount)).toEqual([2]);
  });

  it('keeps one open batch per tenant', () => {
    const { sealed, batcher } = setup(1000);
    batcher.add(A, [flowRecord()], 1);
    batcher.add(B, [flowRecord(), flowRecord()], 2);
    batcher.sealAll();
    expect(sealed.map((b) => [b.tenantId, b.rowCount]).sort()).toEqual([
      [A, 1],
      [B, 2],
    ].sort());
  });

  it('splits a batch into one COPY section per UTC day of end time, and encodes the event with every flow', () => {
    const { sealed, batcher } = setup(1000);
    const day1 = Date.UTC(2026, 0, 2, 23, 59, 59);
    const day2 = Date.UTC(2026, 0, 3, 0, 0, 1);
    batcher.add(A, [flowRecord({ endMs: day2 }), flowRecord({ endMs: day1 }), flowRecord({ endMs: day2, srcPort: 7 })], 5);
    batcher.sealAll();
    const [b] = sealed;
    expect(b.sections.map((s) => [s.day, s.rows])).toEqual([
      [dayOf(day1), 1],
      [dayOf(day2), 2],
    ]);
    expect(b.firstEndMs).toBe(day1);
    expect(b.lastEndMs).toBe(day2);
    const event = decodeFlowBatch(b.eventParts[0]);
    expect(event).toMatchObject({ batchId: b.batchId, tenantId: A, part: 0, parts: 1 });
    expect(event.flows.map((f) => f.srcPort)).toEqual([40000, 40000, 7]);
  });

  it('dates a flow without a usable end time instead of dropping it', () => {
    const { sealed, batcher } = setup(1000);
    batcher.add(A, [flowRecord({ endMs: Number.NaN, startMs: Number.NaN })], 5);
    batcher.sealAll();
    expect(sealed[0].rowCount).toBe(1);
    expect(sealed[0].firstEndMs).toBe(1_000);
  });
});
