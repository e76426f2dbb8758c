import { isAddressOrNetwork, validateEnv } from '@clarion/config';
import fc from 'fast-check';
import Fastify from 'fastify';
import { GatewayEnv } from '../gateway.env';
import { clientAddressOf, isTrustProxy, parseTrustProxy, type TrustProxy } from './trust-proxy';

describe('HTTP_TRUST_PROXY', () => {
  it('takes false, a hop count, proxy networks, or true', () => {
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('')).toBe(false);
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('10.0.0.0/8, fd00::/8,192.0.2.7')).toEqual(['10.0.0.0/8', 'fd00::/8', '192.0.2.7']);
  });

  it('leaves anything else for the validator to refuse', () => {
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'proxy.example', '10.0.0.0/8,nope', '1.2.3.4/8/9', '-1', '0x10']) {
      expect(isTrustProxy(parseTrustProxy(bad))).toBe(false);
    }
    expect(isTrustProxy(parseTrustProxy('17'))).toBe(false); // more hops than any real chain
  });

  it('accepts every IPv4 network and refuses prefixes past 32', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 64 }), (address, prefix) => {
        expect(isAddressOrNetwork(`${address}/${prefix}`)).toBe(prefix <= 32);
      }),
    );
  });

  const env = (raw: Record<string, string>) => () => validateEnv(GatewayEnv, { CLARION_ENV: 'test', ...raw });

  it('is validated at boot, naming the variable', () => {
    expect(env({ HTTP_TRUST_PROXY: '10.0.0.0/99' })).toThrow(/HTTP_TRUST_PROXY/);
    expect(env({ HTTP_TRUST_PROXY: '1' })().HTTP_TRUST_PROXY).toBe(1);
    expect(env({ HTTP_TRUST_PROXY: '10.1.0.0/16' })().HTTP_TRUST_PROXY).toEqual(['10.1.0.0/16']);
  });

  it('refuses true in production, because it lets a client choose its own address', () => {
    let message = '';
    try {
      validateEnv(GatewayEnv, { CLARION_ENV: 'production', HTTP_TRUST_PROXY: 'true' });
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/HTTP_TRUST_PROXY.*believes every X-Forwarded-For entry/s);
  });

  describe('as Fastify applies it (a client forging the leftmost entry)', () => {
    // The client wrote 203.0.113.66; the ingress (at 127.0.0.1, the test's own peer) appended what it saw, 198.51.100.9.
    const FORWARDED = '203.0.113.66, 198.51.100.9';
    const ipSeen = async (trustProxy: unknown): Promise<string> => {
      const trust = parseTrustProxy(trustProxy) as TrustProxy;
      const app = Fastify({ trustProxy: trust });
      // What a WebSocket upgrade of the same request would be counted as (clientAddressOf on the raw request).
      app.get('/', (request) => ({ ip: request.ip, upgrade: clientAddressOf(trust)(request.raw) }));
      try {
        const response = await app.inject({ url: '/', headers: { 'x-forwarded-for': FORWARDED }, remoteAddress: '127.0.0.1' });
        const seen = response.json() as { ip: string; upgrade: string };
        expect(seen.upgrade).toBe(seen.ip);
        return seen.ip;
      } finally {
        await app.close();
      }
    };

    it('false: the peer', async () => expect(await ipSeen('false')).toBe('127.0.0.1'));
    it('one hop: what the nearest proxy saw, never the forged entry', async () => expect(await ipSeen('1')).toBe('198.51.100.9'));
    it('a proxy network the peer is in: the same', async () => expect(await ipSeen('127.0.0.0/8')).toBe('198.51.100.9'));
    it('a proxy network the peer is not in: the peer', async () => expect(await ipSeen('10.0.0.0/8')).toBe('127.0.0.1'));
    it('true: the forged entry (why production refuses it)', async () => expect(await ipSeen('true')).toBe('203.0.113.66'));
    it('two hops: what the outer of two proxies saw', async () => expect(await ipSeen('2')).toBe('203.0.113.66'));
  });
});
