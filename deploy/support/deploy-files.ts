/**
 * Readers for the deployment files, shared by deploy/compose/compose.spec.ts and deploy/k8s/k8s.spec.ts: just enough
 * of Dockerfile, .dockerignore, Compose and Kustomize semantics to compute the environment a container really gets,
 * so that the tests can run each service's env class over it. No Docker or Kubernetes is needed.
 */
import { ConfigValidationError, validateEnv, type RawEnv } from '@clarion/config';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export const REPO_ROOT = resolve(__dirname, '..', '..');

/** The development placeholder secrets committed for compose (production refuses every one of them). */
export const SAMPLE_SECRETS_DIR = join(REPO_ROOT, 'deploy', 'compose', 'secrets');

/**
 * A fresh set of secrets as deploy/compose/generate-secrets.sh writes it, in a new directory: the secrets a deployment
 * uses (compose through the compose.env written next to them, Kubernetes Secrets made from the same files). Returns the
 * directory and compose.env's variables.
 */
export function generateSecrets(args: string[] = []): { dir: string; composeVariables: Record<string, string> } {
  const dir = join(mkdtempSync(join(tmpdir(), 'clarion-secrets-')), 'secrets');
  execFileSync('bash', [join(REPO_ROOT, 'deploy', 'compose', 'generate-secrets.sh'), ...args, dir], { stdio: 'pipe' });
  const composeVariables = Object.fromEntries(
    readFileSync(join(dir, 'compose.env'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return { dir, composeVariables };
}

// ---------------------------------------------------------------------------------------------------------------
// Dockerfile

export interface DockerInstruction {
  keyword: string;
  args: string;
}

export interface DockerStage {
  name: string | undefined;
  from: string;
  instructions: DockerInstruction[];
}

/** Stages of a Dockerfile, with line continuations joined and comments dropped. */
export function parseDockerfile(text: string): { globalArgs: Record<string, string>; stages: DockerStage[] } {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (pending && line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push((pending + line).trim());
    pending = '';
  }
  const globalArgs: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!m) throw new Error(`cannot read FROM ${args}`);
      stages.push({ from: m[1], name: m[2], instructions: [] });
    } else if (stages.length === 0) {
      if (upper !== 'ARG') throw new Error(`only ARG may precede the first FROM, found ${keyword}`);
      const [name, value = ''] = args.split('=');
      globalArgs[name] = value;
    } else {
      stages[stages.length - 1].instructions.push({ keyword: upper, args });
    }
  }
  return { globalArgs, stages };
}

/** `ENV A=1 B="two"` to pairs (the only ENV form this repository uses). */
export function parseEnvInstruction(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) out[m[1]] = m[3] ?? m[2];
  return out;
}

/** A stage and the stages it is built FROM, base first. */
export function stageChain(stages: DockerStage[], name: string): DockerStage[] {
  const chain: DockerStage[] = [];
  for (let stage = stages.find((s) => s.name === name); stage; stage = stages.find((s) => s.name === stage?.from)) {
    chain.unshift(stage);
  }
  if (chain.length === 0) throw new Error(`no stage ${name}`);
  return chain;
}

/** Instructions of a stage, its parents' included, in build order. */
export function stageInstructions(stages: DockerStage[], name: string, keyword: string): string[] {
  return stageChain(stages, name).flatMap((s) => s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args));
}

/** The environment an image built with `--build-arg APP=<app>` starts with. */
export function imageEnv(stages: DockerStage[], app: string): Record<string, string> {
  return Object.assign({}, ...stageInstructions(stages, `app-${app}`, 'ENV').map(parseEnvInstruction)) as Record<string, string>;
}

export function readDockerfile(): ReturnType<typeof parseDockerfile> {
  return parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
}

// ---------------------------------------------------------------------------------------------------------------
// .dockerignore

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Whether a path of the build context reaches the builder: the last matching .dockerignore pattern decides, and a
 * pattern that matches a parent directory matches everything under it (Docker's rules).
 */
export function dockerContextIncludes(dockerignore: string, path: string): boolean {
  const rules = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ exclude: !l.startsWith('!'), re: globToRegExp(posix.normalize(l.replace(/^!/, '')).replace(/\/$/, '')) }));
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let included = true;
  for (const rule of rules) {
    if (prefixes.some((p) => rule.re.test(p))) included = !rule.exclude;
  }
  return included;
}

