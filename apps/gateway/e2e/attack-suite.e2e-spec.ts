import { ClientNats, NatsRecordBuilder } from '@nestjs/microservices';
import {
  ErrorCode,
  FlowSubjects,
  Headers,
  inboxPrefixOf,
  NATS_IDENTITIES,
  queueGroupOf,
  REQUEST_SUBJECTS,
  encodeFlowBatchParts,
  flowBatchMessageId,
  type NatsIdentity,
} from '@clarion/contracts';
import { CallerSigner, callerSigningKeyOf, natsConnectionOptions, newCallerKeyPair } from '@clarion/messaging';
import { SERVICE_TABLE_GRANTS } from '@clarion/persistence';
import { httpGet, metricValue, TestInfra } from '@clarion/testing';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { connect, headers as natsHeaders, type NatsConnection } from 'nats';
import { Client } from 'pg';
import Redis from 'ioredis';
import { firstValueFrom, timeout } from 'rxjs';
import { bearer, call, createAdminWithCli, RELAXED_LIMITS, startStack, type GatewayStack } from './support/gateway-stack';

/**
 * The attack suite (issue 12): an attacker with one foothold on the service network (a process that can reach NATS,
 * a leaked nkey, a leaked database or Redis password) and an outsider on the API, against the real stack: the built
 * services as processes, NATS with the committed permissions (TLS, one nkey per identity), the real PostgreSQL and
 * Redis. Every attempt is recorded with what was expected to stop it and what did; the suite prints
 * `attacks tried N, succeeded 0` and fails on any success. Refusals that the services count are checked in their
 * /metrics too.
 */
/** Two request subjects, for replaying a genuine assertion of one on the other. */
const REPLAYED = [REQUEST_SUBJECTS.auth[0]!, REQUEST_SUBJECTS.auth[1]!] as const;

