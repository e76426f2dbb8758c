import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { TestInfra } from './test-infra';

/** The workspace root (where nx.json is), whether this file runs from its TypeScript source or from dist/. */
function workspaceRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(resolve(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) return resolve(from, '..', '..', '..', '..');
  }
}

export const REPO_ROOT = workspaceRoot(__dirname);

export type LogLine = Record<string, unknown> & { msg?: string; service?: string; trace_id?: string };

/**
 * One built Clarion service (`dist/apps/<app>/src/main.js`) run as a real process, the way `npm start` and a
 * container run it. Collects its JSON log lines and stderr for assertions. It connects to the test database as its
 * own role (`clarion_<app>`, TestInfra.serviceUrl) unless `env` names a DATABASE_URL.
 */
export class ServiceProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  private child?: ChildProcess;
  private exited?: Promise<number | null>;

  constructor(
    readonly app: string,
    private readonly env: Record<string, string>,
    /** Extra node flags, e.g. ['--cpu-prof'] (not allowed in NODE_OPTIONS). */
    private readonly nodeArgs: readonly string[] = [],
  ) {}

  /** The process id while running (for CPU accounting in benchmarks). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): this {
    const child = spawn(process.execPath, [...this.nodeArgs, resolve(REPO_ROOT, 'dist/apps', this.app, 'src/main.js')], {
      cwd: REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '', DATABASE_URL: TestInfra.roleUrl(`clarion_${this.app}`), ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.logs.push(JSON.parse(line) as LogLine);
      } catch {
        this.logs.push({ msg: line });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
    return this;
  }

  /** Resolves with the exit code once the process ends (or null when killed by a signal). */
  waitForExit(timeoutMs = 15_000): Promise<number | null> {
    return Promise.race([
      this.exited!,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${this.app} did not exit within ${timeoutMs} ms`)), timeoutMs)),
    ]);
  }

  async stop(): Promise<number | null> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return this.child?.exitCode ?? null;
    this.child.kill('SIGTERM');
    try {
      return await this.waitForExit(15_000);
    } catch {
      this.child.kill('SIGKILL');
      return null;
    }
  }
}

export async function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}

/** Polls until `probe` returns true or the deadline passes. */
export async function waitFor(probe: () => Promise<boolean> | boolean, timeoutMs: number, what: string, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}

export async function waitForReady(opsPort: number, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => (await httpGet(`http://127.0.0.1:${opsPort}/readyz`, 2000)).status === 200, timeoutMs, `readiness on port ${opsPort}`);
}
