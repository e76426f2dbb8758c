/**
 * `node dist/tools/config-doc/main.js [--check]`: regenerates the variables table of docs/CONFIGURATION.md from the
 * env classes. With --check it writes nothing and exits 1 when the doc is stale, listing what differs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { collectVariables, compareVariables, parseTable, updateDoc } from './config-doc';
import { ENV_READERS } from './env-readers';

/** The workspace root, found by walking up from this file (it runs from tools/ under jest and from dist/tools/ built). */
function workspaceRoot(start = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'clarion') return dir;
    if (dirname(dir) === dir) throw new Error(`no clarion package.json above ${start}`);
  }
}

function main(): number {
  const check = process.argv.includes('--check');
  const root = workspaceRoot();
  const docPath = join(root, 'docs', 'CONFIGURATION.md');
  const shown = relative(process.cwd(), docPath) || docPath;
  const current = readFileSync(docPath, 'utf8');
  const next = updateDoc(current, ENV_READERS);

  if (current === next) {
    console.log(`${shown} is up to date`);
    return 0;
  }
  if (check) {
    let differences: string[];
    try {
      differences = compareVariables(parseTable(current), collectVariables(ENV_READERS));
    } catch (err) {
      differences = [`the table cannot be read: ${(err as Error).message}`];
    }
    console.error(`${shown} is stale; regenerate it with: npm run build && node dist/tools/config-doc/main.js`);
    for (const d of differences.length ? differences : ['formatting differs from the generated table']) console.error(`  - ${d}`);
    return 1;
  }
  writeFileSync(docPath, next);
  console.log(`updated ${shown}`);
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`config-doc: ${(err as Error).message}`);
  process.exitCode = 1;
}
