import { EventSubjects, type ClustersUpdatedEvent } from '@clarion/contracts';
import { natsConnectionOptions } from '@clarion/messaging';
import { NatsServerProcess, ServiceProcess, freePort, httpGet, metricValue, waitForReady } from '@clarion/testing';
import { connect, type NatsConnection } from 'nats';
import { randomBytes, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { COMMON_ENV, RELAXED_LIMITS, bearer, call, createAdminWithCli, login } from './support/gateway-stack';

interface Frame {
  type: string;
  at: string;
  data: Record<string, unknown>;
}

/** A WebSocket client that keeps every frame it gets. */
class StreamClient {
  readonly frames: Frame[] = [];
  private waiters: Array<() => void> = [];

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as Frame);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(url: string, options: WebSocket.ClientOptions & { protocols?: string[] } = {}): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options.protocols ?? [], options);
      const client = new StreamClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      socket.once('error', reject);
    });
  }

  async next(predicate: (f: Frame) => boolean, timeoutMs = 5_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.map((f) => f.type))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, left).unref();
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}

/** The status code a refused upgrade got. */
function refusal(url: string, options: WebSocket.ClientOptions & { protocols?: string[] } = {}): Promise<number> {
  return StreamClient.open(url, options).then(
    (c) => {
      c.close();
      return 101;
    },
    (err: Error) => Number(err.message.replace('HTTP ', '')),
  );
}

/** How an upgrade was answered: 101, or the refusal's status and Retry-After. */
function upgradeAnswer(url: string, headers: Record<string, string>): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, [], { headers });
    socket.once('open', () => {
      socket.close();
      resolve({ status: 101 });
    });
    socket.once('unexpected-response', (request, response) => {
      resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] });
      request.destroy();
    });
    socket.once('error', reject);
  });
}

/** A made-up client address of its own for each test run (documentation range), so no other run shares its bucket. */
const freshAddress = (): string => `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::${randomBytes(2).toString('hex')}`;