// ---------------------------------------------------------------------------------------------------------------
// Compose

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Compose's variable interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `$$` (a literal `$`).
 * A variable that is neither in `variables` nor given a default is an error here: the committed file must work as is.
 */
export function interpolate(value: string, variables: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{(\w+)(?:(:?-)([^}]*))?\}/g, (whole, name: string | undefined, op: string | undefined, fallback: string | undefined) => {
    if (whole === '$$') return '$';
    const given = variables[name as string];
    if (op === ':-' ? given !== undefined && given !== '' : given !== undefined) return given as string;
    if (op !== undefined) return fallback ?? '';
    throw new Error(`\${${name}} has no default`);
  });
}

function interpolateAll(node: Json, variables: Record<string, string | undefined>): Json {
  if (typeof node === 'string') return interpolate(node, variables);
  if (Array.isArray(node)) return node.map((n) => interpolateAll(n, variables));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateAll(v, variables)]));
  return node;
}

export interface ComposeService {
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  image?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
  secrets?: Array<string | { source: string; target?: string }>;
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string; disable?: boolean };
  ports?: Array<string | { target: number; published?: string | number; protocol?: string }>;
  volumes?: Array<string | { source: string; target: string }>;
  restart?: string;
  user?: string;
  read_only?: boolean;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets: Record<string, { file: string }>;
}

export const COMPOSE_DIR = join(REPO_ROOT, 'deploy', 'compose');

/** The compose file as `docker compose config` would see it: merge keys resolved, variables interpolated. */
export function loadCompose(variables: Record<string, string | undefined> = {}): ComposeFile {
  const raw = parse(readFileSync(join(COMPOSE_DIR, 'docker-compose.yml'), 'utf8'), { merge: true }) as Json;
  return interpolateAll(raw, variables) as unknown as ComposeFile;
}

export function composeEnvironment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** In-container path of each secret a service mounts (`/run/secrets/<target or name>`) -> the file on the host. */
export function composeSecretFiles(compose: ComposeFile, serviceName: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const ref of compose.services[serviceName].secrets ?? []) {
    const source = typeof ref === 'string' ? ref : ref.source;
    const target = typeof ref === 'string' ? ref : (ref.target ?? ref.source);
    const declared = compose.secrets?.[source];
    if (!declared) throw new Error(`${serviceName} uses secret ${source}, which is not declared`);
    files.set(target.startsWith('/') ? target : `/run/secrets/${target}`, resolve(COMPOSE_DIR, declared.file));
  }
  return files;
}

// ---------------------------------------------------------------------------------------------------------------
// Kustomize (the subset deploy/k8s uses: resources, configMapGenerator with envs, images, patches)

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  data?: Record<string, string>;
}

interface Kustomization {
  resources?: string[];
  configMapGenerator?: Array<{ name: string; behavior?: 'create' | 'merge' | 'replace'; envs?: string[]; literals?: string[] }>;
  patches?: Array<{ path?: string; patch?: string }>;
}

function readEnvFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    if (eq < 1) throw new Error(`${path}: not KEY=VALUE: ${t}`);
    out[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return out;
}

export interface KustomizeResult {
  objects: K8sObject[];
  /** ConfigMaps from configMapGenerator, by generator name (before kustomize adds the hash suffix). */
  configMaps: Map<string, Record<string, string>>;
  /** Patch documents, for checks on what an overlay changes. */
  patches: K8sObject[];
}

