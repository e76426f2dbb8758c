import { NATS_IDENTITIES, type NatsIdentity, type ServiceName } from '@clarion/contracts';
import { CallerSigner, callerSigningKeyOf, ensureNatsCredentials, renderNatsServerConfig, type NatsClientIdentity, type NatsCredentialFiles } from '@clarion/messaging';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

const CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

const running = (child: ChildProcess | undefined): boolean => !!child && child.exitCode === null && child.signalCode === null;

/**
 * A private NATS server (JetStream on) for one end-to-end suite, so the services it starts form their own queue
 * groups: another Clarion on the machine (`npm start`, a parallel run) can never answer this suite's requests.
 * It is the real nats-server binary, only on its own port and storage directory. Outage tests take it down with
 * `kill()` (or hang it with `freeze()`) and bring it back with `restart()` on the same port and JetStream store.
 */
export class NatsServerProcess {
  private child?: ChildProcess;
  private storeDir?: string;
  private port?: number;
  url = '';
  /** With `secure`, the identities' seeds and the TLS files of this server (in its own temporary directory). */
  credentials?: NatsCredentialFiles;

  /**
   * `secure: true` runs the server as Clarion is deployed: the configuration rendered from libs/contracts (an nkey
   * and exact subject permissions per identity, no anonymous clients) and TLS with a certificate made for this run.
   */
  constructor(private readonly options: { secure?: boolean } = {}) {}

  /** How the given identity connects to this server (for natsConnectionOptions or a service's environment). */
  clientOf(identity: NatsIdentity, name = `test-${identity}`): NatsClientIdentity {
    if (!this.credentials) return { servers: this.url, name };
    const { seedFile, caFile } = this.credentials;
    return { servers: this.url, name, identity, nkeySeed: readFileSync(seedFile(identity), 'ascii'), tlsCa: readFileSync(caFile, 'ascii') };
  }

  /** The NATS variables a service process of `identity` needs to reach this server. */
  envOf(identity: NatsIdentity): Record<string, string> {
    const callers = identity === 'operator' ? {} : this.callerKeysEnvOf(identity);
    if (!this.credentials) return { NATS_URL: this.url, ...callers };
    return { NATS_URL: this.url, NATS_NKEY_SEED_FILE: this.credentials.seedFile(identity), NATS_TLS: 'true', NATS_TLS_CA_FILE: this.credentials.caFile, ...callers };
  }

  /**
   * The caller-assertion keys of a service (RPC_SIGNING_KEY_FILE, RPC_TRUSTED_KEYS_FILE): made with the server's
   * credentials when it is secure, else once per test process, so services started against a plain server still
   * sign and verify every request.
   */
  callerKeysEnvOf(service: ServiceName): Record<string, string> {
    const files = this.credentials ?? NatsServerProcess.plainCallerKeys();
    return { RPC_SIGNING_KEY_FILE: files.rpcKeyFile(service), RPC_TRUSTED_KEYS_FILE: files.rpcTrustFile };
  }

  /**
   * What signs a test's requests as `service` (an RpcClient's signer), with the same key the services started with
   * `envOf` trust for it: a test asks a service only as the service that may ask it (the gateway, mostly).
   */
  callerSignerOf(service: ServiceName): CallerSigner {
    const files = this.credentials ?? NatsServerProcess.plainCallerKeys();
    return new CallerSigner(service, callerSigningKeyOf(readFileSync(files.rpcKeyFile(service), 'ascii')));
  }

  private static plainKeys?: NatsCredentialFiles;
  private static plainCallerKeys(): NatsCredentialFiles {
    NatsServerProcess.plainKeys ??= ensureNatsCredentials(mkdtempSync(join(tmpdir(), 'clarion-callers-')));
    return NatsServerProcess.plainKeys;
  }

  /** The server's process id while it runs (for CPU accounting in benchmarks). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<string> {
    this.port = await freePort();
    this.storeDir = mkdtempSync(join(tmpdir(), 'clarion-nats-'));
    return this.launch();
  }

  /**
   * Ends the server and waits for it to exit, keeping its port and store for `restart()`. SIGTERM is an orderly
   * shutdown (JetStream state written out); SIGKILL is a crash (whatever the server had not written yet is lost).
   */
  async kill(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !running(child)) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    // A frozen process acts on SIGTERM only once it runs again.
    if (signal === 'SIGTERM') child.kill('SIGCONT');
    const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 10_000).unref())]);
    if (timedOut) throw new Error(`nats-server (pid ${child.pid}) did not exit on ${signal} within 10 s`);
  }

  /** Suspends the server (SIGSTOP): connections stay open, but nothing sent to it is read or answered. */
  freeze(): void {
    if (this.child && running(this.child)) this.child.kill('SIGSTOP');
  }

  /** Starts the server again on the port and with the JetStream store of the last `start()`. */
  async restart(): Promise<string> {
    if (this.port === undefined || !this.storeDir) throw new Error('nats-server was never started');
    if (running(this.child)) throw new Error('nats-server is still running; kill() it first');
    return this.launch();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && running(child)) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      child.kill('SIGCONT');
      const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 5000))]);
      if (timedOut) child.kill('SIGKILL');
    }
    if (this.storeDir) rmSync(this.storeDir, { recursive: true, force: true });
  }

  private writeSecureConfig(port: number): string {
    const credentials = (this.credentials ??= ensureNatsCredentials(join(this.storeDir!, 'credentials')));
    const nkeys = Object.fromEntries(NATS_IDENTITIES.map((identity) => [identity, credentials.publicKey(identity)])) as Record<NatsIdentity, string>;
    const file = join(this.storeDir!, 'nats-server.conf');
    writeFileSync(
      file,
      renderNatsServerConfig({
        listen: `127.0.0.1:${port}`,
        storeDir: join(this.storeDir!, 'jetstream'),
        tls: { certFile: credentials.certFile, keyFile: credentials.keyFile },
        nkeys,
      }),
    );
    return file;
  }

  private async launch(): Promise<string> {
    const binary = CANDIDATES.find((p) => existsSync(p)) ?? 'nats-server';
    const port = this.port!;
    const args = this.options.secure ? ['-c', this.writeSecureConfig(port)] : ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', this.storeDir!];
    const child = spawn(binary, args, { stdio: 'ignore' });
    this.child = child;
    this.url = `nats://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && running(child)) {
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
    throw new Error(`nats-server did not start on port ${port}${running(child) ? '' : ` (exited with ${child.exitCode ?? child.signalCode})`}`);
  }
}
