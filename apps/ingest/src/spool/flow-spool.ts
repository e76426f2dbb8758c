import { mkdir, open, readdir, readFile, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { SealedBatch } from '../storage/sealed-batch';
import { decodeSpooledBatch, encodeSpooledBatch } from './spooled-batch.codec';

/**
 * The disk spool: batches PostgreSQL could not take, kept in order until it can.
 *
 * Append-only segment files `segment-<seq>.spool`, each a run of frames:
 *   u32 magic 'CLSP', u32 payload length, u32 CRC-32 of the payload, payload (spooled-batch.codec.ts)
 * Frames are written with one write and fdatasync'd before `append` resolves, so a spooled batch survives a crash. A
 * torn frame at the end of the last segment (a crash mid-write) is cut off when the spool opens. Replay reads frames
 * oldest first; a segment is deleted once every frame in it has been acknowledged (committed, or found already
 * committed). A frame whose checksum fails is counted and the rest of its segment skipped: lengths after it cannot be
 * trusted. The directory holds a LOCK file with the owner's pid, so two collectors never share a spool.
 */

const MAGIC = 0x434c5350;
const FRAME_HEADER = 12;
const SEGMENT_PATTERN = /^segment-(\d{16})\.spool$/;
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

export type SpoolAppendOutcome = 'spooled' | 'full';

export interface SpoolEntry {
  batch: SealedBatch;
  segment: number;
  /** Offsets of the frame in its segment. */
  start: number;
  end: number;
}

export interface SpoolCorruption {
  segment: number;
  offset: number;
  reason: string;
}

interface Segment {
  seq: number;
  path: string;
  bytes: number;
  frames: number;
}

export class SpoolLockedError extends Error {
  override readonly name = 'SpoolLockedError';
}

const segmentName = (seq: number): string => `segment-${String(seq).padStart(16, '0')}.spool`;

export class FlowSpool {
  private readonly segments: Segment[] = [];
  private writer?: { segment: Segment; handle: FileHandle };
  /** Replay position in the oldest segment, and how many of its frames were acknowledged. */
  private readOffset = 0;
  private acknowledged = 0;
  /** The frame handed out by `next()` and not yet acknowledged or rewound (replay is one frame at a time). */
  private outstanding?: SpoolEntry;
  /** Appends, acknowledgements and segment deletions run one after another. */
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    private readonly segmentBytes: number,
    private readonly onCorruption: (c: SpoolCorruption) => void,
  ) {}

  /** Opens (creating) the spool directory, takes its lock, and indexes the segments left by an earlier run. */
  static async open(
    dir: string,
    maxBytes: number,
    options: { segmentBytes?: number; onCorruption?: (c: SpoolCorruption) => void } = {},
  ): Promise<FlowSpool> {
    await mkdir(dir, { recursive: true });
    await FlowSpool.lock(dir);
    const spool = new FlowSpool(dir, maxBytes, options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, options.onCorruption ?? (() => undefined));
    await spool.index();
    return spool;
  }

  private static async lock(dir: string): Promise<void> {
    const path = join(dir, 'LOCK');
    let owner = 0;
    try {
      owner = Number((await readFile(path, 'utf8')).trim());
    } catch {
      // no lock yet
    }
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
      throw new SpoolLockedError(`spool ${dir} is in use by process ${owner}`);
    }
    await writeFile(path, `${process.pid}\n`);
  }

  private async index(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => SEGMENT_PATTERN.test(n)).sort();
    for (const name of names) {
      const seq = Number(SEGMENT_PATTERN.exec(name)?.[1]);
      const path = join(this.dir, name);
      const data = await readFile(path);
      let p = 0;
      let frames = 0;
      while (data.length - p >= FRAME_HEADER && data.readUInt32BE(p) === MAGIC) {
        const length = data.readUInt32BE(p + 4);
        if (p + FRAME_HEADER + length > data.length) break;
        p += FRAME_HEADER + length;
        frames++;
      }
      if (p < data.length) {
        // A torn or foreign tail (a crash mid-write): keep the whole frames before it.
        const handle = await open(path, 'r+');
        await handle.truncate(p);
        await handle.close();
        this.onCorruption({ segment: seq, offset: p, reason: 'torn or unreadable tail cut off when the spool opened' });
      }
      if (frames === 0) await rm(path, { force: true });
      else this.segments.push({ seq, path, bytes: p, frames });
    }
  }

  /** Bytes on disk, replayed frames of a segment not yet deleted included. */
  get bytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.bytes;
    return total;
  }

  /** Batches written and not yet acknowledged. */
  get pendingBatches(): number {
    let total = 0;
    for (const s of this.segments) total += s.frames;
    return total - this.acknowledged;
  }

  get isEmpty(): boolean {
    return this.pendingBatches === 0;
  }

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Appends a batch durably; 'full' (nothing written) when it would take the spool past its disk budget. */
  append(batch: SealedBatch): Promise<SpoolAppendOutcome> {
    return this.serialise(() => this.appendNow(batch));
  }

  private async appendNow(batch: SealedBatch): Promise<SpoolAppendOutcome> {
    if (this.closed) throw new Error('the spool is closed');
    const payload = encodeSpooledBatch(batch);
    const frame = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
    frame.writeUInt32BE(MAGIC, 0);
    frame.writeUInt32BE(payload.length, 4);
    frame.writeUInt32BE(crc32(payload) >>> 0, 8);
    frame.set(payload, FRAME_HEADER);
    if (this.bytes + frame.length > this.maxBytes) return 'full';
    let writer = this.writer;
    if (writer === undefined || writer.segment.bytes + frame.length > this.segmentBytes) {
      if (writer) await writer.handle.close();
      const seq = (this.segments[this.segments.length - 1]?.seq ?? 0) + 1;
      const segment: Segment = { seq, path: join(this.dir, segmentName(seq)), bytes: 0, frames: 0 };
      writer = { segment, handle: await open(segment.path, 'a') };
      this.writer = writer;
      this.segments.push(segment);
    }
    await writer.handle.write(frame, 0, frame.length);
    await writer.handle.datasync();
    writer.segment.bytes += frame.length;
    writer.segment.frames++;
    return 'spooled';
  }

  /**
   * The oldest batch not yet replayed, or undefined when there is none. One at a time: the entry must be acknowledged
   * (`ack`) or handed back (`rewind`) before the next call.
   */
  next(): Promise<SpoolEntry | undefined> {
    return this.serialise(async () => {
      if (this.outstanding) throw new Error('the previous spool entry was neither acknowledged nor rewound');
      for (;;) {
        const oldest = this.segments[0];
        if (oldest === undefined || this.readOffset >= oldest.bytes) return undefined;
        const handle = await open(oldest.path, 'r');
        let entry: SpoolEntry | undefined;
        let problem: string | undefined;
        try {
          const header = Buffer.alloc(FRAME_HEADER);
          await handle.read(header, 0, FRAME_HEADER, this.readOffset);
          const length = header.readUInt32BE(4);
          if (header.readUInt32BE(0) !== MAGIC || this.readOffset + FRAME_HEADER + length > oldest.bytes) {
            problem = 'bad frame header';
          } else {
            const payload = Buffer.alloc(length);
            await handle.read(payload, 0, length, this.readOffset + FRAME_HEADER);
            if ((crc32(payload) >>> 0) !== header.readUInt32BE(8)) problem = 'checksum mismatch';
            else {
              try {
                const batch = decodeSpooledBatch(payload);
                entry = { batch, segment: oldest.seq, start: this.readOffset, end: this.readOffset + FRAME_HEADER + length };
              } catch (err) {
                problem = (err as Error).message;
              }
            }
          }
        } finally {
          await handle.close();
        }
        if (entry) {
          this.outstanding = entry;
          this.readOffset = entry.end;
          return entry;
        }
        // Frames after a bad one cannot be located: count the rest of the segment as gone and move on.
        this.onCorruption({ segment: oldest.seq, offset: this.readOffset, reason: problem ?? 'unreadable frame' });
        this.acknowledged = oldest.frames;
        this.readOffset = oldest.bytes;
        await this.dropOldestIfDone();
      }
    });
  }

  /** The replayed batch is safely in PostgreSQL; a segment is deleted once every frame in it is acknowledged. */
  ack(entry: SpoolEntry): Promise<void> {
    return this.serialise(async () => {
      if (this.outstanding !== entry) return;
      this.outstanding = undefined;
      this.acknowledged++;
      await this.dropOldestIfDone();
    });
  }

  /** The replay failed: the same batch comes out of `next()` again. */
  rewind(entry: SpoolEntry): void {
    if (this.outstanding !== entry) return;
    this.outstanding = undefined;
    this.readOffset = entry.start;
  }

  private async dropOldestIfDone(): Promise<void> {
    const oldest = this.segments[0];
    if (oldest === undefined || this.acknowledged < oldest.frames) return;
    this.segments.shift();
    if (this.writer?.segment === oldest) {
      await this.writer.handle.close();
      this.writer = undefined;
    }
    await rm(oldest.path, { force: true });
    this.readOffset = 0;
    this.acknowledged = 0;
  }

  async close(): Promise<void> {
    await this.serialise(async () => {
      this.closed = true;
      if (this.writer) await this.writer.handle.close();
      this.writer = undefined;
    });
    await rm(join(this.dir, 'LOCK'), { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Size of a directory's spool segments (for tests and tools). */
export async function spoolDiskBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) if (SEGMENT_PATTERN.test(name)) total += (await stat(join(dir, name))).size;
  return total;
}
