/**
 * Reads deploy/k8s the way Kustomize would (resources, generated ConfigMaps, overlay merges) and checks, for the base
 * and for each overlay, that every Deployment gives its service an environment the service's env class accepts in
 * production, and that the probes, ports, security settings, autoscaling and disruption budgets fit the service.
 * Secret-backed `*_FILE` paths are resolved to a set generate-secrets.sh writes (the Secrets are made from the same
 * files, deploy/README.md); the committed compose placeholders (same key names) are shown to be refused.
 */
import { SERVICE_NAMES, type ServiceName } from '@clarion/contracts';
import { ensureNatsCredentials } from '@clarion/messaging';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_ENV_CLASSES } from '../../tools/config-doc/env-readers';
import { MigrateEnv } from '../../tools/migrate/migrate.env';
import {
  configProblems,
  generateSecrets,
  imageEnv,
  loadKustomization,
  podEnvironment,
  readDockerfile,
  repoPath,
  SAMPLE_SECRETS_DIR,
  type K8sObject,
  type KustomizeResult,
} from '../support/deploy-files';

const { stages } = readDockerfile();
const SCALED = ['gateway', 'ingest', 'clustering'];
const variants = ['base', ...readdirSync(repoPath('deploy', 'k8s', 'overlays')).map((o) => `overlays/${o}`)];

// NATS seeds are never committed, not even as samples: one generated set stands in for each service's Secret.
const nats = ensureNatsCredentials(join(mkdtempSync(join(tmpdir(), 'clarion-k8s-nats-')), 'credentials'));
const natsSamples = (service: ServiceName): Record<string, string> => ({
  nats_nkey_seed: nats.seedFile(service),
  nats_ca: nats.caFile,
  rpc_signing_key: nats.rpcKeyFile(service),
  rpc_trusted_keys: nats.rpcTrustFile,
});

// The operator's Secrets, made from files generate-secrets.sh wrote.
const SECRETS_DIR = generateSecrets().dir;

function find(result: KustomizeResult, kind: string, name: string): K8sObject | undefined {
  return result.objects.find((o) => o.kind === kind && o.metadata.name === name);
}

