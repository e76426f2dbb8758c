/**
 * Loss accounting from export sequence numbers for one (exporter, version, observation domain).
 *
 * What the number counts differs per version: v5 counts flows (RFC-less Cisco format: "sequence counter of total
 * flows seen"), v9 counts export packets (RFC 3954 section 5.1), IPFIX counts data records (RFC 7011 section 3.1).
 * The caller passes the increment this packet contributes in the same unit.
 *
 * Arithmetic is modulo 2^32, so the counter wrapping from 0xffffffff to 0 is no gap. A number a little behind the
 * expected one is a late (reordered or duplicated) packet: if it filled a gap counted before, that loss is taken
 * back. A number far behind or far ahead is an exporter restart: the tracker resynchronises without counting loss.
 */
export class SequenceTracker {
  /** Next sequence number expected, or undefined until the first packet (or after a resync request). */
  private expected: number | undefined;
  /** Units counted as lost and not taken back. */
  lost = 0;
  /** Units received (sum of increments), to estimate records per packet for v9. */
  received = 0;
  /** Packets observed. */
  packets = 0;
  /** Packets that arrived behind the expected number. */
  late = 0;
  /** Restarts detected (big backward or forward jumps). */
  resets = 0;

  constructor(
    private readonly reorderWindow: number,
    private readonly maxGap: number,
  ) {}

  /** Records one packet; returns the loss newly detected by it (negative when a late packet fills a gap). */
  observe(sequence: number, increment: number): number {
    this.packets++;
    this.received += increment;
    const expected = this.expected;
    if (expected === undefined) {
      this.expected = (sequence + increment) >>> 0;
      return 0;
    }
    // Signed distance in [-2^31, 2^31) between what came and what was expected.
    const distance = (sequence - expected) | 0;
    if (distance === 0) {
      this.expected = (sequence + increment) >>> 0;
      return 0;
    }
    if (distance > 0 && distance <= this.maxGap) {
      this.lost += distance;
      this.expected = (sequence + increment) >>> 0;
      return distance;
    }
    if (distance < 0 && -distance <= this.reorderWindow) {
      this.late++;
      const recovered = Math.min(increment, this.lost);
      this.lost -= recovered;
      return recovered === 0 ? 0 : -recovered;
    }
    this.resets++;
    this.expected = (sequence + increment) >>> 0;
    return 0;
  }

  /** Forget the expected number (used when a packet's increment could not be known, e.g. data without template). */
  resync(): void {
    this.expected = undefined;
  }

  get expectedSequence(): number | undefined {
    return this.expected;
  }
}
