import { TestInfra, testLogger } from '@clarion/testing';
import { createHash, randomBytes } from 'node:crypto';
import { ApiKeyCache, apiKeyCacheSlot, type CachedApiKeyPrincipal } from './api-key-cache';
import { RedisClient } from './redis';

/** The gateways' shared cache of verified API keys, against the real Redis. */
describe('ApiKeyCache (real Redis)', () => {
  const redis = new RedisClient(TestInfra.redisUrl, 'api-key-cache-test', testLogger());
  const macKey = randomBytes(32);
  const cache = new ApiKeyCache(redis, 30, macKey);
  const keyOf = () => `clr_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;
  const prefixOf = (key: string) => key.split('_')[1]!;
  const principal: CachedApiKeyPrincipal = { apiKeyId: 'k-1', tenantId: '7b0e6f9e-51b6-4d57-8a0a-0d8f0c0f1a11', permissions: ['flows:read'], expiresAt: null };

  beforeAll(() => redis.client.connect());
  afterAll(() => redis.close());

  it('answers a key it cached, for that very key only', async () => {
    const key = keyOf();
    await cache.put(key, principal);
    expect(await cache.get(key)).toEqual(principal);
    // Same prefix, another secret: not this entry.
    expect(await cache.get(`${key.slice(0, -3)}AAA`)).toBeNull();
  });

  it('believes nothing a Redis writer made: a forged entry, a changed one, one made with another MAC key', async () => {
    const key = keyOf();
    const slot = apiKeyCacheSlot(prefixOf(key));
    const admin = { ...principal, permissions: ['users:manage', 'tenants:manage'] };
    const body = JSON.stringify({ k: createHash('sha256').update(key).digest('base64url'), p: admin });
    await redis.client.set(slot, `${body}.${randomBytes(32).toString('base64url')}`, 'EX', 30);
    expect(await cache.get(key)).toBeNull();
    await redis.client.set(slot, JSON.stringify(admin), 'EX', 30); // the shape of the earlier cache: no MAC at all
    expect(await cache.get(key)).toBeNull();
    await redis.client.del(slot);
    await new ApiKeyCache(redis, 30, randomBytes(32)).put(key, admin);
    expect(await cache.get(key)).toBeNull();
    await redis.client.del(slot);
    await cache.put(key, principal);
    const genuine = (await redis.client.get(slot))!;
    await redis.client.set(slot, genuine.replace('"flows:read"', '"users:manage"'), 'EX', 30);
    expect(await cache.get(key)).toBeNull();
  });

  it('ends a key on every gateway at once, and keeps a verification that raced the revocation from caching it again', async () => {
    const key = keyOf();
    await cache.put(key, principal);
    const otherGateway = new ApiKeyCache(redis, 30, macKey);
    expect(await otherGateway.get(key)).toEqual(principal);
    await ApiKeyCache.tombstone(redis, [prefixOf(key)]);
    expect(await cache.get(key)).toBeNull();
    expect(await otherGateway.get(key)).toBeNull();
    await otherGateway.put(key, principal);
    expect(await cache.get(key)).toBeNull();
    expect(await redis.client.ttl(apiKeyCacheSlot(prefixOf(key)))).toBeGreaterThan(30);
  });

  it('caches nothing without a MAC key, and nothing past the key expiry', async () => {
    const key = keyOf();
    const unkeyed = new ApiKeyCache(redis, 30);
    await unkeyed.put(key, principal);
    expect(await redis.client.exists(apiKeyCacheSlot(prefixOf(key)))).toBe(0);
    expect(await unkeyed.get(key)).toBeNull();
    const soon = keyOf();
    await cache.put(soon, { ...principal, expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect(await redis.client.ttl(apiKeyCacheSlot(prefixOf(soon)))).toBeLessThanOrEqual(1);
  });

  it('derives one MAC key per signing key, and none without it', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBq0Y3n5n1bq4Bq0Y3n5n1bq4Bq0Y3n5n1bq4Bq0Y3n5\n-----END PRIVATE KEY-----\n';
    expect(ApiKeyCache.macKeyFrom(pem)).toEqual(ApiKeyCache.macKeyFrom(pem));
    expect(ApiKeyCache.macKeyFrom(pem)?.length).toBe(32);
    expect(ApiKeyCache.macKeyFrom(pem.replace('Bq0Y', 'Cq0Y'))).not.toEqual(ApiKeyCache.macKeyFrom(pem));
    expect(ApiKeyCache.macKeyFrom(undefined)).toBeUndefined();
  });
});