describe('attack suite (the whole stack, as deployed)', () => {
  interface Attempt {
    attack: string;
    detail: string;
    stoppedBy: string;
    succeeded: boolean;
  }
  const ledger: Attempt[] = [];
  const record = (attack: string, detail: string, stoppedBy: string, succeeded: boolean): void => {
    ledger.push({ attack, detail, stoppedBy, succeeded });
  };

  const run = randomUUID().slice(0, 8);
  const tenantA = `atk-a-${run}`;
  const tenantB = `atk-b-${run}`;
  const adminA = `root@a-${run}.example`;
  const adminB = `root@b-${run}.example`;
  const password = 'attack-Suite-violet-Harbor-91';
  let stack: GatewayStack;
  let base = '';
  let tokenA = '';
  let tenantIdB = '';
  const bus = new Map<NatsIdentity, { nc: NatsConnection; violations: () => number }>();
  // Each attack comes through "the ingress" from its own address (the gateway trusts one proxy hop), so the
  // per-address throttles of one attack never help or hinder another.
  let addressCounter = 0;
  const freshAddress = (): string => {
    const n = addressCounter++;
    return `10.${100 + Math.floor(n / 250)}.${n % 250}.7`;
  };
  const via = (address: string, headers: Record<string, string> = {}) => ({ ...headers, 'x-forwarded-for': address });

  async function as(identity: NatsIdentity) {
    const known = bus.get(identity);
    if (known) return known;
    const nc = await connect({ ...natsConnectionOptions(stack.nats.clientOf(identity, `attacker-${identity}`)), waitOnFirstConnect: false, maxReconnectAttempts: 0 });
    let violations = 0;
    void (async () => {
      for await (const status of nc.status()) if (status.type === 'error' && String(status.data) === 'PERMISSIONS_VIOLATION') violations += 1;
    })();
    const entry = { nc, violations: () => violations };
    bus.set(identity, entry);
    return entry;
  }

  /** Whether nats-server refused what `act` did on `identity`'s connection (a permissions violation). */
  async function refusedByNats(identity: NatsIdentity, act: (nc: NatsConnection) => void): Promise<boolean> {
    const { nc, violations } = await as(identity);
    const before = violations();
    act(nc);
    await nc.flush();
    await new Promise((r) => setImmediate(r));
    return violations() > before;
  }

  const loginStatus = async (tenant: string, email: string, pw: string, address: string): Promise<number> =>
    (await call(base, '/api/v1/auth/login', { method: 'POST', body: { tenant, email, password: pw }, headers: via(address) })).status;
  const loginAs = async (tenant: string, email: string, pw: string): Promise<{ accessToken: string; refreshToken: string; mustChangePassword: boolean }> => {
    const res = await call(base, '/api/v1/auth/login', { method: 'POST', body: { tenant, email, password: pw }, headers: via(freshAddress()) });
    if (res.status !== 200) throw new Error(`login of ${email}: ${res.status} ${res.text}`);
    return res.json as { accessToken: string; refreshToken: string; mustChangePassword: boolean };
  };
  /** A user of tenant A with these roles, who has changed the temporary password an admin gave them. */
  const userOfA = async (roles: string[]): Promise<{ id: string; email: string; token: string; refreshToken: string }> => {
    const email = `u-${randomUUID().slice(0, 8)}@a-${run}.example`;
    const temporary = `temporary-Walnut-${randomBytes(4).toString('hex')}-41`;
    const created = await call(base, '/api/v1/users', { method: 'POST', headers: via(freshAddress(), bearer(tokenA)), body: { email, displayName: 'User', roles, password: temporary } });
    if (created.status !== 201) throw new Error(`create user: ${created.status} ${created.text}`);
    const first = await loginAs(tenantA, email, temporary);
    const changed = await call(base, '/api/v1/auth/password', { method: 'POST', headers: via(freshAddress(), bearer(first.accessToken)), body: { currentPassword: temporary, newPassword: password } });
    if (changed.status !== 200) throw new Error(`password change: ${changed.status}`);
    const pair = await loginAs(tenantA, email, password);
    return { id: (created.json as { id: string }).id, email, token: pair.accessToken, refreshToken: pair.refreshToken };
  };
  const metricsOf = async (service: 'auth' | 'ingest' | 'clustering'): Promise<string> => String((await httpGet(`http://127.0.0.1:${stack.opsPortOf[service]}/metrics`)).body);

  beforeAll(async () => {
    createAdminWithCli(tenantA, adminA, password);
    createAdminWithCli(tenantB, adminB, password);
    stack = await startStack({
      // One ingress in front of the gateway: the client address is what it appends to X-Forwarded-For.
      gatewayEnv: { ...RELAXED_LIMITS, HTTP_TRUST_PROXY: '1' },
      // The stack runs in test mode, where loopback IdPs are allowed for the suites' own oidc-provider; the networks
      // production refuses are denied here by configuration, which applies in every mode.
      authEnv: { OIDC_DENIED_NETWORKS: '127.0.0.0/8,169.254.0.0/16,10.0.0.0/8' },
      ingest: { INGEST_DEFAULT_TENANT: tenantA },
      clustering: true,
    });
    base = stack.bases[0]!;
    tokenA = (await loginAs(tenantA, adminA, password)).accessToken;
    tenantIdB = ((await call(base, '/api/v1/auth/me', { headers: via(freshAddress(), bearer((await loginAs(tenantB, adminB, password)).accessToken)) })).json as { tenantId: string }).tenantId;
  });

  afterAll(async () => {
    for (const { nc } of bus.values()) await nc.close().catch(() => undefined);
    await stack?.stop();
  });

  describe('on the bus', () => {
    const subjects = Object.values(REQUEST_SUBJECTS).flat();
    const running = (['auth', 'ingest', 'clustering'] as const).flatMap((service) => REQUEST_SUBJECTS[service]);
    const forgedActor = () => ({ kind: 'user', tenantId: tenantIdB, id: randomUUID(), permissions: ['users:manage', 'apikeys:manage', 'tenants:manage'] });

    it('a request with a made-up actor on every request subject, from every identity but the gateway: NATS refuses the publish', async () => {
      for (const subject of subjects) {
        for (const identity of NATS_IDENTITIES.filter((i) => i !== 'gateway')) {
          const refused = await refusedByNats(identity, (nc) => nc.publish(subject, JSON.stringify({ data: { actor: forgedActor() } })));
          record('forged actor from a non-gateway identity', `${identity} -> ${subject}`, 'NATS publish permission', !refused);
        }
      }
    });

    it("with the gateway's leaked nkey but not its signing key: every service refuses the request before any handler, and counts it", async () => {
      const client = new ClientNats({ ...natsConnectionOptions(stack.nats.clientOf('gateway', 'attacker-gateway-rpc')) });
      const stranger = new CallerSigner('gateway', callerSigningKeyOf(newCallerKeyPair().privateKeyPem));
      const genuine = stack.nats.callerSignerOf('gateway');
      const before = await Promise.all((['auth', 'ingest', 'clustering'] as const).map(async (s) => metricValue(await metricsOf(s), 'clarion_rpc_refused_total')));
      let sent = 0;
      try {
        for (const subject of running) {
          const variants: Array<[string, Record<string, string>]> = [
            ['no assertion', {}],
            ['an assertion signed by a key nobody trusts', { [Headers.callerAssertion]: await stranger.assertionFor(subject, forgedActor() as never) }],
            // A genuine assertion of another subject (a replay), carrying a harmless actor.
            ['a genuine assertion for another subject', { [Headers.callerAssertion]: await genuine.assertionFor(subject === REPLAYED[0] ? REPLAYED[1] : REPLAYED[0]) }],
          ];
          for (const [variant, extra] of variants) {
            const hdrs = natsHeaders();
            for (const [k, v] of Object.entries(extra)) hdrs.set(k, v);
            const record_ = new NatsRecordBuilder({ actor: forgedActor(), email: `evil-${run}@b.example`, displayName: 'Evil', roles: ['admin'], password }).setHeaders(hdrs).build();
            const answer = await firstValueFrom(client.send(subject, record_).pipe(timeout(5000))).then(
              () => 'answered',
              (err: unknown) => (err as { code?: string }).code ?? String(err),
            );
            sent += 1;
            record('forged actor with the gateway nkey', `${variant} -> ${subject}`, 'caller assertion (CALLER_UNVERIFIED)', answer !== ErrorCode.CallerUnverified);
          }
        }
      } finally {
        await client.close();
      }
      const after = await Promise.all((['auth', 'ingest', 'clustering'] as const).map(async (s) => metricValue(await metricsOf(s), 'clarion_rpc_refused_total')));
      expect(after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0)).toBe(sent);
      // The admin the forged users.create asked for does not exist.
      expect(await loginStatus(tenantB, `evil-${run}@b.example`, password, freshAddress())).toBe(401);
    });

    it("a flow batch for another tenant: refused by NATS from anyone but ingest, and by clustering without ingest's signature", async () => {
      const [part] = encodeFlowBatchParts({ batchId: randomUUID(), tenantId: tenantIdB, sealedAtMs: Date.now() }, [
        { srcAddress: '10.66.0.1', dstAddress: '10.66.0.2', srcMac: null, dstMac: null, srcPort: 40000, dstPort: 443, protocol: 6, tcpFlags: 0, bytes: 1000, packets: 2, startMs: Date.now() - 1000, endMs: Date.now(), srcSgt: null, dstSgt: null } as never,
      ]);
      for (const identity of NATS_IDENTITIES.filter((i) => i !== 'ingest')) {
        const refused = await refusedByNats(identity, (nc) => nc.publish(FlowSubjects.batch, part!));
        record('forged flow batch', `published by ${identity}`, 'NATS publish permission', !refused);
      }
      const before = metricValue(await metricsOf('clustering'), 'clarion_clustering_flow_batches_refused_total');
      const { nc } = await as('ingest');
      const js = nc.jetstream();
      const unsigned = flowBatchMessageId(randomUUID(), 0);
      await js.publish(FlowSubjects.batch, part!, { msgID: unsigned });
      const forged = natsHeaders();
      forged.set(Headers.messageSignature, `${createHash('sha256').update('x').digest('base64url')}.${randomBytes(64).toString('base64url')}`);
      await js.publish(FlowSubjects.batch, part!, { msgID: flowBatchMessageId(randomUUID(), 0), headers: forged });
      const deadline = Date.now() + 15_000;
      let refusedByClustering = 0;
      while (Date.now() < deadline && (refusedByClustering = metricValue(await metricsOf('clustering'), 'clarion_clustering_flow_batches_refused_total') - before) < 2) {
        await new Promise((r) => setTimeout(r, 200));
      }
      record('forged flow batch', 'with the ingest nkey, unsigned', 'stream message signature (clustering)', refusedByClustering < 1);
      record('forged flow batch', 'with the ingest nkey, a made-up signature', 'stream message signature (clustering)', refusedByClustering < 2);
    });

    it("a spoofed JWKS answer, eavesdropping on requests and inboxes: NATS refuses", async () => {
      for (const identity of NATS_IDENTITIES.filter((i) => i !== 'auth')) {
        record('spoofed JWKS', `${identity} answers clarion.auth.jwks.v1`, 'NATS subscribe permission', !(await refusedByNats(identity, (nc) => nc.subscribe(REQUEST_SUBJECTS.auth.find((s) => s.includes('jwks'))!, { queue: queueGroupOf('auth') }))));
        record('spoofed JWKS', `${identity} writes into the gateway inbox`, 'NATS publish permission (allow_responses only)', !(await refusedByNats(identity, (nc) => nc.publish(`${inboxPrefixOf('gateway')}.spoof`, '{"keys":[]}'))));
      }
      for (const identity of NATS_IDENTITIES) {
        for (const wildcard of ['>', 'clarion.>', '_INBOX.>', ...NATS_IDENTITIES.filter((o) => o !== identity).map((o) => `${inboxPrefixOf(o)}.>`)]) {
          record('eavesdropping', `${identity} subscribes ${wildcard}`, 'NATS subscribe permission', !(await refusedByNats(identity, (nc) => nc.subscribe(wildcard))));
        }
      }
    });
  });

  describe('through the API', () => {
    it('a disabled admin’s API key, and a demoted one’s, stop at once', async () => {
      const kim = await userOfA(['admin']);
      const key = (await call(base, '/api/v1/api-keys', { method: 'POST', headers: via(freshAddress(), bearer(kim.token)), body: { name: `kim ${run}`, scopes: ['users:manage', 'users:read'] } })).json as { key: string };
      const listWithKey = async () => (await call(base, '/api/v1/users', { headers: via(freshAddress(), { 'x-api-key': key.key }) })).status;
      const createWithKey = async () =>
        (await call(base, '/api/v1/users', { method: 'POST', headers: via(freshAddress(), { 'x-api-key': key.key }), body: { email: `k-${randomUUID().slice(0, 6)}@a-${run}.example`, displayName: 'K', roles: [], password } })).status;
      expect(await listWithKey()).toBe(200); // cached on the gateway now
      await call(base, `/api/v1/users/${kim.id}`, { method: 'PATCH', headers: via(freshAddress(), bearer(tokenA)), body: { roles: ['viewer'] } });
      record('API key of a demoted creator', 'users:manage after the demotion', 'creator-bounded scopes, cache tombstone', (await createWithKey()) !== 403);
      await call(base, `/api/v1/users/${kim.id}`, { method: 'PATCH', headers: via(freshAddress(), bearer(tokenA)), body: { status: 'disabled' } });
      record('API key of a disabled creator (issue attack 3)', 'listing users right after the disable', 'keys revoked with the account, cache tombstone', (await listWithKey()) !== 401);
    });

    it('a token after logout and after its user is disabled', async () => {
      const lou = await userOfA(['viewer']);
      expect((await call(base, '/api/v1/auth/me', { headers: via(freshAddress(), bearer(lou.token)) })).status).toBe(200);
      await call(base, '/api/v1/auth/logout', { method: 'POST', body: { refreshToken: lou.refreshToken }, headers: via(freshAddress()) });
      await new Promise((r) => setTimeout(r, 300));
      record('access token after logout', '/auth/me', 'revoked-session set', (await call(base, '/api/v1/auth/me', { headers: via(freshAddress(), bearer(lou.token)) })).status !== 401);
      const dan = await userOfA(['viewer']);
      await call(base, `/api/v1/users/${dan.id}`, { method: 'PATCH', headers: via(freshAddress(), bearer(tokenA)), body: { status: 'disabled' } });
      await new Promise((r) => setTimeout(r, 300));
      record('access token after disable', '/auth/me', 'revoked-session set', (await call(base, '/api/v1/auth/me', { headers: via(freshAddress(), bearer(dan.token)) })).status !== 401);
    });

    it('a temporary password that was never changed (issue attack 5)', async () => {
      const email = `temp-${run}@a-${run}.example`;
      const temporary = 'temporary-Granite-bicycle-73';
      await call(base, '/api/v1/users', { method: 'POST', headers: via(freshAddress(), bearer(tokenA)), body: { email, displayName: 'Temp', roles: ['admin'], password: temporary } });
      const session = await loginAs(tenantA, email, temporary);
      expect(session.mustChangePassword).toBe(true);
      const key = await call(base, '/api/v1/api-keys', { method: 'POST', headers: via(freshAddress(), bearer(session.accessToken)), body: { name: 'before change', scopes: ['users:read'] } });
      record('temporary password', 'create an API key before changing it', 'no roles until the change', key.status !== 403);
      const users = await call(base, '/api/v1/users', { headers: via(freshAddress(), bearer(session.accessToken)) });
      record('temporary password', 'list users before changing it', 'no roles until the change', users.status !== 403);
    });

    it('locking someone out with wrong passwords from elsewhere, and telling tenants apart (issue attack 4)', async () => {
      const victim = await userOfA(['viewer']);
      const attacker = freshAddress();
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push(await loginStatus(tenantA, victim.email, `${password}-wrong`, attacker));
      expect(statuses).toContain(429); // the attacker's own address is slowed down
      record('lockout of another user', 'the owner signs in from their own address after 8 failures elsewhere', 'per account and address throttle', (await loginStatus(tenantA, victim.email, password, freshAddress())) !== 200);
      // The same failures against a slug that does not exist answer the same statuses, in the same order.
      const unknown: number[] = [];
      const other = freshAddress();
      for (let i = 0; i < 8; i++) unknown.push(await loginStatus(`nope-${run}`, victim.email, `${password}-wrong`, other));
      record('tenant slug oracle (status)', `known ${statuses.join(',')} vs unknown ${unknown.join(',')}`, 'identical answers', unknown.join() !== statuses.join());
    });

    it('telling tenants apart by timing', async () => {
      const time = async (tenant: string): Promise<number> => {
        const started = performance.now();
        await loginStatus(tenant, `nobody-${randomUUID().slice(0, 6)}@x.example`, `${password}-wrong`, freshAddress());
        return performance.now() - started;
      };
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 12; i++) {
        known.push(await time(tenantA));
        unknown.push(await time(`nope-${run}-${i}`));
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const ratio = median(unknown) / median(known);
      record('tenant slug oracle (timing)', `median unknown/known ${ratio.toFixed(2)}`, 'a dummy argon2 verification on every path', ratio < 0.6 || ratio > 1.6);
    });

    it('OIDC discovery aimed at the loopback and at the cloud metadata address', async () => {
      const before = metricValue(await metricsOf('auth'), 'clarion_auth_idp_requests_refused_total');
      expect((await call(base, '/api/v1/flags/sso', { method: 'PUT', headers: via(freshAddress(), bearer(tokenA)), body: { enabled: true } })).status).toBe(200);
      let attempts = 0;
      for (const issuer of ['https://127.0.0.1:9443/', 'https://169.254.169.254/', 'https://10.0.0.1/']) {
        const settings = { issuer, clientId: 'clarion-web', clientSecret: 'attack-client-secret-0123456789', redirectUris: ['https://clarion.example/sso/callback'], scopes: ['openid'], groupRoleMap: {}, enabled: true };
        const saved = await call(base, '/api/v1/auth/sso', { method: 'PUT', headers: via(freshAddress(), bearer(tokenA)), body: settings });
        const start = saved.status === 200 ? await call(base, '/api/v1/auth/sso/start', { query: { tenant: tenantA }, headers: via(freshAddress()) }) : saved;
        attempts += saved.status === 200 ? 1 : 0;
        const leaks = /127\.0\.0\.1|169\.254|10\.0\.0\.1|ECONNREFUSED/.test(start.text);
        record('OIDC discovery to an internal address (SSRF)', `${issuer}: ${saved.status} then ${start.status}`, 'IdP egress address policy, generic public errors', start.status === 302 || leaks);
      }
      const counted = metricValue(await metricsOf('auth'), 'clarion_auth_idp_requests_refused_total') - before;
      // Each discovery was refused by the egress policy itself (not a connection that happened to fail), and counted.
      expect(attempts).toBe(3);
      expect(counted).toBeGreaterThanOrEqual(attempts);
    });

    it('choosing its own address with X-Forwarded-For to dodge the sign-in throttle', async () => {
      const observed = freshAddress();
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        // Whatever the client writes comes before the address the ingress appends; the gateway takes the latter.
        const res = await call(base, '/api/v1/auth/login', { method: 'POST', body: { tenant: tenantA, email: `x${i}@a-${run}.example`, password: 'wrong-password-123' }, headers: { 'x-forwarded-for': `203.0.113.${i}, ${observed}` } });
        statuses.push(res.status);
      }
      record('X-Forwarded-For spoofing', `40 sign-ins, each with a new made-up address in front of ${observed}`, 'HTTP_TRUST_PROXY hop count + per-address throttle', !statuses.includes(429));
    });
  });

  describe('with a leaked Redis or database password', () => {
    it('a forged API-key verdict written into Redis is not believed', async () => {
      const redis = new Redis(TestInfra.redisUrl);
      try {
        const prefix = randomBytes(6).toString('hex');
        const key = `clr_${prefix}_${randomBytes(32).toString('base64url')}`;
        const principal = { apiKeyId: randomUUID(), tenantId: tenantIdB, permissions: ['users:manage', 'tenants:manage'], expiresAt: null };
        const body = JSON.stringify({ k: createHash('sha256').update(key).digest('base64url'), p: principal });
        await redis.set(`apikey:v2:${prefix}`, `${body}.${randomBytes(32).toString('base64url')}`, 'EX', 60);
        await redis.set(`apikey:v1:${createHash('sha256').update(key).digest('base64url')}`, JSON.stringify(principal), 'EX', 60);
        const res = await call(base, '/api/v1/users', { headers: via(freshAddress(), { 'x-api-key': key }) });
        record('forged Redis API-key entry', 'a made-up key with a forged verdict', 'HMAC the gateways hold, auth re-verification', res.status !== 401);
      } finally {
        redis.disconnect();
      }
    });

    it('every service role: a temporary table shadowing what a SECURITY DEFINER function uses, and tables it must not touch', async () => {
      const roles = ['clarion_gateway', 'clarion_auth', 'clarion_ingest', 'clarion_clustering', 'clarion_retention'];
      const forbidden: Record<string, string[]> = {
        // What an attacker with each role's password would want: mint tokens, read password hashes, rewrite the audit trail.
        clarion_gateway: ['INSERT INTO signing_keys (kid) VALUES (NULL)', 'SELECT password_hash FROM users', 'DELETE FROM audit_events', 'DELETE FROM flows'],
        clarion_auth: ['DELETE FROM audit_events', 'UPDATE audit_events SET action = action', 'DELETE FROM flows', 'INSERT INTO endpoint_profiles (tenant_id) VALUES (NULL)'],
        clarion_ingest: ['INSERT INTO signing_keys (kid) VALUES (NULL)', 'SELECT password_hash FROM users', 'DELETE FROM audit_events', 'UPDATE flows SET bytes = 0'],
        clarion_clustering: ['INSERT INTO signing_keys (kid) VALUES (NULL)', 'SELECT password_hash FROM users', 'DELETE FROM audit_events', 'INSERT INTO flows_default (tenant_id) VALUES (NULL)'],
        clarion_retention: ['INSERT INTO signing_keys (kid) VALUES (NULL)', 'SELECT password_hash FROM users', 'DELETE FROM audit_events', 'SELECT * FROM api_keys'],
      };
      for (const role of roles) {
        const client = new Client({ connectionString: TestInfra.roleUrl(role) });
        await client.connect();
        try {
          const shadow = await client.query('CREATE TEMP TABLE flows_default (tenant_id uuid)').then(
            () => 'created',
            (err: { code?: string }) => err.code,
          );
          record('definer function shadow (issue attack 2)', `${role}: CREATE TEMP TABLE flows_default`, 'TEMPORARY revoked from PUBLIC', shadow !== '42501');
          for (const statement of forbidden[role]!) {
            const outcome = await client.query(statement).then(
              () => 'ran',
              (err: { code?: string }) => err.code,
            );
            // 42501: insufficient privilege. P0001 is the audit trigger's refusal (the owner's own guard).
            record('table a role must not touch', `${role}: ${statement}`, 'per-service grants', outcome !== '42501' && outcome !== 'P0001');
          }
        } finally {
          await client.end();
        }
      }
    });
  });

  it('every service role against every table and operation it is not granted (a leaked database URL)', async () => {
    const owner = new Client({ connectionString: TestInfra.superuserUrl });
    await owner.connect();
    // Every table of the schema (day partitions of flows aside: granted by the partition function) and a column of it
    // that may be written (not an identity or generated one, which PostgreSQL refuses before it checks privileges).
    const tables: Array<{ name: string; column: string }> = (
      await owner.query(`SELECT c.relname AS name, (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity = '' AND a.attgenerated = '' ORDER BY a.attnum LIMIT 1) AS column
                           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname !~ '^flows_p[0-9]' ORDER BY 1`)
    ).rows;
    await owner.end();
    const statementOf = (op: string, { name, column }: { name: string; column: string }): string =>
      ({
        SELECT: `SELECT 1 FROM public.${name} LIMIT 0`,
        INSERT: `INSERT INTO public.${name} ("${column}") SELECT "${column}" FROM public.${name} WHERE false`,
        UPDATE: `UPDATE public.${name} SET "${column}" = "${column}" WHERE false`,
        DELETE: `DELETE FROM public.${name} WHERE false`,
      })[op]!;
    for (const [role, grants] of Object.entries(SERVICE_TABLE_GRANTS)) {
      const client = new Client({ connectionString: TestInfra.roleUrl(role) });
      await client.connect();
      try {
        for (const table of tables) {
          for (const op of ['SELECT', 'INSERT', 'UPDATE', 'DELETE']) {
            if ((grants[table.name] ?? []).includes(op as never)) continue;
            const outcome = await client.query(statementOf(op, table)).then(
              () => 'ran',
              (err: { code?: string }) => err.code,
            );
            // 42501: insufficient privilege, before any row is looked at.
            record('every role x every table it must not touch', `${role}: ${op} ${table.name}`, 'per-service grants', outcome !== '42501');
          }
        }
      } finally {
        await client.end();
      }
    }
  });

  it('succeeds at nothing', () => {
    const succeeded = ledger.filter((a) => a.succeeded);
    const byAttack = new Map<string, number>();
    for (const a of ledger) byAttack.set(a.attack, (byAttack.get(a.attack) ?? 0) + 1);
    process.stdout.write(
      [...byAttack].map(([attack, n]) => `  ${String(n).padStart(4)}  ${attack}`).join('\n') +
        `\nattacks tried ${ledger.length}, succeeded ${succeeded.length}` +
        (succeeded.length ? `\n${succeeded.map((a) => `  SUCCEEDED: ${a.attack}: ${a.detail} (expected to be stopped by ${a.stoppedBy})`).join('\n')}` : '') +
        '\n',
    );
    // Every category ran: at least the forged actor on every request subject from every identity but the gateway.
    expect(ledger.length).toBeGreaterThan(Object.values(REQUEST_SUBJECTS).flat().length * (NATS_IDENTITIES.length - 1));
    expect(new Set(ledger.map((a) => a.attack)).size).toBeGreaterThanOrEqual(15);
    expect(succeeded).toEqual([]);
  });
});
