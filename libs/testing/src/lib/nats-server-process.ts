import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

const CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

/**
 * A private NATS server (JetStream on) for one end-to-end suite, so the services it starts form their own queue
 * groups: another Clarion on the machine (`npm start`, a parallel run) can never answer this suite's requests.
 * It is the real nats-server binary, only on its own port and storage directory.
 */
export class NatsServerProcess {
  private child?: ChildProcess;
  private storeDir?: string;
  url = '';

  async start(): Promise<string> {
    const binary = CANDIDATES.find((p) => existsSync(p)) ?? 'nats-server';
    const port = await freePort();
    this.storeDir = mkdtempSync(join(tmpdir(), 'clarion-nats-'));
    this.child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', this.storeDir], { stdio: 'ignore' });
    this.url = `nats://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const open = await new Promise<boolean>((resolve) => {
        const socket = createConnection({ host: '127.0.0.1', port }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
      if (open) return this.url;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nats-server did not start on port ${port}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    if (this.storeDir) rmSync(this.storeDir, { recursive: true, force: true });
  }
}
