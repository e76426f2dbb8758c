import { adjustedRandIndex, encodeProfile, EndpointProfile } from '@clarion/clustering-core';
import {
  ErrorCode,
  EventSubjects,
  type ActorDto,
  type ClusteringJobDto,
  type ClusteringJobProgressEvent,
  type ClustersUpdatedEvent,
  type Permission,
} from '@clarion/contracts';
import { NatsConnectionHolder, natsConnectionOptions } from '@clarion/messaging';
import { ServiceMetrics } from '@clarion/observability';
import { Database } from '@clarion/persistence';
import { TestInfra, testLogger } from '@clarion/testing';
import type { Subscription } from 'nats';
import { Client } from 'pg';
// eslint-disable-next-line @nx/enforce-module-boundaries -- clustering-core's synthetic role flows, test-only by design
import { FLOW_ROLE_NAMES, synthesiseRoleFlows } from '../../../../libs/clustering-core/src/testing/role-flows';
import { ClusteringJobEvents } from './clustering-job-events.publisher';
import { ClusteringJobMetrics } from './clustering-job.metrics';
import { ClusteringJobRunner, type ClusteringJobRunnerOptions } from './clustering-job.runner';
import { ClusteringJobScheduler } from './clustering-job.scheduler';
import { ClusteringJobsController } from './clustering-jobs.controller';
import { ClusteringJobsService } from './clustering-jobs.service';
import { sourceWorkerFactory } from './testing/source-worker.factory';

const PER_ROLE = 30;
const decoder = new TextDecoder();

interface SeededEndpoint {
  key: string;
  role: string;
  profile: Uint8Array;
  flows: number;
}

