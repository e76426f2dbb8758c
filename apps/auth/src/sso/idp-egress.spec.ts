import { DomainException, ErrorCode } from '@clarion/contracts';
import { ServiceMetrics } from '@clarion/observability';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Counter } from 'prom-client';
import { AuthEnv } from '../auth.env';
import { IdpAddressRefusedException, IdpEgress, type HostResolver } from './idp-egress';

/**
 * The egress with undici's real fetch and connector and a fake resolver in place of DNS. Nothing here connects
 * anywhere but the loopback server of the one test that reaches it (outside production).
 */
describe('IdP egress', () => {
  let server: Server;
  let port = 0;
  let seen: Array<{ host?: string; url?: string }>;

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ host: req.headers.host, url: req.url });
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((done) => server.close(done)));
  beforeEach(() => (seen = []));

  const setup = (CLARION_ENV: AuthEnv['CLARION_ENV'], answers: Record<string, string[]>, OIDC_DENIED_NETWORKS: string[] = []) => {
    const metrics = new ServiceMetrics('auth-test');
    const asked: string[] = [];
    const resolve: HostResolver = async (hostname) => {
      asked.push(hostname);
      const addresses = answers[hostname];
      if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
    const egress = new IdpEgress(Object.assign(new AuthEnv(), { CLARION_ENV, OIDC_DENIED_NETWORKS }), metrics, { resolve });
    const refusals = async () => {
      const counter = metrics.registry.getSingleMetric('clarion_auth_idp_requests_refused_total') as Counter;
      return Object.fromEntries((await counter.get()).values.map((v) => [String(v.labels['reason']), v.value]));
    };
    return { egress, asked, refusals };
  };
  const get = (egress: IdpEgress, url: string) => egress.fetch(url, { method: 'GET', headers: {}, body: undefined, redirect: 'manual' });
  const refusedWith = async (promise: Promise<unknown>): Promise<IdpAddressRefusedException> => {
    const err = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IdpAddressRefusedException);
    expect(err).toMatchObject({ code: ErrorCode.DependencyUnavailable });
    return err as IdpAddressRefusedException;
  };

  it('refuses a literal loopback or metadata address in production without a lookup, and counts it', async () => {
    const { egress, asked, refusals } = setup('production', {});
    expect(await refusedWith(get(egress, `https://127.0.0.1:${port}/.well-known/openid-configuration`))).toMatchObject({ why: 'loopback' });
    expect(await refusedWith(get(egress, 'http://169.254.169.254/latest/meta-data/'))).toMatchObject({ why: 'link-local' });
    expect(await refusedWith(get(egress, `https://[::1]:${port}/jwks`))).toMatchObject({ why: 'loopback' });
    expect(asked).toEqual([]);
    expect(seen).toEqual([]);
    expect(await refusals()).toEqual({ loopback: 2, 'link-local': 1 });
    await egress.onModuleDestroy();
  });

  it('refuses in production a name that resolves to the metadata address, or to any private address among public ones', async () => {
    const { egress, asked, refusals } = setup('production', {
      'idp.metadata.test': ['169.254.169.254'],
      'idp.mixed.test': ['93.184.216.34', '10.0.0.5'],
      'idp.mapped.test': ['::ffff:127.0.0.1'],
    });
    const metadata = await refusedWith(get(egress, 'https://idp.metadata.test/.well-known/openid-configuration'));
    expect(metadata).toMatchObject({ host: 'idp.metadata.test', why: 'link-local' });
    expect(await refusedWith(get(egress, 'https://idp.mixed.test/token'))).toMatchObject({ why: 'private' });
    expect(await refusedWith(get(egress, 'https://idp.mapped.test/jwks'))).toMatchObject({ why: 'loopback' });
    expect(asked).toEqual(['idp.metadata.test', 'idp.mixed.test', 'idp.mapped.test']);
    expect(await refusals()).toEqual({ 'link-local': 1, private: 1, loopback: 1 });
    await egress.onModuleDestroy();
  });

  it('connects to the address it resolved and judged, not to what the system resolver says', async () => {
    // Outside production loopback is allowed: the name exists only in the fake resolver, so reaching the server
    // proves the socket took the judged address.
    const { egress, asked } = setup('test', { 'idp.pinned.test': ['127.0.0.1'] });
    const res = await get(egress, `http://idp.pinned.test:${port}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(seen).toEqual([{ host: `idp.pinned.test:${port}`, url: '/.well-known/openid-configuration' }]);
    expect(asked).toEqual(['idp.pinned.test']);
    await egress.onModuleDestroy();
  });

  it("refuses the operator's networks in every environment", async () => {
    const { egress, refusals } = setup('test', { 'idp.cluster.test': ['127.0.0.9'] }, ['127.0.0.0/8']);
    expect(await refusedWith(get(egress, `http://idp.cluster.test:${port}/`))).toMatchObject({ why: 'denied-network' });
    expect(await refusedWith(get(egress, `http://127.0.0.1:${port}/`))).toMatchObject({ why: 'denied-network' });
    expect(seen).toEqual([]);
    expect(await refusals()).toEqual({ 'denied-network': 2 });
    await egress.onModuleDestroy();
  });

  it('answers DEPENDENCY_UNAVAILABLE for a name that does not resolve', async () => {
    const { egress } = setup('production', {});
    const err = await get(egress, 'https://idp.nowhere.test/').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DomainException);
    expect(err).not.toBeInstanceOf(IdpAddressRefusedException);
    expect(err).toMatchObject({ code: ErrorCode.DependencyUnavailable });
    await egress.onModuleDestroy();
  });

  it('hands the socket every judged address when it races several (Happy Eyeballs), or one of the family asked for', async () => {
    const { egress } = setup('test', { 'idp.dual.test': ['2001:db8::1', '192.0.2.1'] });
    const lookup = (options: { all?: boolean; family?: number }) =>
      new Promise<unknown[]>((done, fail) => egress.lookup('idp.dual.test', options, (err, ...answer) => (err ? fail(err) : done(answer))));
    expect(await lookup({ all: true })).toEqual([[{ address: '2001:db8::1', family: 6 }, { address: '192.0.2.1', family: 4 }]]);
    expect(await lookup({ family: 4 })).toEqual(['192.0.2.1', 4]);
    expect(await lookup({})).toEqual(['2001:db8::1', 6]);
    await egress.onModuleDestroy();
  });
});