describe.each(variants)('deploy/k8s/%s', (variant) => {
  const result = loadKustomization(repoPath('deploy', 'k8s', variant));

  it.each(SERVICE_NAMES)('gives %s an environment its env class accepts in production', (name) => {
    const deployment = find(result, 'Deployment', name);
    expect(deployment).toBeDefined();
    const { env, problems } = podEnvironment(deployment?.spec.template.spec, result.configMaps, imageEnv(stages, name), natsSamples(name), SECRETS_DIR);
    expect(problems).toEqual([]);
    expect(env['CLARION_ENV']).toBe('production');
    expect(configProblems(SERVICE_ENV_CLASSES[name], env, name)).toEqual([]);
  });

  it.each(SERVICE_NAMES)('refuses, for %s, Secrets made from the committed compose placeholders', (name) => {
    const { env, problems } = podEnvironment(find(result, 'Deployment', name)?.spec.template.spec, result.configMaps, imageEnv(stages, name), natsSamples(name), SAMPLE_SECRETS_DIR);
    expect(problems).toEqual([]);
    const refused = configProblems(SERVICE_ENV_CLASSES[name], env, name);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.every((p) => /^[A-Z_]+: is a published placeholder/.test(p))).toBe(true);
    expect(refused.map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', ...(name === 'auth' ? ['AUTH_MASTER_KEY', 'AUDIT_KEY'] : [])]));
  });

  it.each(SERVICE_NAMES)('connects %s as its own database role (its own key of the services Secret)', (name) => {
    const { env } = podEnvironment(find(result, 'Deployment', name)?.spec.template.spec, result.configMaps, imageEnv(stages, name), natsSamples(name), SECRETS_DIR);
    expect(new URL(readFileSync(env['DATABASE_URL_FILE'] ?? '', 'utf8').trim()).username).toBe(`clarion_${name}`);
  });

  it.each(SERVICE_NAMES)('connects %s to Redis as its own ACL user (its own key of the services Secret)', (name) => {
    const { env } = podEnvironment(find(result, 'Deployment', name)?.spec.template.spec, result.configMaps, imageEnv(stages, name), natsSamples(name), SECRETS_DIR);
    const url = new URL(readFileSync(env['REDIS_URL_FILE'] ?? '', 'utf8').trim());
    expect([url.username, url.password.length > 0]).toEqual([name, true]);
  });

  it.each(SERVICE_NAMES)('probes %s on the ops port its configuration resolves to, and runs it locked down', (name) => {
    const template = find(result, 'Deployment', name)?.spec.template;
    const pod = template.spec;
    const container = pod.containers[0];
    const { env } = podEnvironment(pod, result.configMaps, imageEnv(stages, name), natsSamples(name), SECRETS_DIR);
    const opsPort = Number(env['OPS_PORT']);
    expect(container.image).toBe(`clarion/${name}`);
    expect(container.ports).toContainEqual({ name: 'ops', containerPort: opsPort, protocol: 'TCP' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'ops' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'ops' });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits).toMatchObject({ memory: expect.any(String) });
    expect(template.metadata.annotations['prometheus.io/port']).toBe(String(opsPort));
    // Longer than the service's own drain budget, so Kubernetes never kills a draining pod.
    const graceMs = Number(env['SHUTDOWN_GRACE_MS'] ?? new SERVICE_ENV_CLASSES[name]().SHUTDOWN_GRACE_MS);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(graceMs);

    const service = find(result, 'Service', name);
    expect(service?.spec.selector).toEqual(find(result, 'Deployment', name)?.spec.selector.matchLabels);
    expect(service?.spec.ports).toContainEqual({ name: 'ops', port: opsPort, targetPort: 'ops', protocol: 'TCP' });
  });

  it('exposes the gateway HTTP port and the ingest flow ports', () => {
    const gateway = podEnvironment(find(result, 'Deployment', 'gateway')?.spec.template.spec, result.configMaps, imageEnv(stages, 'gateway'), natsSamples('gateway'), SECRETS_DIR).env;
    const httpPort = Number(gateway['HTTP_PORT'] ?? new SERVICE_ENV_CLASSES.gateway().HTTP_PORT);
    expect(find(result, 'Deployment', 'gateway')?.spec.template.spec.containers[0].ports).toContainEqual({ name: 'http', containerPort: httpPort, protocol: 'TCP' });
    expect(find(result, 'Service', 'gateway')?.spec.ports).toContainEqual({ name: 'http', port: httpPort, targetPort: 'http', protocol: 'TCP' });
    const flows = find(result, 'Service', 'ingest-flows');
    expect(flows?.spec.sessionAffinity).toBe('ClientIP');
    expect(flows?.spec.ports.map((p: { port: number; protocol: string }) => `${p.port}/${p.protocol}`)).toEqual(['2055/UDP', '4739/UDP', '6343/UDP']);
  });

  it('autoscales gateway, ingest and clustering, and keeps every replicated service within a disruption budget', () => {
    for (const name of SCALED) {
      const hpa = find(result, 'HorizontalPodAutoscaler', name);
      expect(hpa?.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      expect(hpa?.spec.minReplicas).toBeGreaterThanOrEqual(2);
      // The HPA owns the count; a replicas field in the Deployment would reset it on every apply.
      expect(find(result, 'Deployment', name)?.spec.replicas).toBeUndefined();
    }
    for (const name of SERVICE_NAMES) {
      const deployment = find(result, 'Deployment', name);
      const replicated = SCALED.includes(name) || (deployment?.spec.replicas ?? 1) > 1;
      const pdb = find(result, 'PodDisruptionBudget', name);
      expect({ name, pdb: pdb !== undefined }).toEqual({ name, pdb: replicated });
      if (pdb) expect(pdb.spec.selector.matchLabels).toEqual(deployment?.spec.selector.matchLabels);
    }
  });

  it('runs the migration as a Job with only the schema owner secret, which MigrateEnv accepts', () => {
    const job = find(result, 'Job', 'migrate');
    const pod = job?.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.containers[0].image).toBe('clarion/migrate');
    const { env, problems } = podEnvironment(pod, result.configMaps, imageEnv(stages, 'migrate'), {}, SECRETS_DIR);
    expect(problems).toEqual([]);
    expect(configProblems(MigrateEnv, env, 'migrate')).toEqual([]);
    const placeholders = podEnvironment(pod, result.configMaps, imageEnv(stages, 'migrate'), {}, SAMPLE_SECRETS_DIR).env;
    expect(configProblems(MigrateEnv, placeholders, 'migrate')).toEqual([expect.stringMatching(/^DATABASE_MIGRATION_URL: is a published placeholder/)]);
    expect(pod.volumes.flatMap((v: { secret?: { secretName: string } }) => (v.secret ? [v.secret.secretName] : []))).toEqual(['clarion-migration-secrets']);
    for (const name of SERVICE_NAMES) {
      const volumes = find(result, 'Deployment', name)?.spec.template.spec.volumes ?? [];
      // The shared service secrets, and this service's own NATS identity: no pod holds another service's seed.
      expect(volumes.map((v: { secret?: { secretName: string } }) => v.secret?.secretName).filter(Boolean)).toEqual(['clarion-nats-' + name, 'clarion-service-secrets']);
    }
  });

  it('commits no Secret and no database, NATS or Redis (those are the operator’s)', () => {
    expect(result.objects.filter((o) => o.kind === 'Secret' || o.kind === 'StatefulSet')).toEqual([]);
  });

  it('changes environment only through the generated ConfigMaps, which this test reads', () => {
    for (const patch of result.patches) expect(JSON.stringify(patch)).not.toMatch(/"env(From)?":/);
  });
});

describe('the k8s reader', () => {
  it('reports a Deployment whose configuration its service would refuse', () => {
    const result = loadKustomization(repoPath('deploy', 'k8s', 'base'));
    const configMaps = new Map(result.configMaps);
    configMaps.set('clarion-gateway-config', { ...configMaps.get('clarion-gateway-config'), CORS_ORIGINS: '*' });
    const pod = structuredClone(find(result, 'Deployment', 'gateway')?.spec.template.spec);
    pod.volumes = pod.volumes.filter((v: { name: string }) => v.name !== 'secrets');
    const { env, problems } = podEnvironment(pod, configMaps, imageEnv(stages, 'gateway'), natsSamples('gateway'), SECRETS_DIR);
    expect(problems).toEqual([
      'DATABASE_URL_FILE=/run/secrets/clarion/database_url is not inside a mounted Secret',
      'REDIS_URL_FILE=/run/secrets/clarion/redis_url is not inside a mounted Secret',
    ]);
    expect(configProblems(SERVICE_ENV_CLASSES.gateway, env, 'gateway')).toEqual(
      expect.arrayContaining(["CORS_ORIGINS: '*' is not allowed in production; list the allowed origins"]),
    );
  });
});
