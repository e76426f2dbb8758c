import { ErrorCode, QueryFlowsRequestDto, type ActorDto, type FlowDto } from '@clarion/contracts';
import type { FlowRecord } from '@clarion/netflow';
import { Database } from '@clarion/persistence';
import { FlowQueryRepository } from '../data';
import { TestInfra, testLogger, waitFor } from '@clarion/testing';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { IngestMetrics } from '../metrics/ingest-metrics';
import { FlowSpool } from '../spool/flow-spool';
import { FlowBatcher } from '../storage/flow-batcher';
import { FlowWriter } from '../storage/flow-writer';
import { flowRecord } from '../testing/flow-records';
import { decodeFlowCursor, encodeFlowCursor, FlowQueryService } from './flow-query.service';

const HOUR = 3_600_000;
/** Whole hours, so every seeded flow lands in a recent day partition the writer creates. */
const BASE = Math.floor(Date.now() / HOUR) * HOUR - 6 * HOUR;

const INJECTIONS = ["' OR '1'='1", "10.0.0.1' OR 1=1 --", "'; DELETE FROM flows; --", '0.0.0.0/0) OR (true', '1; SELECT pg_sleep(5)', '10.0.0.1\u0000'];

/** The flow query (service and repository) against the real PostgreSQL, as ingest's role (clarion_ingest), with flows COPYed by the ingest writer. */
describe('flow query (PostgreSQL)', () => {
  const owner = new Client({ connectionString: TestInfra.ownerUrl });
  const db = new Database({ url: TestInfra.serviceUrl('ingest'), poolSize: 2, statementTimeoutMs: 10_000, applicationName: 'ingest-flow-query-test' }, testLogger());
  const service = new FlowQueryService(db);
  const suffix = `${Date.now().toString(36)}-${process.pid}`;
  let tenantA: string;
  let tenantB: string;
  let dir: string;
  /** Every flow seeded into tenant A (duplicates included), as the API should show them. */
  const seededA: FlowRecord[] = [];

  const actor = (tenantId: string): ActorDto => ({ kind: 'user', tenantId, id: 'u1', permissions: ['flows:read'] });
  const range = { from: new Date(BASE - HOUR).toISOString(), to: new Date(BASE + 2 * HOUR).toISOString() };

  /** Writes flows through the ingest writer (binary COPY into day partitions), as the collector would. */
  async function seed(tenantId: string, records: FlowRecord[]): Promise<void> {
    const spool = await FlowSpool.open(join(dir, `spool-${tenantId}`), 64 * 1024 * 1024);
    let committedRows = 0;
    const writer = new FlowWriter(
      {
        databaseUrl: TestInfra.serviceUrl('ingest'),
        connections: 1,
        queueMaxRows: 100_000,
        commitTimeoutMs: 5_000,
        retryMs: 100,
        partitionsAheadDays: 1,
        partitionMaxPastDays: 7,
        applicationName: 'ingest-flow-query-seed',
      },
      spool,
      new IngestMetrics(new Registry()),
      testLogger(),
      (batch) => (committedRows += batch.rowCount),
    );
    writer.start();
    const batcher = new FlowBatcher({ maxRows: 40, maxDelayMs: 20, eventPartMaxBytes: 512 * 1024 }, (b) => writer.submit(b));
    batcher.add(tenantId, records, Date.now());
    batcher.sealAll();
    await waitFor(() => committedRows === records.length, 15_000, `${records.length} flows committed`);
    await writer.drain(Date.now() + 5_000);
    await spool.close();
  }

  async function walk(request: Omit<QueryFlowsRequestDto, 'actor' | 'cursor'>, tenantId = tenantA): Promise<{ items: FlowDto[]; pages: number }> {
    const items: FlowDto[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await service.query({ actor: actor(tenantId), ...request, cursor });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
      pages++;
      if (pages > 1000) throw new Error('the walk does not end');
    } while (cursor);
    return { items, pages };
  }

  /** What the API shows of a record: enough columns to tell the seeded flows apart, plus duplicates. */
  const keyOf = (f: { srcAddress: string | null; dstAddress: string | null; srcPort: number; dstPort: number; bytes: number; exporter: string }, end: string) =>
    `${end}|${f.exporter}|${f.srcAddress}|${f.dstAddress}|${f.srcPort}|${f.dstPort}|${f.bytes}`;
  const keyOfRecord = (r: FlowRecord) => keyOf(r, new Date(r.endMs).toISOString());
  const keyOfDto = (f: FlowDto) => keyOf(f, f.endTime);
  const sorted = (keys: string[]) => [...keys].sort();

  beforeAll(async () => {
    await owner.connect();
    tenantA = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'Query A') RETURNING id`, [`fq-a-${suffix}`])).rows[0].id;
    tenantB = (await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, 'Query B') RETURNING id`, [`fq-b-${suffix}`])).rows[0].id;
    await db.start();
    dir = await mkdtemp(join(tmpdir(), 'clarion-flow-query-'));
    // Tenant A: many flows sharing end times (ties broken by the other columns), exact duplicates, both address
    // families, SGTs on either side, two exporters.
    for (let i = 0; i < 97; i++) {
      seededA.push(
        flowRecord({
          exporter: i % 5 === 0 ? '192.0.2.50' : '192.0.2.1',
          srcAddress: i % 7 === 0 ? `2001:db8::${(i + 1).toString(16)}` : `10.1.${i % 4}.${i + 1}`,
          dstAddress: i % 7 === 0 ? '2001:db8::ffff' : `10.2.0.${(i % 9) + 1}`,
          srcPort: 40_000 + i,
          dstPort: [443, 53, 22, 9100][i % 4]!,
          protocol: i % 4 === 1 ? 17 : 6,
          bytes: 100 * (i + 1),
          packets: i + 1,
          startMs: BASE + Math.floor(i / 3) * 60_000 - 500,
          // Three flows per end time.
          endMs: BASE + Math.floor(i / 3) * 60_000,
          srcSgt: i % 6 === 0 ? 10 : null,
          dstSgt: i % 6 === 3 ? 10 : i % 6 === 4 ? 20 : null,
        }),
      );
    }
    const duplicate = flowRecord({ srcAddress: '10.9.9.9', dstAddress: '10.9.9.8', srcPort: 5000, dstPort: 80, startMs: BASE + 3 * 60_000 - 500, endMs: BASE + 3 * 60_000 });
    seededA.push(duplicate, { ...duplicate }, { ...duplicate });
    await seed(tenantA, seededA);
    await seed(tenantB, [flowRecord({ srcAddress: '10.1.0.1', dstAddress: '10.2.0.1', srcPort: 1234, startMs: BASE, endMs: BASE + 1000 })]);
  });

  afterAll(async () => {
    await db.close();
    await owner.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('walks every stored row exactly once, newest first, whatever the page size (ties and identical rows included)', async () => {
    for (const limit of [1, 2, 3, 7, 100, 1000]) {
      const { items, pages } = await walk({ ...range, limit });
      expect(sorted(items.map(keyOfDto))).toEqual(sorted(seededA.map(keyOfRecord)));
      expect(pages).toBe(Math.ceil(seededA.length / limit));
      const ends = items.map((f) => Date.parse(f.endTime));
      expect(ends).toEqual([...ends].sort((a, b) => b - a));
    }
  });

  it('shows each column of a flow as the API promises: ISO times, text addresses, numbers', async () => {
    const { items } = await walk({ ...range, srcAddress: '10.9.9.9' });
    expect(items).toHaveLength(3);
    expect(items[0]).toEqual({
      startTime: new Date(BASE + 3 * 60_000 - 500).toISOString(),
      endTime: new Date(BASE + 3 * 60_000).toISOString(),
      exporter: '192.0.2.1',
      observationDomain: 0,
      version: 9,
      srcAddress: '10.9.9.9',
      dstAddress: '10.9.9.8',
      srcPort: 5000,
      dstPort: 80,
      protocol: 6,
      tcpFlags: 0x1b,
      bytes: 1500,
      packets: 3,
      samplingRate: 1,
      inputInterface: 1,
      outputInterface: 2,
      srcMac: null,
      dstMac: null,
      srcVlan: null,
      dstVlan: null,
      direction: null,
      srcSgt: null,
      dstSgt: null,
    });
  });

  it('applies each filter, alone and combined, exactly as a scan of the seeded flows would', async () => {
    const inBlock = (address: string | null, block: string) => {
      if (address === null) return false;
      if (block === '2001:db8::/32') return address.startsWith('2001:db8:');
      const [net, bits] = block.split('/');
      const prefix = net!.split('.').slice(0, Number(bits ?? 32) / 8).join('.');
      return bits === undefined ? address === net : address.startsWith(`${prefix}.`);
    };
    const cases: Array<[Omit<QueryFlowsRequestDto, 'actor' | 'from' | 'to'>, (r: FlowRecord) => boolean]> = [
      [{ srcAddress: '10.1.2.0/24' }, (r) => inBlock(r.srcAddress, '10.1.2.0/24')],
      [{ dstAddress: '10.2.0.3' }, (r) => r.dstAddress === '10.2.0.3'],
      [{ address: '2001:db8::/32' }, (r) => inBlock(r.srcAddress, '2001:db8::/32') || inBlock(r.dstAddress, '2001:db8::/32')],
      [{ address: '10.2.0.5' }, (r) => r.srcAddress === '10.2.0.5' || r.dstAddress === '10.2.0.5'],
      [{ srcPort: 40_010 }, (r) => r.srcPort === 40_010],
      [{ dstPort: 22 }, (r) => r.dstPort === 22],
      [{ port: 5000 }, (r) => r.srcPort === 5000 || r.dstPort === 5000],
      [{ protocol: 17 }, (r) => r.protocol === 17],
      [{ exporter: '192.0.2.50' }, (r) => r.exporter === '192.0.2.50'],
      [{ sgt: 10 }, (r) => r.srcSgt === 10 || r.dstSgt === 10],
      [{ sgt: 20 }, (r) => r.srcSgt === 20 || r.dstSgt === 20],
      [{ minBytes: 9000 }, (r) => r.bytes >= 9000],
      [{ protocol: 6, dstPort: 443, minBytes: 2000 }, (r) => r.protocol === 6 && r.dstPort === 443 && r.bytes >= 2000],
    ];
    for (const [filter, predicate] of cases) {
      const expected = seededA.filter(predicate).map(keyOfRecord);
      expect(expected.length).toBeGreaterThan(0);
      const { items } = await walk({ ...range, ...filter, limit: 4 });
      expect({ filter, keys: sorted(items.map(keyOfDto)) }).toEqual({ filter, keys: sorted(expected) });
    }
  });

  it('takes flows that ended at or after `from` and before `to`', async () => {
    const from = new Date(BASE + 10 * 60_000).toISOString();
    const to = new Date(BASE + 20 * 60_000).toISOString();
    const { items } = await walk({ from, to, limit: 5 });
    const expected = seededA.filter((r) => r.endMs >= BASE + 10 * 60_000 && r.endMs < BASE + 20 * 60_000);
    expect(sorted(items.map(keyOfDto))).toEqual(sorted(expected.map(keyOfRecord)));
    expect(items.length).toBe(30);
  });

  it('keeps each tenant to its own flows', async () => {
    const b = await walk({ ...range }, tenantB);
    expect(b.items.map((f) => f.srcPort)).toEqual([1234]);
    const a = await walk({ ...range, srcPort: 1234 });
    expect(a.items).toEqual([]);
    // A cursor of tenant A's walk is only a position: used by tenant B it still shows B's rows only.
    const first = await service.query({ actor: actor(tenantA), ...range, limit: 1 });
    const fromB = await service.query({ actor: actor(tenantB), ...range, cursor: first.nextCursor! });
    expect(fromB.items.every((f) => f.srcPort === 1234)).toBe(true);
  });

  it('refuses an empty or too long time range and a cursor that is not one, with VALIDATION_FAILED', async () => {
    await expect(service.query({ actor: actor(tenantA), from: range.to, to: range.from })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    await expect(service.query({ actor: actor(tenantA), from: new Date(BASE - 40 * 86_400_000).toISOString(), to: range.to })).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
    });
    await expect(service.query({ actor: actor(tenantA), ...range, cursor: Buffer.from('1.2.zz.0').toString('base64url') })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    const position = { endUs: '1764000000000000', startUs: '-5', digest: 'ab'.repeat(16), seen: 3 };
    expect(decodeFlowCursor(encodeFlowCursor(position))).toEqual(position);
  });

  it('refuses injection strings in filters at the message boundary, and the database treats them as values that match nothing', async () => {
    for (const value of INJECTIONS) {
      for (const field of ['srcAddress', 'dstAddress', 'address', 'exporter'] as const) {
        const dto = plainToInstance(QueryFlowsRequestDto, { actor: actor(tenantA), ...range, [field]: value });
        expect((await validate(dto)).map((e) => e.property)).toEqual([field]);
      }
    }
    const before = (await walk({ ...range, limit: 1000 })).items.length;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(...INJECTIONS.filter((v) => !v.includes('\u0000'))), fc.string({ maxLength: 40 })), async (value) => {
        const attempt = db.withTenant(tenantA, (m) => new FlowQueryRepository(m).findPage({ from: new Date(range.from), to: new Date(range.to), exporter: value }, undefined, 1000));
        // Either not an address at all (22P02, invalid text representation) or an address no flow has.
        const outcome = await attempt.then(
          (rows) => rows.length,
          (err: { code?: string }) => err.code,
        );
        return outcome === '22P02' || outcome === 0 || (value === '192.0.2.1' || value === '192.0.2.50');
      }),
      { numRuns: 40 },
    );
    expect((await walk({ ...range, limit: 1000 })).items.length).toBe(before);
  });
});