/** Resources and generated ConfigMaps of a kustomization directory, its bases first. */
export function loadKustomization(dir: string): KustomizeResult {
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const result: KustomizeResult = { objects: [], configMaps: new Map(), patches: [] };
  for (const resource of k.resources ?? []) {
    const path = join(dir, resource);
    if (statSync(path).isDirectory()) {
      const sub = loadKustomization(path);
      result.objects.push(...sub.objects);
      result.patches.push(...sub.patches);
      for (const [name, data] of sub.configMaps) result.configMaps.set(name, data);
    } else {
      result.objects.push(...parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as K8sObject));
    }
  }
  for (const gen of k.configMapGenerator ?? []) {
    const data: Record<string, string> = {};
    for (const file of gen.envs ?? []) Object.assign(data, readEnvFile(join(dir, file)));
    for (const literal of gen.literals ?? []) data[literal.slice(0, literal.indexOf('='))] = literal.slice(literal.indexOf('=') + 1);
    const existing = result.configMaps.get(gen.name);
    if (gen.behavior === 'merge') {
      if (!existing) throw new Error(`${dir}: merges into ${gen.name}, which no base generates`);
      result.configMaps.set(gen.name, { ...existing, ...data });
    } else {
      if (existing && gen.behavior !== 'replace') throw new Error(`${dir}: generates ${gen.name} twice`);
      result.configMaps.set(gen.name, data);
    }
  }
  for (const patch of k.patches ?? []) {
    const text = patch.path ? readFileSync(join(dir, patch.path), 'utf8') : (patch.patch ?? '');
    result.patches.push(...parseAllDocuments(text).map((d) => d.toJS() as K8sObject));
  }
  return result;
}

export interface PodEnvironment {
  env: RawEnv;
  /** Problems the manifests themselves have (a ConfigMap that is not generated, a _FILE outside any mount, ...). */
  problems: string[];
}

/**
 * The environment of a pod template's first container: image ENV, then envFrom ConfigMaps, then env (Kubernetes'
 * precedence), with `*_FILE` paths inside a mounted Secret rewritten to the sample file of the same key.
 */
/** `_FILE` variables whose file is public (may come from a ConfigMap); every other one must be a Secret's. */
const PUBLIC_FILE_VARIABLES = new Set(['RPC_TRUSTED_KEYS_FILE']);

export function podEnvironment(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed manifest, read loosely on purpose
  podSpec: any,
  configMaps: Map<string, Record<string, string>>,
  baseEnv: Record<string, string>,
  /** Sample files for Secret keys that have no committed sample (a generated NATS seed, say): key -> file. */
  generatedSamples: Record<string, string> = {},
  /** Where the sample file of every other Secret key is (`<key>.txt`): the committed placeholders, or generated ones. */
  secretsDir = SAMPLE_SECRETS_DIR,
): PodEnvironment {
  const problems: string[] = [];
  const container = podSpec.containers[0];
  const env: RawEnv = { ...baseEnv };
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    const data = configMaps.get(name);
    if (!data) problems.push(`envFrom ${JSON.stringify(source)} is not a generated ConfigMap`);
    else Object.assign(env, data);
  }
  for (const e of container.env ?? []) {
    if (e.value === undefined) problems.push(`${e.name}: only literal values are understood here`);
    else env[e.name] = String(e.value);
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.endsWith('_FILE') || !value) continue;
    const mount = (container.volumeMounts ?? []).find((m: { mountPath: string }) => value.startsWith(`${m.mountPath}/`));
    const volume = mount && (podSpec.volumes ?? []).find((v: { name: string }) => v.name === mount.name);
    // Secrets, and public files (the trusted caller keys) from a ConfigMap the operator creates.
    const source: { secretName?: string; name?: string; items?: Array<{ key: string; path: string }> } | undefined = volume?.secret ?? volume?.configMap;
    if (!source || (volume.configMap && !PUBLIC_FILE_VARIABLES.has(name))) {
      problems.push(`${name}=${value} is not inside a mounted Secret`);
      continue;
    }
    const path = value.slice(mount.mountPath.length + 1);
    const key = source.items ? source.items.find((i) => i.path === path)?.key : path;
    const sample = key && (generatedSamples[key] ?? join(secretsDir, `${key}.txt`));
    const what = volume.secret ? `Secret ${source.secretName}` : `ConfigMap ${source.name}`;
    if (!sample || !existsSync(sample)) problems.push(`${name}=${value}: no key of ${what} is mounted there`);
    else env[name] = sample;
  }
  return { env, problems };
}

// ---------------------------------------------------------------------------------------------------------------

/** Runs an env class over an environment; the problems it reports (empty when the service would start). */
export function configProblems(envClass: new () => object, env: RawEnv, service: string): string[] {
  try {
    validateEnv(envClass, env, service);
    return [];
  } catch (err) {
    if (err instanceof ConfigValidationError) return err.problems.map((p) => `${p.variable}: ${p.reason}`);
    throw err;
  }
}

export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}
