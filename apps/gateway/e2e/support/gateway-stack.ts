// Support for the gateway's *.e2e-spec.ts files only.
// eslint-disable-next-line no-restricted-imports -- test support: imported by e2e specs, never by production code
import { NatsServerProcess, REPO_ROOT, ServiceProcess, TestInfra, freePort, freeUdpPort, waitForReady } from '@clarion/testing';
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const COMMON_ENV = {
  CLARION_ENV: 'test',
  LOG_LEVEL: 'warn',
  // No DATABASE_URL: ServiceProcess connects each service as its own role (clarion_<service>).
  NATS_URL: TestInfra.natsUrl,
  REDIS_URL: TestInfra.redisUrl,
  OPS_HOST: '127.0.0.1',
};

/** Limits high enough that a test's own traffic from 127.0.0.1 never trips them. */
export const RELAXED_LIMITS = { RATE_LIMIT_PER_IP: '1000000', RATE_LIMIT_PER_PRINCIPAL: '1000000', RATE_LIMIT_LOGIN_PER_IP: '1000000' };

export interface GatewayStack {
  /** Base URL of each gateway instance. */
  bases: string[];
  gatewayOpsPorts: number[];
  processes: ServiceProcess[];
  /** UDP port of the ingest service (NetFlow/IPFIX) when the stack runs one. */
  ingestUdpPort?: number;
  /** The stack's private nats-server (its identities, for tests that talk on the bus as one of them). */
  nats: NatsServerProcess;
  /** Ops port (/metrics) of each service the stack runs, by service. */
  opsPortOf: Partial<Record<'auth' | 'ingest' | 'clustering', number>>;
  stop(): Promise<Array<number | null>>;
}

export interface StackOptions {
  gateways?: number;
  gatewayEnv?: Record<string, string>;
  authEnv?: Record<string, string>;
  /** Also run the ingest service (flows, exporters), with this extra env. */
  ingest?: boolean | Record<string, string>;
  /** Also run the clustering service (endpoints, clusters, SGTs, policy, jobs, identity), with this extra env. */
  clustering?: boolean | Record<string, string>;
}

const extraEnv = (option: boolean | Record<string, string> | undefined): Record<string, string> => (typeof option === 'object' ? option : {});

/**
 * The built services (from dist/) as processes on a private nats-server, so no other Clarion on the machine answers
 * this stack's requests: one auth process, `gateways` gateway processes with the same extra env, and on request the
 * ingest and clustering services the data routes forward to.
 */
export async function startStack(options: StackOptions = {}): Promise<GatewayStack> {
  // NATS as deployed: TLS, and each service on its own nkey with exactly its subjects (deploy/nats, libs/contracts).
  const nats = new NatsServerProcess({ secure: true });
  await nats.start();
  const env = COMMON_ENV;
  const processes: ServiceProcess[] = [];
  const opsPorts: number[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'clarion-gateway-stack-'));
  const authOps = await freePort();
  processes.push(new ServiceProcess('auth', { ...env, ...nats.envOf('auth'), OPS_PORT: String(authOps), ARGON2_MEMORY_KIB: '8192', ...options.authEnv }).start());
  opsPorts.push(authOps);
  const opsPortOf: GatewayStack['opsPortOf'] = { auth: authOps };
  let ingestUdpPort: number | undefined;
  if (options.ingest) {
    const opsPort = await freePort();
    ingestUdpPort = await freeUdpPort();
    processes.push(
      new ServiceProcess('ingest', {
        ...env,
        ...nats.envOf('ingest'),
        OPS_PORT: String(opsPort),
        INGEST_UDP_PORTS: `${ingestUdpPort},${await freeUdpPort()}`,
        INGEST_SFLOW_PORTS: String(await freeUdpPort()),
        INGEST_UDP_HOST: '127.0.0.1',
        INGEST_SPOOL_DIR: join(scratch, 'spool'),
        INGEST_BATCH_MAX_DELAY_MS: '100',
        INGEST_REGISTRY_FLUSH_MS: '200',
        ...extraEnv(options.ingest),
      }).start(),
    );
    opsPorts.push(opsPort);
    opsPortOf.ingest = opsPort;
  }
  if (options.clustering) {
    const opsPort = await freePort();
    processes.push(new ServiceProcess('clustering', { ...env, ...nats.envOf('clustering'), OPS_PORT: String(opsPort), ...extraEnv(options.clustering) }).start());
    opsPorts.push(opsPort);
    opsPortOf.clustering = opsPort;
  }
  const bases: string[] = [];
  const gatewayOpsPorts: number[] = [];
  for (let i = 0; i < (options.gateways ?? 1); i++) {
    const httpPort = await freePort();
    const opsPort = await freePort();
    processes.push(
      new ServiceProcess('gateway', { ...env, ...nats.envOf('gateway'), OPS_PORT: String(opsPort), HTTP_PORT: String(httpPort), HTTP_HOST: '127.0.0.1', ...options.gatewayEnv }).start(),
    );
    bases.push(`http://127.0.0.1:${httpPort}`);
    gatewayOpsPorts.push(opsPort);
  }
  const stop = async () => {
    const codes = await Promise.all(processes.map((p) => p.stop()));
    await nats.stop();
    rmSync(scratch, { recursive: true, force: true });
    return codes;
  };
  try {
    await Promise.all([...opsPorts, ...gatewayOpsPorts].map((p) => waitForReady(p, 60_000)));
  } catch (err) {
    const stderr = processes.map((p) => `${p.app}: ${p.stderr.slice(-2000)}`).join('\n');
    await stop();
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return { bases, gatewayOpsPorts, processes, ingestUdpPort, nats, opsPortOf, stop };
}

