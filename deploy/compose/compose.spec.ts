/**
 * No Docker engine runs here, so this test reads the Dockerfile and deploy/compose/docker-compose.yml the way Docker
 * would and runs each service's env class over the environment its container would get (image ENV, then the compose
 * `environment`, with `/run/secrets/<name>` mapped back to the secret files on the host): as committed (development,
 * on the placeholders), in production on the placeholders (refused), and in production on the secrets
 * generate-secrets.sh writes, through its compose.env (accepted).
 */
import { describeEnv, isPlaceholder } from '@clarion/config';
import { REDIS_IDENTITIES, SERVICE_NAMES, type RedisIdentity } from '@clarion/contracts';
import { fillRedisAclTemplate } from '@clarion/persistence';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { SERVICE_ENV_CLASSES } from '../../tools/config-doc/env-readers';
import { composeLayout } from '../../tools/nats/compose-layout';
import { MigrateEnv } from '../../tools/migrate/migrate.env';
import {
  COMPOSE_DIR,
  composeEnvironment,
  composeSecretFiles,
  configProblems,
  dockerContextIncludes,
  generateSecrets,
  imageEnv,
  loadCompose,
  readDockerfile,
  repoPath,
  stageInstructions,
  type ComposeFile,
} from '../support/deploy-files';

const { globalArgs, stages } = readDockerfile();

// What the nats-keys job writes into its volume, made here once the way the job makes it.
const NATS_KEYS = mkdtempSync(join(tmpdir(), 'clarion-compose-nats-'));
composeLayout(NATS_KEYS, ['nats', 'localhost'], false);

/** What the container of a compose service sees, with secret and nats-keys paths rewritten to the files behind them. */
function containerEnv(compose: ComposeFile, name: string, app = name): Record<string, string> {
  const env = { ...imageEnv(stages, app), ...composeEnvironment(compose.services[name]) };
  const secrets = composeSecretFiles(compose, name);
  for (const [target, subpath] of natsKeysMounts(compose, name)) {
    for (const file of ['nats_nkey_seed', 'nats_ca', 'rpc_signing_key', 'rpc_trusted_keys']) secrets.set(`${target}/${file}`, join(NATS_KEYS, subpath, file));
  }
  for (const [key, value] of Object.entries(env)) {
    if (!key.endsWith('_FILE')) continue;
    const file = secrets.get(value);
    if (!file) throw new Error(`${name}: ${key}=${value} is not a secret the service mounts`);
    env[key] = file;
  }
  return env;
}

/** The service's mounts of the nats-keys volume: target -> subpath. */
function natsKeysMounts(compose: ComposeFile, name: string): Map<string, string> {
  const mounts = new Map<string, string>();
  for (const volume of (compose.services[name] as { volumes?: unknown[] }).volumes ?? []) {
    if (typeof volume === 'object' && volume !== null && (volume as { source?: string }).source === 'nats-keys') {
      const v = volume as { target: string; read_only?: boolean; volume?: { subpath?: string } };
      mounts.set(v.target, v.volume?.subpath ?? '');
    }
  }
  return mounts;
}

function readSecret(compose: ComposeFile, name: string): string {
  return readFileSync(resolve(COMPOSE_DIR, compose.secrets[name].file), 'utf8').replace(/\n$/, '');
}

/** The uid each container that mounts secrets runs as: the Clarion images' USER, `user: redis`, the images' own. */
function containerUid(compose: ComposeFile, name: string): number {
  const own: Record<string, number> = { postgres: 999, redis: 999, grafana: 472 };
  if (compose.services[name].build) return Number((stageInstructions(stages, 'runtime', 'USER').at(-1) ?? '').split(':')[0]);
  if (own[name] === undefined) throw new Error(`no uid known for ${name}`);
  return own[name];
}

// A deployment's own secrets, as generate-secrets.sh writes them, and compose started on them through compose.env.
const GENERATED = generateSecrets(['--force']);

