import type { ClusteringStage } from '@clarion/clustering-core';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ClusteringWorkerInput, ClusteringWorkerMessage, ClusteringWorkerResult } from './clustering-worker.protocol';

/** Starts the thread that runs clustering-run.worker. */
export type ClusteringWorkerFactory = () => Worker;

/** The compiled worker next to this file (dist/apps/clustering/src/jobs/worker/clustering-run.worker.js). */
export const distWorkerFactory: ClusteringWorkerFactory = () => new Worker(join(__dirname, 'clustering-run.worker.js'));

/** Why a run in the worker stopped without a result. */
export class ClusteringWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusteringWorkerError';
  }
}

export interface ClusteringWorkerRun {
  result: Promise<ClusteringWorkerResult>;
  /** Terminates the thread; the result promise rejects with `reason`. */
  abort(reason: string): void;
}

/**
 * Runs one clustering in a fresh worker thread (fresh per run: the decoded profiles of a big tenant are freed with
 * the thread, and a stuck run can be terminated). The profile bytes are transferred, not copied.
 */
export function runInWorker(
  factory: ClusteringWorkerFactory,
  input: ClusteringWorkerInput,
  onStage: (stage: ClusteringStage) => void,
  timeoutMs: number,
): ClusteringWorkerRun {
  const worker = factory();
  let settled = false;
  let abort: (reason: string) => void = () => undefined;
  const result = new Promise<ClusteringWorkerResult>((resolve, reject) => {
    const finish = (outcome: { result: ClusteringWorkerResult } | { error: Error }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      if ('result' in outcome) resolve(outcome.result);
      else reject(outcome.error);
    };
    abort = (reason) => finish({ error: new ClusteringWorkerError(reason) });
    const timer = setTimeout(() => abort(`the clustering computation did not finish within ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
    worker.on('message', (message: ClusteringWorkerMessage) => {
      if (message.type === 'stage') {
        if (!settled) onStage(message.stage);
      } else if (message.type === 'result') {
        finish({ result: message.result });
      } else {
        finish({ error: new ClusteringWorkerError(`clustering failed: ${message.message}`) });
      }
    });
    worker.on('error', (err) => finish({ error: new ClusteringWorkerError(`the clustering worker crashed: ${err.message}`) }));
    worker.on('exit', (code) => finish({ error: new ClusteringWorkerError(`the clustering worker exited (code ${code}) without a result`) }));
  });
  worker.postMessage(input, [input.profileBytes, input.offsets.buffer as ArrayBuffer]);
  return { result, abort: (reason) => abort(reason) };
}
