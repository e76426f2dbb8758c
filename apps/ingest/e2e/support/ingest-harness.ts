// eslint-disable-next-line no-restricted-imports -- test support: imported by e2e specs, never by production code
import { ServiceProcess, TestInfra, type NatsServerProcess, freePort, freeUdpPort, httpGet, metricValue, queryAsTenant, waitFor, waitForReady } from '@clarion/testing';
import { createSocket } from 'node:dgram';
import { Client } from 'pg';
import type { KnownFlow } from './known-traffic';

// Shared with other suites through @clarion/testing; re-exported so this harness's users need one import.
export { freeUdpPort, queryAsTenant };

/** Sends datagrams to 127.0.0.1:port from one socket (one exporter address and port). */
export async function sendUdp(port: number, packets: readonly Uint8Array[], gapMs = 0): Promise<void> {
  const socket = createSocket('udp4');
  try {
    for (const p of packets) {
      await new Promise<void>((resolve, reject) => socket.send(p, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    }
  } finally {
    socket.close();
  }
}

export async function createTenant(prefix: string): Promise<{ id: string; slug: string }> {
  const owner = new Client({ connectionString: TestInfra.ownerUrl });
  await owner.connect();
  try {
    const slug = `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
    const { rows } = await owner.query(`INSERT INTO tenants (slug, name) VALUES ($1, $2) RETURNING id`, [slug, prefix]);
    return { id: rows[0].id as string, slug };
  } finally {
    await owner.end();
  }
}


/** Every stored flow of the tenant (one entry per row), optionally of one version (5, 9, 10, 105 = sFlow v5). */
export async function storedFlows(tenantId: string, version?: number): Promise<Array<KnownFlow & { version: number }>> {
  const rows = await queryAsTenant<{ src: string | null; dst: string | null; sp: number; dp: number; pr: number; pk: string; by: string; v: number }>(
    tenantId,
    `SELECT host(src_address) AS src, host(dst_address) AS dst, src_port AS sp, dst_port AS dp, protocol AS pr, packets AS pk, bytes AS by, version AS v
       FROM flows WHERE $1::int IS NULL OR version = $1::int`,
    [version ?? null],
  );
  return rows.map((r) => ({ srcAddress: r.src ?? '', dstAddress: r.dst ?? '', srcPort: r.sp, dstPort: r.dp, protocol: r.pr, packets: Number(r.pk), bytes: Number(r.by), version: r.v }));
}

export async function storedFlowCount(tenantId: string): Promise<number> {
  return Number((await queryAsTenant<{ n: string }>(tenantId, 'SELECT count(*) AS n FROM flows'))[0].n);
}

export interface IngestOptions {
  /** The suite's nats-server; ingest connects to it as deployed when it is `secure` (TLS, ingest's own nkey). */
  nats: NatsServerProcess;
  tenantSlug?: string;
  spoolDir: string;
  databaseUrl?: string;
  udpPorts?: [number, number];
  /** The sFlow port (INGEST_SFLOW_PORTS); a free one when omitted. */
  sflowPort?: number;
  env?: Record<string, string>;
}

/** The built ingest service (dist/apps/ingest/src/main.js) as a process, on free ports. */
export class IngestUnderTest {
  private constructor(
    readonly proc: ServiceProcess,
    readonly opsPort: number,
    readonly udpPorts: [number, number],
    readonly sflowPort: number,
  ) {}

  static async start(options: IngestOptions, waitReady = true): Promise<IngestUnderTest> {
    const opsPort = await freePort();
    const udpPorts = options.udpPorts ?? [await freeUdpPort(), await freeUdpPort()];
    const sflowPort = options.sflowPort ?? (await freeUdpPort());
    const proc = new ServiceProcess('ingest', {
      CLARION_ENV: 'test',
      LOG_LEVEL: 'info',
      OPS_PORT: String(opsPort),
      OPS_HOST: '127.0.0.1',
      DATABASE_URL: options.databaseUrl ?? TestInfra.serviceUrl('ingest'),
      ...options.nats.envOf('ingest'),
      REDIS_URL: TestInfra.redisUrl,
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      READINESS_TIMEOUT_MS: '1000',
      INGEST_UDP_PORTS: udpPorts.join(','),
      INGEST_SFLOW_PORTS: String(sflowPort),
      INGEST_UDP_HOST: '::',
      INGEST_UDP_RECEIVE_BUFFER_BYTES: String(4 * 1024 * 1024),
      INGEST_SPOOL_DIR: options.spoolDir,
      INGEST_BATCH_MAX_DELAY_MS: '200',
      INGEST_REGISTRY_FLUSH_MS: '300',
      INGEST_TEMPLATE_FLUSH_MS: '50',
      INGEST_DB_RETRY_MS: '200',
      INGEST_COMMIT_TIMEOUT_MS: '5000',
      ...(options.tenantSlug ? { INGEST_DEFAULT_TENANT: options.tenantSlug } : {}),
      ...options.env,
    }).start();
    const ingest = new IngestUnderTest(proc, opsPort, udpPorts, sflowPort);
    if (waitReady) await waitForReady(opsPort, 30_000).catch((err: unknown) => {
      throw new Error(`${String(err)}\nstderr: ${proc.stderr}\nlogs: ${JSON.stringify(proc.logs.slice(-10))}`);
    });
    return ingest;
  }

  get netflowPort(): number {
    return this.udpPorts[0];
  }

  async metrics(): Promise<string> {
    return String((await httpGet(`http://127.0.0.1:${this.opsPort}/metrics`)).body);
  }

  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return metricValue(await this.metrics(), name, labels);
  }

  /** Waits until a metric reaches at least `value`. */
  async waitForMetric(name: string, value: number, labels: Record<string, string> = {}, timeoutMs = 20_000): Promise<void> {
    await waitFor(async () => (await this.metric(name, labels)) >= value, timeoutMs, `${name} >= ${value}`, 100);
  }

  /** SIGTERM and the graceful drain; resolves with the exit code. */
  stop(): Promise<number | null> {
    return this.proc.stop();
  }

  /** SIGKILL: no drain, no flush (a crash). */
  async kill(): Promise<void> {
    const pid = this.proc.logs.find((l) => typeof l['pid'] === 'number')?.['pid'] as number | undefined;
    if (pid === undefined) throw new Error('the ingest process has not logged its pid');
    process.kill(pid, 'SIGKILL');
    await this.proc.waitForExit(10_000);
  }
}
