import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SealedBatch } from '../storage/sealed-batch';
import { FlowSpool, SpoolLockedError, type SpoolCorruption } from './flow-spool';
import { decodeSpooledBatch, encodeSpooledBatch, SpooledBatchFormatError } from './spooled-batch.codec';

const TENANT = '6f1c1b7e-3b5c-4a59-9d0e-1a2b3c4d5e6f';

function batch(rows: number, payloadBytes = 100): SealedBatch {
  return {
    batchId: randomUUID(),
    tenantId: TENANT,
    sealedAtMs: 1_764_000_000_000,
    rowCount: rows,
    firstEndMs: 1_764_000_000_000,
    lastEndMs: null,
    sections: [{ day: 20_417, rows, data: new Uint8Array(payloadBytes).fill(rows & 0xff) }],
    eventParts: [new Uint8Array([1, 2, 3]), new Uint8Array(0)],
    origin: 'memory',
  };
}

const segments = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => n.endsWith('.spool')).sort();

async function replayAll(spool: FlowSpool): Promise<number[]> {
  const rows: number[] = [];
  for (let entry = await spool.next(); entry; entry = await spool.next()) {
    rows.push(entry.batch.rowCount);
    await spool.ack(entry);
  }
  return rows;
}

describe('spooled batch codec', () => {
  it('round-trips every field (null end times included), marking the batch as read from the spool', () => {
    const original = batch(7);
    const decoded = decodeSpooledBatch(encodeSpooledBatch(original));
    expect(decoded).toEqual({ ...original, origin: 'spool' });
  });

  it('refuses truncated data', () => {
    const bytes = encodeSpooledBatch(batch(3));
    for (const cut of [0, 10, 62, bytes.length - 1]) expect(() => decodeSpooledBatch(bytes.subarray(0, cut))).toThrow(SpooledBatchFormatError);
  });
});

describe('flow spool', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clarion-spool-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('replays batches in the order they were written, across segments, and deletes replayed segments', async () => {
    const spool = await FlowSpool.open(dir, 10 * 1024 * 1024, { segmentBytes: 600 });
    for (let i = 1; i <= 6; i++) expect(await spool.append(batch(i))).toBe('spooled');
    expect(spool.pendingBatches).toBe(6);
    expect((await segments(dir)).length).toBeGreaterThan(1);
    expect(await replayAll(spool)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(spool.pendingBatches).toBe(0);
    expect(spool.bytes).toBe(0);
    expect(await segments(dir)).toEqual([]);
    await spool.close();
  });

  it('gives a batch back after a failed replay (rewind), then moves on after the acknowledgement', async () => {
    const spool = await FlowSpool.open(dir, 1024 * 1024);
    await spool.append(batch(1));
    await spool.append(batch(2));
    const first = await spool.next();
    spool.rewind(first!);
    const again = await spool.next();
    expect(again!.batch.batchId).toBe(first!.batch.batchId);
    await spool.ack(again!);
    expect((await spool.next())!.batch.rowCount).toBe(2);
    await spool.close();
  });

  it('keeps batches across a restart, and new appends go after them', async () => {
    const before = await FlowSpool.open(dir, 1024 * 1024, { segmentBytes: 400 });
    for (let i = 1; i <= 3; i++) await before.append(batch(i));
    await before.close();
    const after = await FlowSpool.open(dir, 1024 * 1024, { segmentBytes: 400 });
    expect(after.pendingBatches).toBe(3);
    await after.append(batch(4));
    expect(await replayAll(after)).toEqual([1, 2, 3, 4]);
    await after.close();
  });

  it('cuts a torn frame at the end (a crash mid-write) when it opens, keeping the whole frames', async () => {
    const spool = await FlowSpool.open(dir, 1024 * 1024);
    await spool.append(batch(1));
    await spool.append(batch(2));
    await spool.close();
    const [name] = await segments(dir);
    const data = await readFile(join(dir, name));
    await writeFile(join(dir, name), data.subarray(0, data.length - 5));
    const corruption: SpoolCorruption[] = [];
    const reopened = await FlowSpool.open(dir, 1024 * 1024, { onCorruption: (c) => corruption.push(c) });
    expect(corruption).toHaveLength(1);
    expect(await replayAll(reopened)).toEqual([1]);
    await reopened.close();
  });

  it('reports a frame whose checksum fails and skips the rest of its segment, never replaying damaged data', async () => {
    const spool = await FlowSpool.open(dir, 1024 * 1024, { segmentBytes: 400 });
    for (let i = 1; i <= 4; i++) await spool.append(batch(i));
    await spool.close();
    const names = await segments(dir);
    const data = await readFile(join(dir, names[0]));
    data[40] ^= 0xff; // inside the first frame's payload
    await writeFile(join(dir, names[0]), data);
    const corruption: SpoolCorruption[] = [];
    const reopened = await FlowSpool.open(dir, 1024 * 1024, { segmentBytes: 400, onCorruption: (c) => corruption.push(c) });
    const replayed = await replayAll(reopened);
    expect(corruption.map((c) => c.reason)).toEqual(['checksum mismatch']);
    expect(replayed).toEqual([1, 2, 3, 4].slice(4 - replayed.length));
    expect(replayed).not.toContain(1);
    await reopened.close();
  });

  it('refuses a batch past the disk budget without writing it', async () => {
    const spool = await FlowSpool.open(dir, 1_000);
    expect(await spool.append(batch(1, 500))).toBe('spooled');
    expect(await spool.append(batch(2, 500))).toBe('full');
    expect(spool.pendingBatches).toBe(1);
    expect((await stat(join(dir, (await segments(dir))[0]))).size).toBe(spool.bytes);
    await spool.close();
  });

  it('refuses a directory another live process holds', async () => {
    await writeFile(join(dir, 'LOCK'), `${process.ppid}\n`);
    await expect(FlowSpool.open(dir, 1024)).rejects.toBeInstanceOf(SpoolLockedError);
    await writeFile(join(dir, 'LOCK'), '999999999\n'); // a process that is gone
    const spool = await FlowSpool.open(dir, 1024);
    await spool.close();
  });
});
