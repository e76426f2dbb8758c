#!/usr/bin/env node
// Compiles every TypeScript source of the workspace (apps, libs, tools) into dist/ with SWC.
// Why SWC and not esbuild: NestJS dependency injection needs `emitDecoratorMetadata`, which esbuild does not emit.
// Why not per-app webpack bundles: OpenTelemetry instruments modules by hooking `require` of packages in
// node_modules, which bundling would hide. Workspace aliases (@clarion/*) are rewritten to relative paths here,
// so the output runs with plain `node dist/apps/<app>/src/main.js` and no runtime path hooks.
import { transformFile } from '@swc/core';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(root, 'dist');
const roots = ['apps', 'libs', 'tools'];
const testFile = /\.(spec|integration-spec|e2e-spec)\.ts$/;

async function collect(dir, acc) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return acc;
  }
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name === 'fixtures') continue;
      await collect(full, acc);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !testFile.test(entry.name)) {
      acc.push(full);
    }
  }
  return acc;
}

const tsconfig = JSON.parse(await readFile(join(root, 'tsconfig.base.json'), 'utf8'));
const swcrc = JSON.parse(await readFile(join(root, '.swcrc'), 'utf8'));
delete swcrc.$schema;

const started = Date.now();
if (!process.argv.includes('--incremental')) await rm(outDir, { recursive: true, force: true });
const files = (await Promise.all(roots.map((r) => collect(join(root, r), [])))).flat();
let done = 0;
const queue = [...files];
async function worker() {
  for (let file = queue.shift(); file; file = queue.shift()) {
    const out = await transformFile(file, {
      ...swcrc,
      swcrc: false,
      filename: file,
      sourceMaps: true,
      jsc: { ...swcrc.jsc, baseUrl: root, paths: tsconfig.compilerOptions.paths },
    });
    const target = join(outDir, relative(root, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(target), { recursive: true });
    const mapName = target.split('/').pop() + '.map';
    await writeFile(target, `${out.code}\n//# sourceMappingURL=${mapName}\n`);
    if (out.map) await writeFile(`${target}.map`, out.map);
    done++;
  }
}
await Promise.all(Array.from({ length: 8 }, worker));
// Non-TypeScript assets that ship with the code (SQL, JSON schemas).
console.log(`built ${done} files into dist/ in ${Date.now() - started} ms`);
