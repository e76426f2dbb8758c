/**
 * `npm run config-doc [-- --check]` (`node dist/tools/config-doc/main.js`): regenerates, from the env classes, the
 * variables table of docs/CONFIGURATION.md and the whole of .env.example. With --check it writes nothing and exits 1
 * when either is stale, listing what differs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { collectVariables, compareVariables, parseTable, updateDoc } from './config-doc';
import { renderEnvExample, type EnvExampleInput } from './env-example';
import { ENV_READERS } from './env-readers';
import { COMPOSE_SOURCE, ENV_SOURCES } from './script-variables';

/** The workspace root, found by walking up from this file (it runs from tools/ under jest and from dist/tools/ built). */
export function workspaceRoot(start = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'clarion') return dir;
    if (dirname(dir) === dir) throw new Error(`no clarion package.json above ${start}`);
  }
}

/** What .env.example is generated from, read from the workspace at `root`. */
export function envExampleInput(root: string): EnvExampleInput {
  const read = (path: string) => readFileSync(join(root, path), 'utf8');
  return {
    readers: ENV_READERS,
    sources: ENV_SOURCES.map((s) => ({ ...s, text: read(s.path), setsServiceEnv: s.path === 'tools/dev/run-services.mjs' })),
    compose: { path: COMPOSE_SOURCE, text: read(COMPOSE_SOURCE) },
  };
}

interface Generated {
  path: string;
  current: string;
  next: string;
  /** What differs, for --check. */
  differences: () => string[];
}

function generated(root: string): Generated[] {
  const docPath = join(root, 'docs', 'CONFIGURATION.md');
  const doc = readFileSync(docPath, 'utf8');
  const examplePath = join(root, '.env.example');
  const example = existsSync(examplePath) ? readFileSync(examplePath, 'utf8') : '';
  return [
    {
      path: docPath,
      current: doc,
      next: updateDoc(doc, ENV_READERS),
      differences: () => {
        try {
          return compareVariables(parseTable(doc), collectVariables(ENV_READERS));
        } catch (err) {
          return [`the table cannot be read: ${(err as Error).message}`];
        }
      },
    },
    { path: examplePath, current: example, next: renderEnvExample(envExampleInput(root)), differences: () => (example ? [] : ['the file is missing']) },
  ];
}

function main(): number {
  const check = process.argv.includes('--check');
  let status = 0;
  for (const file of generated(workspaceRoot())) {
    const shown = relative(process.cwd(), file.path) || file.path;
    if (file.current === file.next) {
      console.log(`${shown} is up to date`);
    } else if (check) {
      console.error(`${shown} is stale; regenerate it with: npm run config-doc`);
      const differences = file.differences();
      for (const d of differences.length ? differences : ['it differs from what the generator writes']) console.error(`  - ${d}`);
      status = 1;
    } else {
      writeFileSync(file.path, file.next);
      console.log(`updated ${shown}`);
    }
  }
  return status;
}

if (require.main === module) {
  try {
    process.exitCode = main();
  } catch (err) {
    console.error(`config-doc: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