describe('docker-compose.yml', () => {
  const compose = loadCompose();
  const production = loadCompose({ CLARION_COMPOSE_ENV: 'production' });
  const generated = loadCompose(GENERATED.composeVariables);

  it.each(SERVICE_NAMES)('builds %s from the root Dockerfile with APP set to its name', (name) => {
    const service = compose.services[name];
    expect(service).toBeDefined();
    expect(resolve(COMPOSE_DIR, service.build?.context ?? '')).toBe(repoPath());
    expect(service.build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
    expect(service.build?.args).toEqual({ APP: name });
    expect(service.image).toMatch(new RegExp(`/${name}:`));
  });

  it.each(SERVICE_NAMES)('gives %s an environment its env class accepts in production on generated secrets, secrets only as files', (name) => {
    const env = containerEnv(generated, name);
    expect(env['CLARION_ENV']).toBe('production');
    expect(configProblems(SERVICE_ENV_CLASSES[name], env, name)).toEqual([]);
    for (const d of describeEnv(SERVICE_ENV_CLASSES[name]).filter((v) => v.secret)) {
      expect({ variable: d.name, setInPlainText: env[d.name] !== undefined }).toEqual({ variable: d.name, setInPlainText: false });
    }
  });

  it.each(SERVICE_NAMES)('runs %s in development on the committed placeholders, which production refuses one by one', (name) => {
    const env = containerEnv(compose, name);
    expect(env['CLARION_ENV']).toBe('development');
    expect(configProblems(SERVICE_ENV_CLASSES[name], env, name)).toEqual([]);
    // The same file with CLARION_ENV=production: every secret read from ./secrets is refused, and nothing else.
    const committed = Object.entries(containerEnv(production, name))
      .filter(([key, file]) => key.endsWith('_FILE') && file.startsWith(`${COMPOSE_DIR}/secrets/`))
      .map(([key]) => key.replace(/_FILE$/, ''));
    expect(committed).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL']));
    expect(configProblems(SERVICE_ENV_CLASSES[name], containerEnv(production, name), name)).toEqual(
      committed.map((variable) => expect.stringMatching(new RegExp(`^${variable}: is a published placeholder`))),
    );
  });

  it('would catch a service whose environment is refused (a check that can fail)', () => {
    const broken = loadCompose(GENERATED.composeVariables);
    const gateway = broken.services['gateway'];
    gateway.environment = { ...composeEnvironment(gateway), CORS_ORIGINS: '*' };
    delete (gateway.environment as Record<string, string>)['DATABASE_URL_FILE'];
    expect(configProblems(SERVICE_ENV_CLASSES.gateway, containerEnv(broken, 'gateway'), 'gateway')).toEqual([
      'DATABASE_URL: must be set in production (the development default is refused)',
      "CORS_ORIGINS: '*' is not allowed in production; list the allowed origins",
    ]);
  });

  it('gives each service only its own NATS identity, and nats-server only its own directory, all read-only', () => {
    for (const name of SERVICE_NAMES) expect([...natsKeysMounts(compose, name)]).toEqual([['/run/nats', name]]);
    expect([...natsKeysMounts(compose, 'nats')]).toEqual([['/nats', 'server']]);
    for (const name of [...SERVICE_NAMES, 'nats']) {
      const mounts = ((compose.services[name] as { volumes?: unknown[] }).volumes ?? []).filter((v) => (v as { source?: string }).source === 'nats-keys');
      expect(mounts).toEqual([expect.objectContaining({ read_only: true })]);
    }
    expect((compose.services['nats'] as { command: string[] }).command).toEqual(['nats-server', '-c', '/nats/nats-server.conf']);
    const job = compose.services['nats-keys'] as { command: string[]; image: string };
    expect(job.command.slice(0, 5)).toEqual(['node', 'dist/tools/nats/main.js', 'compose', '--out', '/nats']);
    expect(job.image).toMatch(/\/migrate:/);
    // What the job writes is a configuration nats-server accepts (names the certificate where the mount puts it).
    const config = readFileSync(join(NATS_KEYS, 'server', 'nats-server.conf'), 'utf8');
    expect(config).toContain('cert_file: "/nats/server.crt"');
    expect(readFileSync(join(NATS_KEYS, 'gateway', 'nats_nkey_seed'), 'ascii')).toMatch(/^SU[A-Z2-7]{56}\n$/);
  });

  it('runs the migration once, with the migrate image and the schema owner, before any service starts', () => {
    const migrate = compose.services['migrate'];
    expect(migrate.build?.args).toEqual({ APP: 'migrate' });
    expect(migrate.restart).toBe('no');
    const env = containerEnv(generated, 'migrate');
    expect(env['CLARION_ENV']).toBe('production');
    expect(configProblems(MigrateEnv, env, 'migrate')).toEqual([]);
    expect(configProblems(MigrateEnv, containerEnv(compose, 'migrate'), 'migrate')).toEqual([]);
    expect(configProblems(MigrateEnv, containerEnv(production, 'migrate'), 'migrate')).toEqual([expect.stringMatching(/^DATABASE_MIGRATION_URL: is a published placeholder/)]);
    expect(new URL(readSecret(compose, 'database_migration_url')).username).toBe('clarion_owner');
    for (const name of SERVICE_NAMES) {
      expect(compose.services[name].depends_on).toMatchObject({ migrate: { condition: 'service_completed_successfully' } });
    }
  });

  it('has a health check on every Clarion service (readiness) and on each dependency they wait for', () => {
    for (const name of SERVICE_NAMES) {
      expect(compose.services[name].healthcheck?.test).toEqual(['CMD', 'node', '/app/healthcheck.js', '/readyz']);
    }
    for (const [name, service] of Object.entries(compose.services)) {
      const deps = Array.isArray(service.depends_on) ? {} : (service.depends_on ?? {});
      for (const [dep, { condition }] of Object.entries(deps)) {
        expect(compose.services[dep]).toBeDefined();
        if (condition === 'service_healthy') {
          expect({ service: name, dependsOn: dep, healthcheck: compose.services[dep].healthcheck !== undefined }).toEqual({
            service: name,
            dependsOn: dep,
            healthcheck: true,
          });
        }
      }
    }
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'nats', 'redis', 'jaeger', 'prometheus', 'grafana']));
  });

  it('publishes the gateway HTTP port and the ingest flow ports', () => {
    expect(compose.services['gateway'].ports).toEqual([`3000:${new SERVICE_ENV_CLASSES.gateway().HTTP_PORT}`]);
    expect(compose.services['ingest'].ports).toEqual(['2055:2055/udp', '4739:4739/udp', '6343:6343/udp']);
  });

  it('connects each service as its own database role, from a URL file only that service mounts', () => {
    for (const name of SERVICE_NAMES) {
      const mounted = [...composeSecretFiles(compose, name)].filter(([, file]) => /_database_url\.txt$/.test(file));
      expect(mounted).toEqual([['/run/secrets/database_url', resolve(COMPOSE_DIR, compose.secrets[`${name}_database_url`].file)]]);
      expect(new URL(readFileSync(containerEnv(compose, name)['DATABASE_URL_FILE'], 'utf8').trim()).username).toBe(`clarion_${name}`);
    }
  });

  it('connects each service to Redis as its own ACL user, from a URL file only that service mounts', () => {
    for (const name of SERVICE_NAMES) {
      const mounted = [...composeSecretFiles(compose, name)].filter(([, file]) => /redis/.test(file));
      expect(mounted).toEqual([['/run/secrets/redis_url', resolve(COMPOSE_DIR, compose.secrets[`${name}_redis_url`].file)]]);
      expect(new URL(readFileSync(containerEnv(compose, name)['REDIS_URL_FILE'], 'utf8').trim()).username).toBe(name);
    }
  });

  it('starts Redis with deploy/redis/users.acl, each placeholder filled from its password secret as fillRedisAclTemplate does', () => {
    const redis = compose.services['redis'] as { command: string[]; volumes: string[]; healthcheck: { test: string[] } };
    const [shell, flag, script] = redis.command;
    expect([shell, flag]).toEqual(['sh', '-c']);
    const template = redis.volumes.find((v) => v.endsWith(':/etc/clarion/users.acl:ro'))?.split(':')[0] ?? '';
    expect(resolve(COMPOSE_DIR, template)).toBe(repoPath('deploy', 'redis', 'users.acl'));
    // Run the container's script here: its secrets and the template where the mounts put them, redis-server replaced
    // by printing what it would be given.
    const dir = mkdtempSync(join(tmpdir(), 'clarion-compose-redis-'));
    try {
      mkdirSync(join(dir, 'secrets'));
      for (const [target, file] of composeSecretFiles(compose, 'redis')) copyFileSync(file, join(dir, 'secrets', target.replace('/run/secrets/', '')));
      const local = script
        .replace(/\$\$/g, '$')
        .replaceAll('/tmp/', `${dir}/`)
        .replaceAll('/run/secrets/', `${dir}/secrets/`)
        .replaceAll('/etc/clarion/users.acl', resolve(COMPOSE_DIR, template))
        .replace(/exec redis-server (\S+) .*$/, 'cat $1 && cat ' + `${dir}/users.acl`);
      expect(local).not.toMatch(/redis-server|\/run\/|\/etc\//);
      const printed = execFileSync('sh', ['-c', local], { encoding: 'utf8' });
      const passwords = Object.fromEntries(REDIS_IDENTITIES.map((id) => [id, readSecret(compose, `redis_${id}_password`)])) as Record<RedisIdentity, string>;
      expect(printed).toBe(`aclfile ${dir}/users.acl\n${fillRedisAclTemplate(readFileSync(repoPath('deploy', 'redis', 'users.acl'), 'utf8'), passwords)}`);
      expect(printed).not.toMatch(/@[A-Z]+_PASSWORD_SHA256@/);
      // An empty password secret would be a password anyone knows: Redis does not start.
      writeFileSync(join(dir, 'secrets', 'redis_ingest_password'), '\n');
      const refused = spawnSync('sh', ['-c', local], { encoding: 'utf8' });
      expect([refused.status, refused.stderr.trim()]).toEqual([1, 'redis_ingest_password is missing or empty']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(redis.healthcheck.test.join(' ')).toContain('redis-cli --user operator ping');
  });

  it('keeps the placeholder secrets consistent: URL passwords equal the role passwords', () => {
    const owner = new URL(readSecret(compose, 'database_migration_url'));
    for (const name of SERVICE_NAMES) {
      const url = new URL(readSecret(compose, `${name}_database_url`));
      expect([url.username, url.password, url.host, url.pathname]).toEqual([`clarion_${name}`, readSecret(compose, `clarion_${name}_password`), 'postgres:5432', '/clarion']);
    }
    expect([owner.username, owner.password, owner.host, owner.pathname]).toEqual(['clarion_owner', readSecret(compose, 'clarion_owner_password'), 'postgres:5432', '/clarion']);
    for (const name of SERVICE_NAMES) {
      const redis = new URL(readSecret(compose, `${name}_redis_url`));
      expect([redis.username, redis.password, redis.host]).toEqual([name, readSecret(compose, `redis_${name}_password`), 'redis:6379']);
    }
    for (const name of Object.keys(compose.secrets)) {
      expect({ name, placeholder: isPlaceholder(readSecret(compose, name)) }).toEqual({ name, placeholder: true });
      expect(readSecret(compose, name)).toMatch(/dev-only/);
    }
  });

  it('has generate-secrets.sh write every secret 0600 in a 0700 directory, and, run as root, owned by the one container that reads it', () => {
    expect(statSync(GENERATED.dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(GENERATED.dir).filter((f) => f.endsWith('.txt'));
    expect(files.sort()).toEqual(Object.values(generated.secrets).map((s) => s.file.slice(GENERATED.dir.length + 1)).sort());
    const readers = new Map<string, Set<number>>();
    for (const name of Object.keys(generated.services)) {
      for (const file of composeSecretFiles(generated, name).values()) readers.set(file, (readers.get(file) ?? new Set()).add(containerUid(generated, name)));
    }
    const own = process.getuid?.() ?? -1;
    for (const file of files.map((f) => join(GENERATED.dir, f))) {
      const stat = statSync(file);
      const uids = [...(readers.get(file) ?? [])];
      // One reader per secret (a 0600 file has one owner who may read it), the owner that reader when root wrote it.
      expect({ file, mode: (stat.mode & 0o777).toString(8), readers: uids.length }).toEqual({ file, mode: '600', readers: 1 });
      expect({ file, owner: stat.uid }).toEqual({ file, owner: own === 0 ? uids[0] : own });
    }
    expect(GENERATED.composeVariables).toEqual({ CLARION_COMPOSE_ENV: 'production', CLARION_SECRETS_DIR: GENERATED.dir });
  });

  it('also accepts the secrets generate-secrets.sh writes, through CLARION_SECRETS_DIR', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clarion-secrets-'));
    try {
      execFileSync('bash', [join(COMPOSE_DIR, 'generate-secrets.sh'), '--force', dir], { stdio: 'pipe' });
      const generated = loadCompose({ CLARION_COMPOSE_ENV: 'production', CLARION_SECRETS_DIR: dir });
      for (const name of Object.keys(generated.secrets)) expect(existsSync(resolve(COMPOSE_DIR, generated.secrets[name].file))).toBe(true);
      for (const name of SERVICE_NAMES) expect(configProblems(SERVICE_ENV_CLASSES[name], containerEnv(generated, name), name)).toEqual([]);
      expect(configProblems(MigrateEnv, containerEnv(generated, 'migrate'), 'migrate')).toEqual([]);
      for (const name of SERVICE_NAMES) {
        expect(new URL(readSecret(generated, `${name}_database_url`)).password).toBe(readSecret(generated, `clarion_${name}_password`));
        expect(readSecret(generated, `clarion_${name}_password`)).toMatch(/^[0-9a-f]{48}$/);
      }
      expect(readSecret(generated, 'clarion_app_password')).toMatch(/^[0-9a-f]{48}$/);
      for (const name of SERVICE_NAMES) {
        expect(new URL(readSecret(generated, `${name}_redis_url`)).password).toBe(readSecret(generated, `redis_${name}_password`));
      }
      // --redis-only gives the Redis users new passwords and touches nothing else.
      const before = { redis: readSecret(generated, 'redis_gateway_password'), database: readSecret(generated, 'gateway_database_url') };
      execFileSync('bash', [join(COMPOSE_DIR, 'generate-secrets.sh'), '--redis-only', dir], { stdio: 'pipe' });
      expect(readSecret(generated, 'redis_gateway_password')).not.toBe(before.redis);
      expect(new URL(readSecret(generated, 'gateway_redis_url')).password).toBe(readSecret(generated, 'redis_gateway_password'));
      expect(readSecret(generated, 'gateway_database_url')).toBe(before.database);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mounts tools/infra/db-setup.sh and the init script that runs it into PostgreSQL', () => {
    const volumes = (compose.services['postgres'].volumes ?? []).map(String);
    expect(volumes).toContain('../../tools/infra/db-setup.sh:/opt/clarion/db-setup.sh:ro');
    expect(volumes).toContain('./postgres/init-clarion.sh:/docker-entrypoint-initdb.d/10-clarion.sh:ro');
    expect(readFileSync(join(COMPOSE_DIR, 'postgres', 'init-clarion.sh'), 'utf8')).toContain('bash /opt/clarion/db-setup.sh clarion');
    for (const v of [...volumes, ...(compose.services['prometheus'].volumes ?? []).map(String), ...(compose.services['grafana'].volumes ?? []).map(String)]) {
      const source = v.split(':')[0];
      if (source.startsWith('.')) expect({ volume: v, exists: existsSync(resolve(COMPOSE_DIR, source)) }).toEqual({ volume: v, exists: true });
    }
  });
});

describe('deploy/prometheus/prometheus.yml', () => {
  const compose = loadCompose();
  const config = parse(readFileSync(repoPath('deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as {
    rule_files: string[];
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[]; labels?: Record<string, string> }> }>;
  };

  it.each(SERVICE_NAMES)("scrapes %s on the ops port its configuration resolves to, labelled with the service", (name) => {
    const opsPort = (new SERVICE_ENV_CLASSES[name]() as { OPS_PORT: number }).OPS_PORT;
    const effective = Number(containerEnv(compose, name)['OPS_PORT'] ?? opsPort);
    const clarion = config.scrape_configs.find((c) => c.job_name === 'clarion');
    expect(clarion?.static_configs).toContainEqual({ targets: [`${name}:${effective}`], labels: { service: name } });
  });

  it('is the file compose mounts, with its alert rules next to it', () => {
    expect(compose.services['prometheus'].volumes).toContain('../prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    for (const file of config.rule_files) expect(existsSync(repoPath('deploy', 'prometheus', file))).toBe(true);
  });
});

describe('Dockerfile', () => {
  const dockerignore = readFileSync(repoPath('.dockerignore'), 'utf8');

  it.each(SERVICE_NAMES)('has a stage for %s: its ops port, its command, and the ports it listens on', (name) => {
    const defaults = new SERVICE_ENV_CLASSES[name]() as { OPS_PORT: number; HTTP_PORT?: number };
    expect(imageEnv(stages, name)['OPS_PORT']).toBe(String(defaults.OPS_PORT));
    const expose = stageInstructions(stages, `app-${name}`, 'EXPOSE').join(' ').split(/\s+/);
    expect(expose).toContain(`${defaults.OPS_PORT}/tcp`);
    if (name === 'gateway') expect(expose).toContain(`${defaults.HTTP_PORT}/tcp`);
    if (name === 'ingest') expect(expose).toEqual(expect.arrayContaining(['2055/udp', '4739/udp', '6343/udp']));
    const cmd = stageInstructions(stages, `app-${name}`, 'CMD').at(-1);
    expect(JSON.parse(cmd ?? 'null')).toEqual(['node', `dist/apps/${name}/src/main.js`]);
    expect(existsSync(repoPath('apps', name, 'src', 'main.ts'))).toBe(true);
  });

  it('has a migrate stage that runs the migration tool and serves no health check', () => {
    expect(JSON.parse(stageInstructions(stages, 'app-migrate', 'CMD').at(-1) ?? 'null')).toEqual(['node', 'dist/tools/migrate/migrate.js']);
    expect(stageInstructions(stages, 'app-migrate', 'HEALTHCHECK').at(-1)).toBe('NONE');
    expect(existsSync(repoPath('tools', 'migrate', 'migrate.ts'))).toBe(true);
  });

  it('builds the stage named by APP, on a Node LTS slim image, as a non-root user with production settings', () => {
    expect(stages.at(-1)?.from).toBe('app-${APP}');
    expect(globalArgs['APP']).toBe('gateway');
    expect(globalArgs['NODE_IMAGE']).toMatch(/^node:(22|24|26)-\w+-slim$/);
    const runtimeEnv = imageEnv(stages, 'auth');
    expect([runtimeEnv['NODE_ENV'], runtimeEnv['CLARION_ENV']]).toEqual(['production', 'production']);
    const user = stageInstructions(stages, 'runtime', 'USER').at(-1) ?? 'root';
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(stageInstructions(stages, 'runtime', 'ENTRYPOINT').at(-1)).toBe('["/usr/bin/tini", "--"]');
    expect(stageInstructions(stages, 'runtime', 'HEALTHCHECK').at(-1)).toMatch(/CMD \["node", "\/app\/healthcheck.js", "\/healthz"\]$/);
    expect(stageInstructions(stages, 'prod-deps', 'RUN').join(' ')).toContain('npm ci --omit=dev');
  });

  it('sends the builder what the COPY instructions need, and no local installs, builds or secrets', () => {
    const sources = stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(['package-lock.json', 'apps', 'deploy/docker/healthcheck.js']));
    for (const source of sources) {
      expect({ source, exists: existsSync(repoPath(source)), included: dockerContextIncludes(dockerignore, source) }).toEqual({ source, exists: true, included: true });
    }
    for (const path of ['node_modules/yaml/package.json', 'dist/apps/gateway/src/main.js', '.git/HEAD', 'deploy/compose/secrets/gateway_database_url.txt', 'apps/gateway/src/gateway.env.spec.ts', '.env']) {
      expect({ path, included: dockerContextIncludes(dockerignore, path) }).toEqual({ path, included: false });
    }
    expect(dockerContextIncludes(dockerignore, 'libs/config/src/lib/validate-env.ts')).toBe(true);
  });
});
