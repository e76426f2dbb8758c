/**
 * `npm run openapi [-- --check]` (`node dist/tools/openapi/main.js`): writes docs/openapi.json from the gateway's code
 * (no service, database or broker needed) and the typed client's types from it. With --check it writes nothing and
 * exits 1 when either file is stale.
 */
import { readWorkspaceVersion } from '@clarion/platform';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateOpenApiFiles } from './openapi-files';

function workspaceRoot(start = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no workspace (nx.json) above ${start}`);
  }
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const root = workspaceRoot();
  let status = 0;
  for (const file of await generateOpenApiFiles(readWorkspaceVersion())) {
    const path = join(root, file.path);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (current === file.text) {
      console.log(`${file.path} is up to date`);
    } else if (check) {
      console.error(`${file.path} is ${current === undefined ? 'missing' : 'stale'}; regenerate it with: npm run openapi`);
      status = 1;
    } else {
      writeFileSync(path, file.text);
      console.log(`${current === undefined ? 'wrote' : 'updated'} ${file.path}`);
    }
  }
  return status;
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    console.error(`openapi: ${err instanceof Error ? err.stack : String(err)}`);
    process.exitCode = 1;
  },
);
