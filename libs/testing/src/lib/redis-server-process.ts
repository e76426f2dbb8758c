import { type RedisIdentity } from '@clarion/contracts';
import { ensureRedisCredentials, type RedisCredentialFiles } from '@clarion/persistence';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

const CANDIDATES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server'];

const running = (child: ChildProcess | undefined): boolean => !!child && child.exitCode === null && child.signalCode === null;

/**
 * A private redis-server for one suite, on a free loopback port with nothing persisted. With `acl: true` it runs
 * as Clarion is deployed: the ACL users rendered from libs/contracts (a user per service with only its keys and
 * commands, the default user off), with passwords made for this run; `urlOf(identity)` is that identity's
 * REDIS_URL. `aclText` starts it with a given ACL file instead (the committed template filled in, say).
 */
export class RedisServerProcess {
  private child?: ChildProcess;
  private dir?: string;
  port = 0;
  url = '';
  credentials?: RedisCredentialFiles;

  constructor(private readonly options: { acl?: boolean; aclText?: string } = {}) {}

  /** The REDIS_URL of an identity (with `acl`), or of the default user. */
  urlOf(identity?: RedisIdentity): string {
    if (identity === undefined) return this.url;
    if (!this.credentials) throw new Error('redis-server was started without ACL users');
    return this.credentials.url(identity);
  }

  async start(): Promise<string> {
    this.port = await freePort();
    this.dir = mkdtempSync(join(tmpdir(), 'clarion-redis-'));
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir];
    if (this.options.acl) {
      this.credentials = ensureRedisCredentials(join(this.dir, 'credentials'), { address: `127.0.0.1:${this.port}` });
      args.push('--aclfile', this.credentials.aclFile);
    } else if (this.options.aclText !== undefined) {
      const file = join(this.dir, 'users.acl');
      writeFileSync(file, this.options.aclText, { mode: 0o600 });
      args.push('--aclfile', file);
    }
    const binary = CANDIDATES.find((p) => existsSync(p)) ?? 'redis-server';
    let said = '';
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (said = `${said}${chunk.toString('utf8')}`.slice(-4000)));
    child.stderr?.on('data', (chunk: Buffer) => (said = `${said}${chunk.toString('utf8')}`.slice(-4000)));
    this.child = child;
    this.url = `redis://127.0.0.1:${this.port}`;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && running(child)) {
      if (await this.answers()) return this.url;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on port ${this.port}${running(child) ? '' : ` (exited with ${child.exitCode ?? child.signalCode})`}: ${said.trim()}`);
  }

  /** Whether the port answers a PING (NOAUTH counts: the server is up, it only wants a user). */
  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port: this.port }, () => socket.write('PING\r\n'));
      socket.once('data', (chunk) => {
        socket.destroy();
        resolve(/^(\+PONG|-NOAUTH)/.test(chunk.toString('utf8')));
      });
      socket.on('error', () => resolve(false));
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && running(child)) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 5000))]);
      if (timedOut) child.kill('SIGKILL');
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
