// Test support: runs clustering-run.worker from its TypeScript source (jest runs sources; the service runs dist). The
// worker thread gets a require hook that compiles .ts with SWC exactly as the build does, @clarion/* included.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ClusteringWorkerFactory } from '../worker/clustering-worker.host';

const ROOT = resolve(__dirname, '..', '..', '..', '..', '..');

const BOOTSTRAP = `
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const { workerData } = require('node:worker_threads');
const { transformSync } = require(workerData.swcCore);
Module._extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...workerData.swcOptions, filename });
  module._compile(code, filename);
};
require(workerData.entry);
`;

export function sourceWorkerFactory(): ClusteringWorkerFactory {
  const swcrc = JSON.parse(readFileSync(join(ROOT, '.swcrc'), 'utf8')) as { $schema?: string; jsc: Record<string, unknown> };
  const { compilerOptions } = JSON.parse(readFileSync(join(ROOT, 'tsconfig.base.json'), 'utf8')) as { compilerOptions: { paths: unknown } };
  delete swcrc.$schema;
  const swcOptions = { ...swcrc, swcrc: false, sourceMaps: 'inline', jsc: { ...swcrc.jsc, baseUrl: ROOT, paths: compilerOptions.paths } };
  const workerData = {
    entry: join(ROOT, 'apps/clustering/src/jobs/worker/clustering-run.worker.ts'),
    swcCore: require.resolve('@swc/core'),
    swcOptions,
  };
  return () => new Worker(BOOTSTRAP, { eval: true, workerData });
}
