import { RedisClient } from '@clarion/persistence';
import { TestInfra, testLogger } from '@clarion/testing';
import { randomUUID } from 'node:crypto';
import { RateLimiter, rateLimitKey, type AdmissionLimits } from '../rate-limit/rate-limiter';
import { etagOfText, HotReadCache } from './hot-read-cache';

/** The hot-read cache against the real Redis, with two clients standing for two gateway instances. */
describe('HotReadCache (Redis, per tenant, generation invalidation)', () => {
  const clients = [new RedisClient(TestInfra.redisUrl, 'hot-test-1', testLogger()), new RedisClient(TestInfra.redisUrl, 'hot-test-2', testLogger())];
  const namespace = `hot-test:${randomUUID()}`;
  const [one, two] = clients.map((c) => new HotReadCache(c.client, 60, namespace)) as [HotReadCache, HotReadCache];
  const answer = (text: string) => ({ etag: etagOfText(text), body: text });

  beforeAll(async () => {
    await Promise.all(clients.map((c) => c.client.connect()));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  it('misses, then serves what one instance stored to the other, body and ETag unchanged', async () => {
    const tenant = randomUUID();
    const first = await one.lookup(tenant, '/api/v1/clusters?[]');
    expect(first?.hit).toBeUndefined();
    const body = JSON.stringify({ items: [{ id: 'c-1', label: 'Printers, "office"\nline' }], nextCursor: null });
    await one.store(first!, answer(body));
    const second = await two.lookup(tenant, '/api/v1/clusters?[]');
    expect(second?.hit).toEqual({ etag: etagOfText(body), body });
  });

  it('keeps tenants and resources apart', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const found = await one.lookup(a, 'r1');
    await one.store(found!, answer('"a"'));
    expect((await two.lookup(b, 'r1'))?.hit).toBeUndefined();
    expect((await two.lookup(a, 'r2'))?.hit).toBeUndefined();
    expect((await two.lookup(a, 'r1'))?.hit?.body).toBe('"a"');
  });

  it('drops every entry of the tenant on invalidation, and only that tenant', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    for (const [tenant, resource] of [[a, 'r1'], [a, 'r2'], [b, 'r1']] as const) {
      const found = await one.lookup(tenant, resource);
      await one.store(found!, answer(`"${tenant}${resource}"`));
    }
    await two.invalidate(a);
    expect((await one.lookup(a, 'r1'))?.hit).toBeUndefined();
    expect((await one.lookup(a, 'r2'))?.hit).toBeUndefined();
    expect((await one.lookup(b, 'r1'))?.hit?.body).toBe(`"${b}r1"`);
  });

  it('never serves an answer computed before an invalidation that landed while it was computed', async () => {
    const tenant = randomUUID();
    const before = await one.lookup(tenant, 'matrix');
    // The clustering service changes the clusters (and another instance invalidates) while this answer is computed.
    await two.invalidate(tenant);
    await one.store(before!, answer('"stale"'));
    expect((await one.lookup(tenant, 'matrix'))?.hit).toBeUndefined();
    expect((await two.lookup(tenant, 'matrix'))?.hit).toBeUndefined();
  });

  it('expires entries after the TTL', async () => {
    const short = new HotReadCache(clients[0].client, 1, namespace);
    const tenant = randomUUID();
    const found = await short.lookup(tenant, 'r');
    await short.store(found!, answer('"x"'));
    expect((await short.lookup(tenant, 'r'))?.hit?.body).toBe('"x"');
    await new Promise((r) => setTimeout(r, 1_200));
    expect((await short.lookup(tenant, 'r'))?.hit).toBeUndefined();
  });

  it("serves the instance's own copy of a body only while Redis holds an entry with its ETag", async () => {
    const tenant = randomUUID();
    const held = answer('{"items":["held here"]}');
    const found = await one.lookup(tenant, 'copies');
    await one.store(found!, held);
    // The entry in Redis keeps the held tag but not the body: whoever serves the held body did not read it from Redis.
    await clients[0].client.set(found!.key, `${held.etag}\nfrom-redis`);
    expect((await one.lookup(tenant, 'copies'))?.hit).toEqual(held);
    expect((await two.lookup(tenant, 'copies'))?.hit).toEqual({ etag: held.etag, body: 'from-redis' });
    const admitted = await one.admitAndLookup(tenant, 'copies', undefined);
    const bytes = admitted && !admitted.refused ? admitted.lookup.hit : undefined;
    expect({ etag: bytes?.etag, body: bytes?.body.toString() }).toEqual(held);
    // Another answer in Redis (another tag): that one is served, and becomes the held copy.
    const newer = answer('{"items":["newer"]}');
    await clients[0].client.set(found!.key, `${newer.etag}\n${newer.body}`);
    expect((await one.lookup(tenant, 'copies'))?.hit).toEqual(newer);
    await clients[0].client.set(found!.key, `${newer.etag}\nfrom-redis`);
    expect((await one.lookup(tenant, 'copies'))?.hit).toEqual(newer);
    // Invalidated (or expired): a miss, whatever is held here.
    await two.invalidate(tenant);
    expect((await one.lookup(tenant, 'copies'))?.hit).toBeUndefined();
    const afterwards = await one.admitAndLookup(tenant, 'copies', undefined);
    expect(afterwards && !afterwards.refused && afterwards.lookup.hit).toBeUndefined();
  });

  it('keeps no copies with a local budget of 0: every hit is read from Redis', async () => {
    const none = new HotReadCache(clients[0].client, 60, namespace, 0);
    const tenant = randomUUID();
    const found = await none.lookup(tenant, 'r');
    await none.store(found!, answer('"x"'));
    await clients[0].client.set(found!.key, `${answer('"x"').etag}\nfrom-redis`);
    expect((await none.lookup(tenant, 'r'))?.hit?.body).toBe('from-redis');
  });

  it('is off with a TTL of 0 (no Redis traffic, every read computed)', async () => {
    const off = new HotReadCache(clients[0].client, 0, namespace);
    expect(await off.lookup(randomUUID(), 'r')).toBeNull();
  });

  describe('admission (both rate limits and the lookup in one script)', () => {
    const limiter = new RateLimiter(clients[1]);
    const limitsFor = (id: string, addressLimit: number, principalLimit: number): AdmissionLimits => ({
      addressBucketKey: rateLimitKey(`adm-ip:${id}`),
      principalBucketKey: rateLimitKey(`adm-principal:${id}`),
      windowMs: 60_000,
      addressLimit,
      principalLimit,
    });

    it('looks up like lookup(), hit included, with the same generation-bound key', async () => {
      const tenant = randomUUID();
      const limits = limitsFor(randomUUID(), 100, 100);
      const first = await one.admitAndLookup(tenant, 'r', limits);
      expect(first).toEqual({ lookup: { key: (await two.lookup(tenant, 'r'))!.key, resource: expect.any(String) } });
      await one.store((await one.lookup(tenant, 'r'))!, answer('"x"'));
      const second = await two.admitAndLookup(tenant, 'r', limits);
      expect(second?.refused).toBeUndefined();
      const hit = second && !second.refused ? second.lookup.hit : undefined;
      // Read as bytes, sent as read: the same body and tag as stored.
      expect({ etag: hit?.etag, body: hit?.body.toString() }).toEqual(answer('"x"'));
      await one.invalidate(tenant);
      const third = await two.admitAndLookup(tenant, 'r', limits);
      expect(third && !third.refused && third.lookup.hit).toBeUndefined();
    });

    it('counts in the same buckets as the rate limiter: the two share one budget', async () => {
      const id = randomUUID();
      const limits = limitsFor(id, 5, 50);
      for (let i = 0; i < 3; i++) expect((await one.admitAndLookup(randomUUID(), 'r', limits))?.refused).toBeUndefined();
      // 3 counted by the script, 2 more by the limiter, then the address bucket is full for both.
      expect((await limiter.hit(`adm-ip:${id}`, 5, 60)).allowed).toBe(true);
      expect((await limiter.hit(`adm-ip:${id}`, 5, 60)).allowed).toBe(true);
      expect((await limiter.hit(`adm-ip:${id}`, 5, 60)).allowed).toBe(false);
      const refused = await one.admitAndLookup(randomUUID(), 'r', limits);
      expect(refused?.refused?.bucket).toBe('ip');
      expect(refused?.refused?.waitMs).toBeGreaterThan(0);
      // Refused by address: the principal was not counted (3 of 50 used, 47 left).
      expect((await limiter.hit(`adm-principal:${id}`, 50, 60)).remaining).toBe(46);
    });

    it('refuses by principal once its bucket is full, the address bucket still open', async () => {
      const id = randomUUID();
      const limits = limitsFor(id, 100, 2);
      expect((await one.admitAndLookup(randomUUID(), 'r', limits))?.refused).toBeUndefined();
      expect((await two.admitAndLookup(randomUUID(), 'r', limits))?.refused).toBeUndefined();
      expect((await one.admitAndLookup(randomUUID(), 'r', limits))?.refused?.bucket).toBe('principal');
    });

    it('only looks up when limits are off, and is off with the cache', async () => {
      expect(await one.admitAndLookup(randomUUID(), 'r', undefined)).toEqual({ lookup: expect.objectContaining({ key: expect.any(String) }) });
      expect(await new HotReadCache(clients[0].client, 0, namespace).admitAndLookup(randomUUID(), 'r', undefined)).toBeNull();
    });
  });
});
