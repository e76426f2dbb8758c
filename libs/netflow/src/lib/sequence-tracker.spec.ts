import fc from 'fast-check';
import { SequenceTracker } from './sequence-tracker';

describe('SequenceTracker', () => {
  it('counts nothing lost for consecutive numbers advancing by each increment', () => {
    const tracker = new SequenceTracker(100, 1 << 24);
    expect([tracker.observe(10, 5), tracker.observe(15, 3), tracker.observe(18, 1)]).toEqual([0, 0, 0]);
    expect(tracker.lost).toBe(0);
  });

  it('counts the distance of a forward gap as lost', () => {
    const tracker = new SequenceTracker(100, 1 << 24);
    tracker.observe(0, 10);
    expect(tracker.observe(25, 10)).toBe(15);
    expect(tracker.lost).toBe(15);
  });

  it('counts nothing lost across the wrap from 2^32 - 1 to 0', () => {
    const tracker = new SequenceTracker(100, 1 << 24);
    tracker.observe(0xffff_fff0, 16);
    expect(tracker.observe(0, 1)).toBe(0);
    expect(tracker.observe(1, 1)).toBe(0);
  });

  it('counts a gap that spans the wrap', () => {
    const tracker = new SequenceTracker(100, 1 << 24);
    tracker.observe(0xffff_fffe, 1);
    expect(tracker.observe(3, 1)).toBe(4);
  });

  it('resets without loss on a backward jump beyond the reorder window', () => {
    const tracker = new SequenceTracker(100, 1 << 24);
    tracker.observe(50_000, 1);
    expect(tracker.observe(0, 1)).toBe(0);
    expect(tracker.resets).toBe(1);
    expect(tracker.observe(1, 1)).toBe(0);
  });

  it('resets without loss on a forward jump beyond the maximum gap', () => {
    const tracker = new SequenceTracker(100, 1_000);
    tracker.observe(0, 1);
    expect(tracker.observe(5_000, 1)).toBe(0);
    expect(tracker.resets).toBe(1);
  });

  it('takes back loss when a late packet inside the reorder window fills the gap', () => {
    const tracker = new SequenceTracker(100, 1 << 24);
    tracker.observe(0, 1);
    expect(tracker.observe(2, 1)).toBe(1);
    expect(tracker.observe(1, 1)).toBe(-1);
    expect(tracker.lost).toBe(0);
    expect(tracker.late).toBe(1);
    expect(tracker.observe(3, 1)).toBe(0);
  });

  it('never takes back more than was counted lost (a duplicate packet)', () => {
    const tracker = new SequenceTracker(100, 1 << 24);
    tracker.observe(0, 1);
    tracker.observe(1, 1);
    expect(tracker.observe(1, 1)).toBe(0);
    expect(tracker.lost).toBe(0);
  });

  it('starts over after a resync without counting loss', () => {
    const tracker = new SequenceTracker(100, 1 << 24);
    tracker.observe(0, 1);
    tracker.resync();
    expect(tracker.observe(500, 1)).toBe(0);
    expect(tracker.expectedSequence).toBe(501);
  });

  it('counts exactly the dropped units for any start, increments and drops (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.array(fc.record({ increment: fc.integer({ min: 1, max: 30 }), dropped: fc.boolean() }), { minLength: 2, maxLength: 200 }),
        (start, packets) => {
          const tracker = new SequenceTracker(0, 1 << 24);
          let sequence = start;
          let expectedLoss = 0;
          let seenFirst = false;
          let pendingLoss = 0;
          for (const { increment, dropped } of packets) {
            if (dropped && seenFirst) {
              pendingLoss += increment;
            } else {
              tracker.observe(sequence >>> 0, increment);
              seenFirst = true;
              expectedLoss += pendingLoss;
              pendingLoss = 0;
            }
            sequence += increment;
          }
          expect(tracker.lost).toBe(expectedLoss);
        },
      ),
    );
  });
});
