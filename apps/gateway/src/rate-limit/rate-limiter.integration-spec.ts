import { RedisClient } from '@clarion/persistence';
import { TestInfra, testLogger } from '@clarion/testing';
import { randomUUID } from 'node:crypto';
import { RateLimiter, rateLimitKey } from './rate-limiter';

/** The sliding-window script against the real Redis, with two clients standing for two gateway instances. */
describe('RateLimiter (Redis sliding window)', () => {
  const clients = [new RedisClient(TestInfra.redisUrl, 'rl-test-1', testLogger()), new RedisClient(TestInfra.redisUrl, 'rl-test-2', testLogger())];
  const [one, two] = clients.map((c) => new RateLimiter(c)) as [RateLimiter, RateLimiter];

  beforeAll(async () => {
    await Promise.all(clients.map((c) => c.client.connect()));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  it('lets `limit` requests through across both instances, then refuses with a wait within the window', async () => {
    const bucket = `test:${randomUUID()}`;
    const decisions = [];
    for (let i = 0; i < 10; i++) decisions.push(await (i % 2 ? two : one).hit(bucket, 10, 60));
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(decisions.map((d) => d.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const refused = await two.hit(bucket, 10, 60);
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(120);
  });

  it('does not count refused requests, and lets requests through again once the window has slid', async () => {
    const bucket = `test:${randomUUID()}`;
    expect((await one.hit(bucket, 2, 1)).allowed).toBe(true);
    expect((await two.hit(bucket, 2, 1)).allowed).toBe(true);
    for (let i = 0; i < 5; i++) expect((await one.hit(bucket, 2, 1)).allowed).toBe(false);
    // Two windows later nothing of the burst weighs any more.
    await new Promise((r) => setTimeout(r, 2100));
    expect((await two.hit(bucket, 2, 1)).allowed).toBe(true);
  });

  it('keeps buckets apart', async () => {
    const a = `test:${randomUUID()}`;
    const b = `test:${randomUUID()}`;
    expect((await one.hit(a, 1, 60)).allowed).toBe(true);
    expect((await one.hit(a, 1, 60)).allowed).toBe(false);
    expect((await one.hit(b, 1, 60)).allowed).toBe(true);
  });

  it("admits a verified caller's two buckets in one call, in the same counts as hit()", async () => {
    const id = randomUUID();
    const limits = { addressBucketKey: rateLimitKey(`ip:${id}`), principalBucketKey: rateLimitKey(`principal:${id}`), windowMs: 60_000, addressLimit: 4, principalLimit: 3 };
    expect(await one.admit(limits)).toEqual({});
    expect((await two.hit(`principal:${id}`, 3, 60)).remaining).toBe(1);
    expect(await two.admit(limits)).toEqual({});
    // The principal bucket is full (3 of 3); the address bucket has counted 2 of 4.
    const byPrincipal = await one.admit(limits);
    expect(byPrincipal.refused?.bucket).toBe('principal');
    expect(byPrincipal.refused?.waitMs).toBeGreaterThan(0);
    // That request was counted by address (3 of 4): one more passes the address, then it refuses first.
    expect((await one.hit(`ip:${id}`, 4, 60)).remaining).toBe(0);
    const byAddress = await two.admit(limits);
    expect(byAddress.refused?.bucket).toBe('ip');
    // Refused by address: the principal was not counted again (still 3, so a hit is refused, not 4).
    expect((await one.hit(`principal:${id}`, 4, 60)).allowed).toBe(true);
  });

  it("expires a bucket two windows after its window's first request, not later however many follow", async () => {
    const bucket = `test:${randomUUID()}`;
    // Not across a window boundary (they fall on whole minutes of Redis's clock): wait for the next window if close.
    const [seconds] = await clients[0].client.time();
    const intoWindow = Number(seconds) % 60;
    if (intoWindow > 57) await new Promise((r) => setTimeout(r, (61 - intoWindow) * 1000));
    await one.hit(bucket, 100, 60);
    const first = await clients[0].client.pttl(rateLimitKey(bucket));
    expect(first).toBeGreaterThan(119_000);
    expect(first).toBeLessThanOrEqual(120_000);
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 5; i++) await (i % 2 ? one : two).hit(bucket, 100, 60);
    const later = await clients[0].client.pttl(rateLimitKey(bucket));
    expect(later).toBeLessThan(first);
    expect(later).toBeGreaterThan(first - 5_000);
  });
});
