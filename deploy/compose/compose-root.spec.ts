/**
 * No Docker engine runs here, so this test reads the root compose.yaml as Compose would: a thin file that includes
 * deploy/compose/docker-compose.yml, which is loaded with its own directory as the project directory (the include
 * short syntax), so every relative path in it must resolve from deploy/compose.
 */
import { SERVICE_NAMES } from '@clarion/contracts';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/deploy-files';

interface RootCompose {
  name?: string;
  include?: Array<string | { path: string | string[]; project_directory?: string; env_file?: string | string[] }>;
  [key: string]: unknown;
}

interface IncludedCompose {
  name?: string;
  services: Record<string, { build?: { context: string; dockerfile?: string }; volumes?: unknown[] }>;
  secrets: Record<string, { file: string }>;
}

const root = parse(readFileSync(join(REPO_ROOT, 'compose.yaml'), 'utf8')) as RootCompose;

/** The included files, as paths from the repository root (the short syntax, or `path` of the long one). */
const includedPaths = (root.include ?? []).flatMap((entry) => (typeof entry === 'string' ? [entry] : [entry.path].flat()));

/** `${NAME:-default}` with the default, as Compose does when the variable is unset. */
const withDefaults = (value: string) => value.replace(/\$\{[A-Z_][A-Z0-9_]*:-([^}]*)\}/g, '$1');

describe('compose.yaml (the repository root)', () => {
  it('is a thin file: a project name and the include of deploy/compose/docker-compose.yml, nothing else', () => {
    expect(Object.keys(root).sort()).toEqual(['include', 'name']);
    expect(includedPaths).toEqual(['deploy/compose/docker-compose.yml']);
    for (const path of includedPaths) expect({ path, exists: existsSync(join(REPO_ROOT, path)) }).toEqual({ path, exists: true });
  });

  it('includes it with the short syntax, so its own directory stays the project directory of its relative paths', () => {
    for (const entry of root.include ?? []) expect(typeof entry).toBe('string');
  });

  const includedFile = join(REPO_ROOT, includedPaths[0] ?? 'missing.yml');
  const projectDir = dirname(includedFile);
  const included = parse(readFileSync(includedFile, 'utf8'), { merge: true }) as IncludedCompose;

  it('has the included project name, so that the two ways of starting the stack share containers and volumes', () => {
    expect(root.name).toBe(included.name);
    expect(root.name).toBe('clarion');
  });

  it('brings up every Clarion service, the one-shot jobs before them and the dependencies', () => {
    expect(Object.keys(included.services)).toEqual(
      expect.arrayContaining([...SERVICE_NAMES, 'migrate', 'nats-keys', 'postgres', 'nats', 'redis', 'jaeger', 'prometheus', 'grafana']),
    );
  });

  it('builds every image from the repository root and its Dockerfile when resolved from the included directory', () => {
    const built = Object.entries(included.services).filter(([, s]) => s.build);
    expect(built.map(([name]) => name)).toEqual(expect.arrayContaining([...SERVICE_NAMES, 'migrate']));
    for (const [name, service] of built) {
      const context = resolve(projectDir, service.build!.context);
      expect({ name, context }).toEqual({ name, context: REPO_ROOT });
      expect(existsSync(join(context, service.build!.dockerfile ?? 'Dockerfile'))).toBe(true);
    }
  });

  it('finds every bind-mounted file and every secret file from the included directory', () => {
    const binds = Object.values(included.services)
      .flatMap((s) => s.volumes ?? [])
      .filter((v): v is string => typeof v === 'string' && /^\.{1,2}\//.test(v))
      .map((v) => v.split(':')[0]);
    expect(binds.length).toBeGreaterThan(3);
    for (const bind of binds) expect({ bind, exists: existsSync(resolve(projectDir, bind)) }).toEqual({ bind, exists: true });
    const secrets = Object.values(included.secrets).map((s) => withDefaults(s.file));
    expect(secrets.length).toBeGreaterThan(3);
    for (const file of secrets) expect({ file, exists: existsSync(resolve(projectDir, file)) }).toEqual({ file, exists: true });
    // The same paths resolved from the root, as they would be without the include, mostly do not exist: the test can fail.
    expect(binds.some((bind) => !existsSync(resolve(REPO_ROOT, bind)))).toBe(true);
  });
});