/** Endpoints of every synthetic role, profiles built from their flows (as the flow consumer would). */
function population(): SeededEndpoint[] {
  return FLOW_ROLE_NAMES.flatMap((role, r) =>
    Array.from({ length: PER_ROLE }, (_, i) => {
      const self = `10.${r + 1}.${i >> 8}.${i & 255}`;
      const profile = new EndpointProfile();
      for (const f of synthesiseRoleFlows(role, self, role === 'web-server' ? 1 : 3, 1000 * r + i)) {
        const side = f.srcAddress === self ? 'src' : 'dst';
        profile.observe(f, side, `ip:${side === 'src' ? f.dstAddress : f.srcAddress}`);
      }
      return { key: `ip:${self}`, role, profile: encodeProfile(profile), flows: profile.flows };
    }),
  );
}

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Full re-clustering jobs against the real PostgreSQL (clustering's role, RLS) and NATS, the worker thread included. */
describe('clustering jobs (PostgreSQL, NATS, worker thread)', () => {
  const admin = new Client({ connectionString: TestInfra.superuserUrl });
  const db = new Database({ url: TestInfra.serviceUrl('clustering'), poolSize: 6, statementTimeoutMs: 30_000, applicationName: 'clustering-jobs-test' }, testLogger());
  const nats = new NatsConnectionHolder(natsConnectionOptions({ servers: TestInfra.natsUrl, name: 'clustering-jobs-test' }), testLogger());
  const metrics = new ClusteringJobMetrics(new ServiceMetrics('clustering').registry);
  const events = new ClusteringJobEvents(nats, testLogger());
  const workerFactory = sourceWorkerFactory();
  const suffix = `${Date.now().toString(36)}-${process.pid}`;
  const endpoints = population();
  const progress: ClusteringJobProgressEvent[] = [];
  const updates: ClustersUpdatedEvent[] = [];
  const subscriptions: Subscription[] = [];
  const tenants: Record<'a' | 'b' | 'c' | 'd' | 'e', string> = { a: '', b: '', c: '', d: '', e: '' };

  const runnerOptions = (instanceId: string): ClusteringJobRunnerOptions => ({
    instanceId,
    concurrency: 1,
    pollMs: 60_000,
    heartbeatMs: 1_000,
    maxDurationMs: 120_000,
    minClusterSize: 0,
    minSamples: 10,
    workerFactory,
  });
  const runner = new ClusteringJobRunner(db, events, metrics, testLogger(), runnerOptions('instance-a'));
  const service = new ClusteringJobsService(db, { wake: () => undefined }, events, metrics);
  const actor = (tenantId: string, permissions: Permission[] = ['jobs:run', 'clusters:read']): ActorDto => ({ kind: 'user', tenantId, id: 'u1', permissions });

  async function seedProfiles(tenantId: string): Promise<void> {
    await admin.query(
      `INSERT INTO endpoint_profiles (tenant_id, endpoint_key, address, profile, flows)
       SELECT $1, k, substr(k, 4)::inet, p, f FROM unnest($2::text[], $3::bytea[], $4::bigint[]) AS t(k, p, f)`,
      [tenantId, endpoints.map((e) => e.key), endpoints.map((e) => Buffer.from(e.profile)), endpoints.map((e) => e.flows)],
    );
  }

  /** Queues (or finds) the tenant's job, runs it with `runner`, returns the finished job. */
  async function runJob(tenantId: string, with_ = runner): Promise<ClusteringJobDto> {
    const queued = await service.run({ actor: actor(tenantId) });
    expect(await with_.poll()).toEqual([queued.id]);
    await with_.whenIdle();
    return service.get({ actor: actor(tenantId), id: queued.id });
  }

  const memberships = async (tenantId: string) =>
    (
      await admin.query(
        `SELECT endpoint_key AS key, cluster_id AS "clusterId", assigned_by AS "assignedBy", override_sgt AS "overrideSgt", override_by AS "overrideBy",
                override_reason AS "overrideReason", override_at AS "overrideAt"
         FROM endpoint_memberships WHERE tenant_id = $1 ORDER BY endpoint_key`,
        [tenantId],
      )
    ).rows as Array<{ key: string; clusterId: string | null; assignedBy: string; overrideSgt: number | null; overrideBy: string | null; overrideReason: string | null; overrideAt: Date | null }>;

  beforeAll(async () => {
    await admin.connect();
    for (const name of Object.keys(tenants) as Array<keyof typeof tenants>) {
      tenants[name] = (await admin.query(`INSERT INTO tenants (slug, name) VALUES ($1, $2) RETURNING id`, [`jobs-${name}-${suffix}`, name])).rows[0].id;
    }
    await seedProfiles(tenants.a);
    await seedProfiles(tenants.d);
    await db.start();
    const nc = await nats.start();
    const collect = <T>(subject: string, into: T[]) => {
      const sub = nc.subscribe(subject);
      subscriptions.push(sub);
      void (async () => {
        for await (const m of sub) into.push(JSON.parse(decoder.decode(m.data)) as T);
      })();
    };
    collect(EventSubjects.clusteringJobProgress, progress);
    collect(EventSubjects.clustersUpdated, updates);
  });

  afterAll(async () => {
    await runner.stop();
    for (const sub of subscriptions) sub.unsubscribe();
    await nats.close();
    await db.close();
    await admin.end();
  });

  let firstJob: ClusteringJobDto;

  it('answers the job already queued when a run is requested twice', async () => {
    const first = await service.run({ actor: actor(tenants.a) });
    const second = await service.run({ actor: actor(tenants.a) });
    expect(first).toMatchObject({ trigger: 'request', status: 'queued', requestedBy: 'u1', progress: 0, startedAt: null, durationMs: null });
    expect(second.id).toBe(first.id);
    expect((await admin.query(`SELECT count(*)::int AS n FROM clustering_jobs WHERE tenant_id = $1`, [tenants.a])).rows[0].n).toBe(1);
  });

  it('runs the job in a worker thread and persists clusters, memberships, SGTs and the model', async () => {
    firstJob = await runJob(tenants.a);
    expect(firstJob).toMatchObject({ status: 'succeeded', progress: 1, endpoints: endpoints.length, error: null, stage: 'persist' });
    expect(firstJob.clusters).toBe(FLOW_ROLE_NAMES.length);
    expect(firstJob.noiseRate).toBeLessThan(0.1);
    expect(firstJob.durationMs).toBe(new Date(firstJob.finishedAt!).getTime() - new Date(firstJob.startedAt!).getTime());

    const clusters = (await admin.query(`SELECT id, label, explanation, size, job_id AS "jobId", retired_at AS "retiredAt", summary FROM clusters WHERE tenant_id = $1`, [tenants.a])).rows;
    expect(clusters).toHaveLength(FLOW_ROLE_NAMES.length);
    for (const c of clusters) {
      expect(c).toMatchObject({ jobId: firstJob.id, retiredAt: null });
      expect(c.label.length).toBeGreaterThan(0);
      expect(c.explanation.length).toBeGreaterThan(0);
      expect(c.summary.topServices.length).toBeGreaterThan(0);
      expect(c.summary.size).toBe(c.size);
    }
    expect(clusters.map((c) => c.label)).toEqual(expect.arrayContaining([expect.stringMatching(/^Printers: \d+ % use tcp\/9100$/), 'Client devices']));

    const members = await memberships(tenants.a);
    expect(members).toHaveLength(endpoints.length);
    expect(members.every((m) => m.assignedBy === 'clustering')).toBe(true);
    const roleOf = new Map(endpoints.map((e) => [e.key, FLOW_ROLE_NAMES.indexOf(e.role)]));
    const clusterIndex = new Map(clusters.map((c, i) => [c.id as string, i]));
    expect(adjustedRandIndex(members.map((m) => (m.clusterId === null ? -1 : clusterIndex.get(m.clusterId)!)), members.map((m) => roleOf.get(m.key)!))).toBeGreaterThan(0.9);

    const sgts = (await admin.query(`SELECT value, name, cluster_id AS "clusterId", created_by AS "createdBy" FROM sgts WHERE tenant_id = $1`, [tenants.a])).rows;
    expect(sgts.map((s) => s.clusterId).sort()).toEqual(clusters.map((c) => c.id).sort());
    expect(new Set(sgts.map((s) => s.name)).size).toBe(sgts.length);
    expect(sgts.every((s) => s.createdBy === 'system' && /^[A-Z0-9_]{1,32}$/.test(s.name))).toBe(true);

    const model = (await admin.query(`SELECT version, endpoints, job_id AS "jobId", use_identity AS "useIdentity", state FROM cluster_models WHERE tenant_id = $1`, [tenants.a])).rows[0];
    expect(model).toMatchObject({ version: 1, endpoints: endpoints.length, jobId: firstJob.id, useIdentity: false });
    expect(model.state.clusters).toHaveLength(FLOW_ROLE_NAMES.length);

    const history = (await admin.query(`SELECT count(*)::int AS n, count(DISTINCT job_id)::int AS jobs FROM membership_history WHERE tenant_id = $1 AND kind = 'clustering' AND actor = 'system'`, [tenants.a])).rows[0];
    expect(history).toEqual({ n: members.filter((m) => m.clusterId !== null).length, jobs: 1 });

    const ours = () => progress.filter((e) => e.tenantId === tenants.a && e.job.id === firstJob.id);
    await waitFor(() => (ours().some((e) => e.job.status === 'succeeded') ? true : undefined), 'the succeeded job event');
    const stages = [...new Set(ours().map((e) => e.job.stage).filter((s) => s !== null))];
    expect(stages).toEqual(['features', 'scaling', 'neighbours', 'spanning-tree', 'condensed-tree', 'selection', 'identity', 'model', 'labels', 'persist']);
    const progressed = ours().map((e) => e.job.progress);
    expect(progressed).toEqual([...progressed].sort((x, y) => x - y));
    await waitFor(() => updates.find((u) => u.tenantId === tenants.a && u.jobId === firstJob.id), 'the clusters-updated event');
    expect(updates.find((u) => u.jobId === firstJob.id)).toMatchObject({ reason: 'full_run', clusters: FLOW_ROLE_NAMES.length });
  });

  it('keeps cluster ids and SGTs on a re-run and never touches a manual override', async () => {
    const before = await memberships(tenants.a);
    const sgtsBefore = (await admin.query(`SELECT value, name, cluster_id FROM sgts WHERE tenant_id = $1 ORDER BY value`, [tenants.a])).rows;
    const overridden = before.find((m) => m.clusterId !== null)!;
    await admin.query(
      `UPDATE endpoint_memberships SET override_sgt = 31, override_by = 'u9', override_reason = 'quarantined', override_at = '2025-01-02T03:04:05Z'
       WHERE tenant_id = $1 AND endpoint_key = $2`,
      [tenants.a, overridden.key],
    );
    const historyBefore = (await admin.query(`SELECT count(*)::int AS n FROM membership_history WHERE tenant_id = $1`, [tenants.a])).rows[0].n;

    const second = await runJob(tenants.a);
    expect(second).toMatchObject({ status: 'succeeded', clusters: FLOW_ROLE_NAMES.length });
    const after = await memberships(tenants.a);
    expect(after.map((m) => [m.key, m.clusterId])).toEqual(before.map((m) => [m.key, m.clusterId]));
    expect(after.find((m) => m.key === overridden.key)).toMatchObject({
      overrideSgt: 31,
      overrideBy: 'u9',
      overrideReason: 'quarantined',
      overrideAt: new Date('2025-01-02T03:04:05Z'),
      clusterId: overridden.clusterId,
    });
    expect((await admin.query(`SELECT value, name, cluster_id FROM sgts WHERE tenant_id = $1 ORDER BY value`, [tenants.a])).rows).toEqual(sgtsBefore);
    expect((await admin.query(`SELECT count(*)::int AS n FROM clusters WHERE tenant_id = $1 AND retired_at IS NOT NULL`, [tenants.a])).rows[0].n).toBe(0);
    expect((await admin.query(`SELECT count(*)::int AS n FROM membership_history WHERE tenant_id = $1`, [tenants.a])).rows[0].n).toBe(historyBefore);
    expect((await admin.query(`SELECT version, job_id FROM cluster_models WHERE tenant_id = $1`, [tenants.a])).rows[0]).toEqual({ version: 2, job_id: second.id });
  });

  it('retires a cluster whose members are gone, unbinds its SGT and never reuses its id', async () => {
    const printers = (await admin.query(`SELECT id FROM clusters WHERE tenant_id = $1 AND label LIKE 'Printers%'`, [tenants.a])).rows[0].id as string;
    const sgt = (await admin.query(`SELECT value FROM sgts WHERE tenant_id = $1 AND cluster_id = $2`, [tenants.a, printers])).rows[0].value as number;
    const printerKeys = endpoints.filter((e) => e.role === 'printer').map((e) => e.key);
    await admin.query(`DELETE FROM endpoint_profiles WHERE tenant_id = $1 AND endpoint_key = ANY($2::text[])`, [tenants.a, printerKeys]);

    const job = await runJob(tenants.a);
    expect(job).toMatchObject({ status: 'succeeded', clusters: FLOW_ROLE_NAMES.length - 1, endpoints: endpoints.length - PER_ROLE });
    expect((await admin.query(`SELECT retired_at IS NOT NULL AS retired FROM clusters WHERE tenant_id = $1 AND id = $2`, [tenants.a, printers])).rows[0].retired).toBe(true);
    expect((await admin.query(`SELECT cluster_id FROM sgts WHERE tenant_id = $1 AND value = $2`, [tenants.a, sgt])).rows[0].cluster_id).toBeNull();
    // The printers' memberships (no profile any more) no longer point at the retired cluster.
    expect((await admin.query(`SELECT count(*)::int AS n FROM endpoint_memberships WHERE tenant_id = $1 AND cluster_id = $2`, [tenants.a, printers])).rows[0].n).toBe(0);

    await admin.query(
      `INSERT INTO endpoint_profiles (tenant_id, endpoint_key, address, profile, flows)
       SELECT $1, k, substr(k, 4)::inet, p, 0 FROM unnest($2::text[], $3::bytea[]) AS t(k, p) ON CONFLICT DO NOTHING`,
      [tenants.a, printerKeys, printerKeys.map((k) => Buffer.from(endpoints.find((e) => e.key === k)!.profile))],
    );
    const back = await runJob(tenants.a);
    expect(back.clusters).toBe(FLOW_ROLE_NAMES.length);
    const newPrinters = (await admin.query(`SELECT id FROM clusters WHERE tenant_id = $1 AND label LIKE 'Printers%' AND retired_at IS NULL`, [tenants.a])).rows[0].id;
    expect(newPrinters).not.toBe(printers);
    expect((await admin.query(`SELECT count(*)::int AS n FROM sgts WHERE tenant_id = $1 AND cluster_id = $2`, [tenants.a, newPrinters])).rows[0].n).toBe(1);
  });

  it('lets exactly one of two runners claim a queued job', async () => {
    const second = new ClusteringJobRunner(db, events, metrics, testLogger(), runnerOptions('instance-b'));
    const queued = await service.run({ actor: actor(tenants.a) });
    const claims = await Promise.all([runner.poll(), second.poll()]);
    await Promise.all([runner.whenIdle(), second.whenIdle()]);
    expect(claims.flat()).toEqual([queued.id]);
    const job = await service.get({ actor: actor(tenants.a), id: queued.id });
    expect(job.status).toBe('succeeded');
    const worker = (await admin.query(`SELECT worker FROM clustering_jobs WHERE id = $1`, [queued.id])).rows[0].worker;
    expect(worker).toBe(claims[0].length === 1 ? 'instance-a' : 'instance-b');
    expect(await second.poll()).toEqual([]);
    await second.stop();
  });

  it('lists jobs newest first in pages, filtered by status', async () => {
    const all = (await admin.query(`SELECT id FROM clustering_jobs WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`, [tenants.a])).rows.map((r) => r.id);
    expect(all.length).toBeGreaterThanOrEqual(5);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await service.list({ actor: actor(tenants.a), limit: 2, cursor });
      seen.push(...page.items.map((j) => j.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(all);
    expect((await service.list({ actor: actor(tenants.a), status: 'queued' })).items).toEqual([]);
    expect((await service.list({ actor: actor(tenants.a), status: 'succeeded' })).items).toHaveLength(all.length);
  });

  it("keeps each tenant's jobs to itself and fails a job with nothing to cluster with a clear error", async () => {
    expect((await service.list({ actor: actor(tenants.b) })).items).toEqual([]);
    await expect(service.get({ actor: actor(tenants.b), id: firstJob.id })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    const job = await runJob(tenants.b);
    expect(job).toMatchObject({ status: 'failed', error: 'the tenant has no endpoint profiles to cluster yet' });
    expect((await admin.query(`SELECT count(*)::int AS n FROM clusters WHERE tenant_id = $1`, [tenants.b])).rows[0].n).toBe(0);
    expect((await service.run({ actor: actor(tenants.b) })).id).not.toBe(job.id);
  });

  it('checks the permission of the actor again', async () => {
    const controller = new ClusteringJobsController(service);
    expect(() => controller.run({ actor: actor(tenants.c, ['clusters:read']) })).toThrow(expect.objectContaining({ code: ErrorCode.Forbidden }));
    expect(() => controller.list({ actor: actor(tenants.c, ['jobs:run']) })).toThrow(expect.objectContaining({ code: ErrorCode.Forbidden }));
    await expect(controller.list({ actor: actor(tenants.c, ['clusters:read']) })).resolves.toEqual({ items: [], nextCursor: null });
  });

  it('fails a running job whose instance stopped heartbeating, after which a new job can be queued', async () => {
    const stale = (
      await admin.query(
        `INSERT INTO clustering_jobs (tenant_id, trigger, status, worker, started_at, heartbeat_at, stage, progress)
         VALUES ($1, 'schedule', 'running', 'dead-instance', now() - interval '10 minutes', now() - interval '9 minutes', 'neighbours', 0.2) RETURNING id`,
        [tenants.c],
      )
    ).rows[0].id as string;
    const scheduler = new ClusteringJobScheduler(db, { wake: () => undefined }, events, metrics, testLogger(), {
      checkMs: 60_000,
      staleAfterS: 60,
      minEndpoints: 1_000_000,
      newEndpointShare: 0.1,
      scheduleIntervalS: 0,
    });
    const pass = await scheduler.check();
    expect(pass.recovered).toEqual([{ tenantId: tenants.c, jobId: stale }]);
    const failed = await service.get({ actor: actor(tenants.c), id: stale });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/dead-instance.*no heartbeat for more than 60 s/);
    expect((await service.run({ actor: actor(tenants.c) })).id).not.toBe(stale);
  });

  it('queues the initial run for a tenant with enough endpoints and no model, once', async () => {
    const scheduler = new ClusteringJobScheduler(db, { wake: () => undefined }, events, metrics, testLogger(), {
      checkMs: 60_000,
      staleAfterS: 60,
      minEndpoints: endpoints.length,
      newEndpointShare: 0.1,
      scheduleIntervalS: 3600,
    });
    const first = await scheduler.check();
    expect(first.queued.filter((q) => q.tenantId === tenants.d)).toEqual([{ tenantId: tenants.d, jobId: expect.any(String), trigger: 'initial' }]);
    // Tenant a has a model and no new endpoints; tenant c's job is already queued.
    expect(first.queued.map((q) => q.tenantId)).toEqual([tenants.d]);
    expect((await scheduler.check()).queued).toEqual([]);
  });

  it('adds identity features when identities were imported, matching MAC-keyed endpoints by their address', async () => {
    const workstations = endpoints.filter((e) => e.role === 'workstation').map((e) => e.key);
    const macKeys = workstations.slice(0, 5).map((_, i) => `mac:02:00:00:00:00:${(i + 16).toString(16)}`);
    for (let i = 0; i < macKeys.length; i++) {
      await admin.query(`UPDATE endpoint_profiles SET endpoint_key = $3 WHERE tenant_id = $1 AND endpoint_key = $2`, [tenants.d, workstations[i], macKeys[i]]);
    }
    // Identities are keyed by IP: the five endpoints now keyed by MAC still get theirs through their address.
    await admin.query(
      `INSERT INTO endpoint_identities (tenant_id, endpoint_key, device_type, groups) SELECT $1, k, 'Laptop', '{staff}' FROM unnest($2::text[]) AS k`,
      [tenants.d, workstations],
    );
    const queued = (await service.list({ actor: actor(tenants.d), status: 'queued' })).items[0];
    const queuedOf = async (tenantId: string) => (await service.list({ actor: actor(tenantId), status: 'queued' })).items.map((j) => j.id);
    // Tenants b and c have a queued job too (they have no profiles: those jobs fail). Other tenants of this suite may
    // have queued jobs as well (after a stale job, a new one may be queued): with enough slots the runner claims all.
    const expected = [queued.id, ...(await queuedOf(tenants.b)), ...(await queuedOf(tenants.c))];
    expect(expected).toHaveLength(3);
    const both = new ClusteringJobRunner(db, events, metrics, testLogger(), { ...runnerOptions('instance-c'), concurrency: 10 });
    const claimed = await both.poll();
    expect(claimed).toEqual(expect.arrayContaining(expected));
    await both.whenIdle();
    expect(await service.get({ actor: actor(tenants.d), id: queued.id })).toMatchObject({ status: 'succeeded', trigger: 'initial' });
    expect((await admin.query(`SELECT use_identity FROM cluster_models WHERE tenant_id = $1`, [tenants.d])).rows[0].use_identity).toBe(true);
    const laptops = (await admin.query(`SELECT id, size, summary FROM clusters WHERE tenant_id = $1 AND label = 'Laptops'`, [tenants.d])).rows;
    expect(laptops).toHaveLength(1);
    expect(laptops[0].summary).toMatchObject({ basis: 'identity', identified: laptops[0].size });
    const macMembers = (await admin.query(`SELECT DISTINCT cluster_id FROM endpoint_memberships WHERE tenant_id = $1 AND endpoint_key = ANY($2::text[])`, [tenants.d, macKeys])).rows;
    expect(macMembers).toEqual([{ cluster_id: laptops[0].id }]);
    await both.stop();
  });

  it("clusters and counts only the tenant's internal endpoints, under its inventory now", async () => {
    await seedProfiles(tenants.e);
    // Rows stored before: Internet addresses, a MAC last seen with one, and a range the tenant has since declared external.
    const partner = endpoints[0].key.slice(3).replace(/^(\d+\.\d+)\..*$/, '$1.0.0/16');
    await admin.query(`INSERT INTO address_spaces (tenant_id, cidr, name, kind) VALUES ($1, $2, 'Partner VPN', 'external')`, [tenants.e, partner]);
    const inPartner = endpoints.filter((e) => `${e.key.slice(3).split('.').slice(0, 2).join('.')}.0.0/16` === partner).length;
    expect(inPartner).toBeGreaterThan(0);
    const extra: Array<[string, string]> = [
      ['ip:203.0.113.5', '203.0.113.5'],
      ['ip:142.250.1.10', '142.250.1.10'],
      ['mac:00:00:0c:00:00:09', '8.8.8.8'],
    ];
    for (const [key, address] of extra) {
      await admin.query(`INSERT INTO endpoint_profiles (tenant_id, endpoint_key, address, profile, flows) VALUES ($1, $2, $3, $4, 1)`, [tenants.e, key, address, Buffer.from(endpoints[1].profile)]);
    }
    const job = await runJob(tenants.e);
    expect(job).toMatchObject({ status: 'succeeded', endpoints: endpoints.length - inPartner });
    const members = (await memberships(tenants.e)).map((m) => m.key);
    expect(members).toHaveLength(endpoints.length - inPartner);
    expect(members.filter((k) => extra.some(([key]) => key === k))).toEqual([]);
  });
});