describe('live updates: WebSocket /api/v1/stream (gateway + auth processes, private NATS as deployed)', () => {
  const nats = new NatsServerProcess({ secure: true });
  const processes: ServiceProcess[] = [];
  let base = '';
  let streamUrl = '';
  // The test speaks on NATS as the events' owners: clustering publishes cluster and job events, ingest the rates.
  let clustering: NatsConnection;
  let ingest: NatsConnection;
  const tenant = `ws-${randomUUID().slice(0, 8)}`;
  const other = `ws-${randomUUID().slice(0, 8)}`;
  const password = 'live-Stream-copper-Falcon-61';
  let token = '';
  let tenantId = '';
  let otherToken = '';
  let otherTenantId = '';

  beforeAll(async () => {
    await nats.start();
    const env = COMMON_ENV;
    const [authOps, gatewayOps, httpPort] = await Promise.all([freePort(), freePort(), freePort()]);
    processes.push(new ServiceProcess('auth', { ...env, ...nats.envOf('auth'), OPS_PORT: String(authOps), ARGON2_MEMORY_KIB: '8192' }).start());
    processes.push(
      new ServiceProcess('gateway', {
        ...env,
        ...nats.envOf('gateway'),
        ...RELAXED_LIMITS,
        OPS_PORT: String(gatewayOps),
        HTTP_PORT: String(httpPort),
        HTTP_HOST: '127.0.0.1',
        CORS_ORIGINS: 'https://console.example',
        STREAM_PING_INTERVAL_S: '1',
      }).start(),
    );
    await Promise.all([waitForReady(authOps, 60_000), waitForReady(gatewayOps, 60_000)]);
    base = `http://127.0.0.1:${httpPort}`;
    streamUrl = `ws://127.0.0.1:${httpPort}/api/v1/stream`;
    createAdminWithCli(tenant, 'admin@ws.example', password);
    createAdminWithCli(other, 'admin@ws.example', password);
    token = (await login(base, tenant, 'admin@ws.example', password)).accessToken;
    otherToken = (await login(base, other, 'admin@ws.example', password)).accessToken;
    tenantId = ((await call(base, '/api/v1/auth/me', { headers: bearer(token) })).json as { tenantId: string }).tenantId;
    otherTenantId = ((await call(base, '/api/v1/auth/me', { headers: bearer(otherToken) })).json as { tenantId: string }).tenantId;
    clustering = await connect(natsConnectionOptions(nats.clientOf('clustering')));
    ingest = await connect(natsConnectionOptions(nats.clientOf('ingest')));
  }, 120_000);

  afterAll(async () => {
    await clustering?.close();
    await ingest?.close();
    await Promise.all(processes.map((p) => p.stop()));
    await nats.stop();
  });

  const publishClustersUpdated = (forTenant: string, reason: ClustersUpdatedEvent['reason']): void => {
    const event: ClustersUpdatedEvent = { tenantId: forTenant, reason, jobId: null, clusters: 3, at: new Date().toISOString() };
    clustering.publish(EventSubjects.clustersUpdated, Buffer.from(JSON.stringify(event)));
  };

  it('refuses a connection without a credential (401), with a forged token (401) and from an origin not allowed (403)', async () => {
    expect(await refusal(streamUrl)).toBe(401);
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${Buffer.from('not the signature').toString('base64url')}`;
    expect(await refusal(streamUrl, { headers: bearer(forged) })).toBe(401);
    expect(await refusal(streamUrl, { headers: { ...bearer(token), origin: 'https://evil.example' } })).toBe(403);
    expect(await refusal(`ws://${new URL(base).host}/api/v1/elsewhere`, { headers: bearer(token) })).toBe(404);
    // A token in the URL is not a credential (it would end up in access logs).
    expect(await refusal(`${streamUrl}?access_token=${token}`)).toBe(401);
  });

  it('greets a client authenticated by its Bearer header and pushes its tenant\'s cluster updates, not another tenant\'s', async () => {
    const mine = await StreamClient.open(streamUrl, { headers: { ...bearer(token), origin: 'https://console.example' } });
    const theirs = await StreamClient.open(streamUrl, { headers: bearer(otherToken) });
    try {
      const hello = await mine.next((f) => f.type === 'hello');
      expect(hello.data).toMatchObject({ tenantId });
      await theirs.next((f) => f.type === 'hello');
      publishClustersUpdated(otherTenantId, 'sgt');
      publishClustersUpdated(tenantId, 'full_run');
      const update = await mine.next((f) => f.type === 'clusters.updated');
      expect(update.data).toMatchObject({ tenantId, reason: 'full_run', clusters: 3 });
      const theirUpdate = await theirs.next((f) => f.type === 'clusters.updated');
      expect(theirUpdate.data).toMatchObject({ tenantId: otherTenantId, reason: 'sgt' });
      expect(mine.frames.filter((f) => f.type === 'clusters.updated')).toHaveLength(1);
      expect(theirs.frames.filter((f) => f.type === 'clusters.updated')).toHaveLength(1);
    } finally {
      mine.close();
      theirs.close();
    }
  });

  it('accepts a browser\'s token in the subprotocol and pushes job progress and ingest rates', async () => {
    const browser = await StreamClient.open(streamUrl, { protocols: ['clarion.v1', `bearer.${token}`], headers: { origin: 'https://console.example' } });
    try {
      expect(browser.socket.protocol).toBe('clarion.v1');
      await browser.next((f) => f.type === 'hello');
      clustering.publish(EventSubjects.clusteringJobProgress, Buffer.from(JSON.stringify({ tenantId, job: { id: randomUUID(), stage: 'spanning-tree', progress: 0.4 } })));
      ingest.publish(EventSubjects.ingestRates, Buffer.from(JSON.stringify({ tenantId, at: new Date().toISOString(), instanceId: 'i', intervalSeconds: 5, flows: 50, flowsPerSecond: 10 })));
      expect((await browser.next((f) => f.type === 'job.progress')).data).toMatchObject({ tenantId, job: { stage: 'spanning-tree' } });
      expect((await browser.next((f) => f.type === 'ingest.rates')).data).toMatchObject({ tenantId, flowsPerSecond: 10 });
    } finally {
      browser.close();
    }
  });

  it('ignores malformed events and events without a tenant, and keeps serving', async () => {
    const client = await StreamClient.open(streamUrl, { headers: bearer(token) });
    try {
      await client.next((f) => f.type === 'hello');
      clustering.publish(EventSubjects.clustersUpdated, Buffer.from('{not json'));
      clustering.publish(EventSubjects.clustersUpdated, Buffer.from(JSON.stringify({ reason: 'full_run' })));
      clustering.publish(EventSubjects.clustersUpdated, Buffer.from(JSON.stringify({ tenantId: "' OR 1=1 --", reason: 'full_run' })));
      publishClustersUpdated(tenantId, 'membership');
      const update = await client.next((f) => f.type === 'clusters.updated');
      expect(update.data).toMatchObject({ reason: 'membership' });
      expect(client.frames.filter((f) => f.type === 'clusters.updated')).toHaveLength(1);
    } finally {
      client.close();
    }
  });

  describe('rate limits on upgrades (another gateway with small limits, trusting X-Forwarded-For)', () => {
    const LIMIT = 4;
    let limitedUrl = '';
    let limitedOps = 0;
    const limitedTenant = `ws-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      const [ops, httpPort] = await Promise.all([freePort(), freePort()]);
      limitedOps = ops;
      processes.push(
        new ServiceProcess('gateway', {
          ...COMMON_ENV,
          ...nats.envOf('gateway'),
          OPS_PORT: String(ops),
          HTTP_PORT: String(httpPort),
          HTTP_HOST: '127.0.0.1',
          HTTP_TRUST_PROXY: 'true',
          RATE_LIMIT_PER_IP: String(LIMIT),
          RATE_LIMIT_PER_PRINCIPAL: String(LIMIT),
          RATE_LIMIT_WINDOW_S: '60',
        }).start(),
      );
      await waitForReady(ops, 60_000);
      limitedUrl = `ws://127.0.0.1:${httpPort}/api/v1/stream`;
      createAdminWithCli(limitedTenant, 'admin@ws.example', password);
    }, 90_000);

    const refusedCount = async (name: string, labels: Record<string, string>) => metricValue(String((await httpGet(`http://127.0.0.1:${limitedOps}/metrics`)).body), name, labels);

    it('answers a burst of upgrades from one address with 429 and Retry-After once its bucket is full, before any credential check', async () => {
      const address = freshAddress();
      const answers = [];
      // No credential: each is counted in the address's bucket first, then refused 401; past the limit, 429.
      for (let i = 0; i < LIMIT + 3; i++) answers.push(await upgradeAnswer(limitedUrl, { 'x-forwarded-for': address }));
      expect(answers.map((a) => a.status)).toEqual([...Array<number>(LIMIT).fill(401), 429, 429, 429]);
      for (const refused of answers.slice(LIMIT)) expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
      // Another address is not held back by this one's burst.
      expect((await upgradeAnswer(limitedUrl, { 'x-forwarded-for': freshAddress() })).status).toBe(401);
      expect(await refusedCount('clarion_gateway_stream_refused_total', { reason: 'rate_limited' })).toBe(3);
      expect(await refusedCount('clarion_gateway_rate_limited_total', { bucket: 'ip' })).toBe(3);
    });

    it("answers a principal's burst of upgrades from many addresses with 429 once its own bucket is full", async () => {
      const { accessToken } = await login(base, limitedTenant, 'admin@ws.example', password);
      const answers = [];
      for (let i = 0; i < LIMIT + 2; i++) answers.push(await upgradeAnswer(limitedUrl, { ...bearer(accessToken), 'x-forwarded-for': freshAddress() }));
      expect(answers.map((a) => a.status)).toEqual([...Array<number>(LIMIT).fill(101), 429, 429]);
      expect(Number(answers[LIMIT]?.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(await refusedCount('clarion_gateway_rate_limited_total', { bucket: 'principal' })).toBe(2);
    });
  });

  it('keeps answering pings, and closes the connections when the gateway stops', async () => {
    const client = await StreamClient.open(streamUrl, { headers: bearer(token) });
    await client.next((f) => f.type === 'hello');
    // Several ping intervals: a live client is kept.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    const closed = new Promise<number>((r) => client.socket.once('close', (code) => r(code)));
    await processes[1].stop();
    expect(await closed).toBe(1001);
  });
});