/** Sends datagrams to the stack's ingest service from 127.0.0.1 (one exporter). */
export async function sendToIngest(port: number, packets: readonly Uint8Array[]): Promise<void> {
  const socket = createSocket('udp4');
  try {
    for (const p of packets) await new Promise<void>((done, fail) => socket.send(p, port, '127.0.0.1', (err) => (err ? fail(err) : done())));
  } finally {
    socket.close();
  }
}

/** Creates a tenant (if new) and its admin (or superadmin) with the CLI, as an operator would. */
export function createAdminWithCli(tenant: string, email: string, password: string, role: 'admin' | 'superadmin' = 'admin'): void {
  const cli = resolve(REPO_ROOT, 'dist/apps/auth/src/cli/clarion-cli.js');
  execFileSync(process.execPath, [cli, 'admin', 'create', '--tenant', tenant, '--email', email, '--name', 'E2E Admin', '--role', role, '--password-stdin'], {
    input: password,
    env: { PATH: process.env['PATH'] ?? '', ...COMMON_ENV, DATABASE_URL: TestInfra.serviceUrl('auth') },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
}

let clientAddress: string | undefined;

/**
 * Makes every call() of this test file come from one made-up client address (X-Forwarded-For; the gateways run with
 * HTTP_TRUST_PROXY=true). Rate limits and the auth service's login throttle count per address in the shared Redis,
 * so a suite that signs in a lot must not spend the budget of 127.0.0.1 that other suites use.
 */
export function speakFrom(address: string): void {
  clientAddress = address;
}

/** An address in 198.18.0.0/15 (set aside for tests, RFC 2544). */
export const randomClientAddress = (): string => `198.${18 + randomInt(0, 2)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

/** One HTTP call; the body parsed as JSON when it is JSON. Redirects are not followed. */
export async function call(base: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const url = new URL(path, base);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const hasBody = options.body !== undefined || options.rawBody !== undefined;
  const res = await fetch(url, {
    method: options.method ?? 'GET',
    redirect: 'manual',
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...(clientAddress ? { 'x-forwarded-for': clientAddress } : {}), ...options.headers },
    body: options.rawBody ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function login(
  base: string,
  tenant: string,
  email: string,
  password: string,
): Promise<{ accessToken: string; refreshToken: string; sessionId: string; mustChangePassword: boolean }> {
  const res = await call(base, '/api/v1/auth/login', { method: 'POST', body: { tenant, email, password } });
  if (res.status !== 200) throw new Error(`login of ${email} failed: ${res.status} ${res.text}`);
  return res.json as { accessToken: string; refreshToken: string; sessionId: string; mustChangePassword: boolean };
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
export const apiKeyHeader = (key: string): Record<string, string> => ({ 'x-api-key': key });
