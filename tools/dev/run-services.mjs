#!/usr/bin/env node
// The supervisor behind `npm start` (tools/dev/start.sh builds and migrates first): runs the five built services as
// child processes, prefixes their log lines with a coloured [service] tag, waits until every /readyz answers 200,
// prints the URLs, and keeps running. Ctrl-C or SIGTERM stops them all: SIGTERM to each child's process group, a
// bounded wait while they drain, then SIGKILL. A child that dies on its own stops everything with exit code 1.
// Node built-ins only, so it never depends on what the workspace has installed.
//
// NATS as deployed: a nats-server of its own (child process [nats]) with the configuration rendered from
// libs/contracts (dist/tools/nats/main.js local: TLS, one nkey per service, exact subject permissions; keys and the
// JetStream store kept in tmp/nats between runs), each service connecting with its own key. CLARION_DEV_NATS_PORT
// picks its port (default 4223; the machine's own NATS, CLARION_NATS_PORT of ensure-services, stays for the tests).
//
// Environment: HTTP_PORT (gateway, default 3000), CLARION_READY_TIMEOUT_S (default 120),
// CLARION_STOP_TIMEOUT_S (default 20; the services drain for up to SHUTDOWN_GRACE_MS, 10 s by default),
// NO_COLOR / FORCE_COLOR. Everything else in the environment is passed to the services.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { connect } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOST = '127.0.0.1';
const HTTP_PORT = Number(process.env.HTTP_PORT || 3000);
const READY_TIMEOUT_MS = seconds('CLARION_READY_TIMEOUT_S', 120);
const STOP_TIMEOUT_MS = seconds('CLARION_STOP_TIMEOUT_S', 20);
const startedAt = Number(process.env.CLARION_START_EPOCH_MS) || Date.now();

// The ops ports are the services' own defaults (apps/*/src/*.env.ts); set here per child so that an OPS_PORT in the
// caller's environment cannot make all five collide.
const SERVICES = [
  { name: 'gateway', opsPort: 9400, colour: 36 },
  { name: 'auth', opsPort: 9401, colour: 35 },
  { name: 'ingest', opsPort: 9402, colour: 33 },
  { name: 'clustering', opsPort: 9403, colour: 32 },
  { name: 'retention', opsPort: 9404, colour: 34 },
];
const SIMULATOR = join(root, 'dist/tools/simulator/main.js');
const NATS_PORT = Number(process.env.CLARION_DEV_NATS_PORT || 4223);
const NATS_DIR = join(root, 'tmp', 'nats');
const NATS_BINARY = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p)) ?? 'nats-server';

const useColour = process.env.FORCE_COLOR ? process.env.FORCE_COLOR !== '0' : Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const paint = (code, text) => (useColour ? `\x1b[${code}m${text}\x1b[0m` : text);
const width = Math.max(...SERVICES.map((s) => s.name.length), 'simulator'.length, 'clarion'.length) + 2;
const tag = (name, colour) => paint(colour, `[${name}]`.padEnd(width));
const say = (text) => process.stdout.write(`${tag('clarion', 1)} ${text}\n`);
const shout = (text) => process.stderr.write(`${paint('1;31', `${'[clarion]'.padEnd(width)} ${text}`)}\n`);

// A closed stdout (`npm start | head`) must not crash the supervisor and orphan the services.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

/** @type {Map<string, {name: string, child: import('node:child_process').ChildProcess, exited: Promise<void>, done: boolean}>} */
const running = new Map();
let stopping = false;

function seconds(name, fallback) {
  const value = Number(process.env[name]);
  return (Number.isFinite(value) && value > 0 ? value : fallback) * 1000;
}

const elapsed = (since = startedAt) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const delay = (ms) => new Promise((r) => setTimeout(r, ms).unref());

function portInUse(port) {
  return new Promise((resolvePort) => {
    const socket = connect({ host: HOST, port });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolvePort(true)));
    socket.once('timeout', () => (socket.destroy(), resolvePort(false)));
    socket.once('error', () => resolvePort(false));
  });
}

/** GET a URL; resolves { status, body } or { error }. Never rejects. */
function probe(url, timeoutMs = 2000) {
  return new Promise((resolveProbe) => {
    const req = get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk.length + body.length < 2000 ? chunk : ''));
      res.on('end', () => resolveProbe({ status: res.statusCode, body }));
      res.on('error', (error) => resolveProbe({ error }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolveProbe({ error }));
  });
}

function pipeLines(stream, prefix, out) {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out.write(`${prefix} ${line}\n`));
}

function start(name, colour, args, env, command = process.execPath) {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: the terminal's Ctrl-C reaches only us, and we stop it in order
  });
  const prefix = tag(name, colour);
  pipeLines(child.stdout, prefix, process.stdout);
  pipeLines(child.stderr, prefix, process.stderr);
  const entry = { name, child, done: false, exited: null };
  entry.exited = new Promise((resolveExit) => {
    child.once('error', (err) => {
      if (entry.done) return;
      entry.done = true;
      resolveExit();
      if (!stopping) {
        shout(`${name} could not be started: ${err.message}; stopping everything`);
        void stopAll(1);
      }
    });
    child.once('exit', (code, signal) => {
      if (entry.done) return;
      entry.done = true;
      resolveExit();
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      if (stopping) {
        say(`${name} ${how}`);
        if (code !== 0 && signal !== 'SIGTERM') entry.failed = true;
      } else if (name === 'simulator' && code === 0) {
        say('the demo exporter finished');
      } else {
        shout('');
        shout(`${name} ${how} unexpectedly (see its last log lines above); stopping everything`);
        shout('');
        void stopAll(1);
      }
    });
  });
  running.set(name, entry);
  return entry;
}

function signalGroup(entry, signal) {
  try {
    process.kill(-entry.child.pid, signal); // the whole process group, in case a service spawned helpers
  } catch {
    // ESRCH: already gone.
  }
}

async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  // NATS goes last: the services drain through it.
  const alive = [...running.values()].filter((e) => !e.done && e.name !== 'nats');
  if (alive.length) say(`stopping ${alive.map((e) => e.name).join(', ')} (SIGTERM; SIGKILL after ${STOP_TIMEOUT_MS / 1000} s)`);
  for (const entry of alive) signalGroup(entry, 'SIGTERM');
  const allExited = Promise.all(alive.map((e) => e.exited));
  const inTime = await Promise.race([allExited.then(() => true), delay(STOP_TIMEOUT_MS).then(() => false)]);
  if (!inTime) {
    const stuck = alive.filter((e) => !e.done);
    shout(`${stuck.map((e) => e.name).join(', ')} did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing`);
    for (const entry of stuck) signalGroup(entry, 'SIGKILL');
    await Promise.race([allExited, delay(5000)]);
  }
  const nats = running.get('nats');
  if (nats && !nats.done) {
    signalGroup(nats, 'SIGINT'); // nats-server exits 0 on SIGINT, 1 on SIGTERM
    await Promise.race([nats.exited, delay(5000)]);
  }
  // Anything a service left in its group goes too.
  for (const entry of running.values()) signalGroup(entry, 'SIGKILL');
  const failed = [...running.values()].some((e) => e.failed);
  say(`stopped${inTime ? '' : ' (some forcibly)'}`);
  process.exit(exitCode || (failed || !inTime ? 1 : 0));
}

// Last line of defence: whatever happens to the supervisor, no service outlives it (short of SIGKILL to us).
process.on('exit', () => {
  for (const entry of running.values()) if (!entry.done) signalGroup(entry, 'SIGKILL');
});
process.on('uncaughtException', (err) => {
  shout(`supervisor error: ${err.stack ?? err}`);
  void stopAll(1);
});
let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    signals++;
    if (signals === 1) {
      process.stdout.write('\n');
      say(`${signal} received`);
      void stopAll(0);
    } else {
      shout(`${signal} again: killing everything now`);
      for (const entry of running.values()) signalGroup(entry, 'SIGKILL');
      process.exit(1);
    }
  });
}

// npm forwards SIGTERM only to the shell it runs the script in, and that shell dies without passing it on; so when
// our parent goes away (we are re-parented), behave as if we had been sent SIGTERM.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid && !stopping) {
    say(`parent process ${parentPid} is gone`);
    void stopAll(0);
  }
}, 500).unref();

async function waitUntilReady() {
  const state = new Map(SERVICES.map((s) => [s.name, 'not answering yet']));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let nextReport = Date.now() + 5000;
  while (!stopping) {
    await Promise.all(
      SERVICES.filter((s) => state.get(s.name) !== 'ready').map(async (s) => {
        const res = await probe(`http://${HOST}:${s.opsPort}/readyz`);
        if (res.status === 200) {
          state.set(s.name, 'ready');
          say(`${s.name} ready (${elapsed()})`);
        } else if (res.status) {
          state.set(s.name, `${res.status} ${res.body.replace(/\s+/g, ' ').slice(0, 200)}`);
        }
      }),
    );
    const waiting = [...state].filter(([, v]) => v !== 'ready');
    if (!waiting.length) return true;
    if (Date.now() > deadline) {
      shout(`not ready after ${READY_TIMEOUT_MS / 1000} s: ${waiting.map(([n, v]) => `${n} (${v})`).join('; ')}`);
      return false;
    }
    if (Date.now() >= nextReport) {
      say(`waiting for /readyz (${elapsed()}): ${waiting.map(([n, v]) => `${n} (${v})`).join('; ')}`);
      nextReport = Date.now() + 5000;
    }
    await delay(500);
  }
  return false;
}

async function main() {
  const missing = SERVICES.map((s) => join(root, 'dist/apps', s.name, 'src/main.js')).filter((f) => !existsSync(f));
  if (missing.length) {
    shout(`not built: ${missing.map((f) => relative(root, f)).join(', ')}; run \`npm run build\` first`);
    process.exit(1);
  }
  const ports = [HTTP_PORT, NATS_PORT, ...SERVICES.map((s) => s.opsPort)];
  const busy = (await Promise.all(ports.map(async (p) => ((await portInUse(p)) ? p : null)))).filter(Boolean);
  if (busy.length) {
    shout(`port(s) ${busy.join(', ')} already in use on ${HOST}. Is another \`npm start\` (or an e2e run) still going?`);
    shout('  see what holds them: pgrep -af dist/apps');
    process.exit(1);
  }

  const supervisorStart = Date.now();
  say(`starting NATS on ${HOST}:${NATS_PORT} (TLS, an nkey per service; keys in ${relative(root, NATS_DIR)})`);
  execFileSync(process.execPath, [join(root, 'dist/tools/nats/main.js'), 'local', '--out', NATS_DIR, '--listen', `${HOST}:${NATS_PORT}`], { stdio: 'inherit' });
  start('nats', 37, ['-c', join(NATS_DIR, 'nats-server.conf')], {}, NATS_BINARY);
  const natsDeadline = Date.now() + 15_000;
  while (!(await portInUse(NATS_PORT))) {
    if (stopping) return;
    if (Date.now() > natsDeadline) {
      shout(`nats-server did not listen on ${HOST}:${NATS_PORT} within 15 s`);
      await stopAll(1);
      return;
    }
    await delay(100);
  }
  const natsEnv = (name) => ({
    NATS_URL: `nats://${HOST}:${NATS_PORT}`,
    NATS_NKEY_SEED_FILE: join(NATS_DIR, `${name}.nk`),
    NATS_TLS: 'true',
    NATS_TLS_CA_FILE: join(NATS_DIR, 'ca.crt'),
    RPC_SIGNING_KEY_FILE: join(NATS_DIR, `${name}.rpc.key`),
    RPC_TRUSTED_KEYS_FILE: join(NATS_DIR, 'rpc-trust.json'),
  });
  say(`starting ${SERVICES.map((s) => s.name).join(', ')}`);
  // npm start's demo: the simulator's exporters are unknown to ingest, so they go to the `demo` tenant start.sh creates.
  const demoTenant = (name) => (name === 'ingest' && !process.env.INGEST_DEFAULT_TENANT ? { INGEST_DEFAULT_TENANT: 'demo' } : {});
  // The demo replays a day in an hour: re-cluster every 10 minutes (not every 6 hours) so the groups sharpen as the
  // profiles fill, unless the developer chose otherwise.
  const demoClustering = (name) =>
    name === 'clustering' && !process.env.CLUSTERING_SCHEDULE_INTERVAL_S ? { CLUSTERING_SCHEDULE_INTERVAL_S: '600' } : {};
  for (const s of SERVICES) {
    start(s.name, s.colour, [join('dist/apps', s.name, 'src/main.js')], { OPS_PORT: String(s.opsPort), ...natsEnv(s.name), ...demoTenant(s.name), ...demoClustering(s.name) });
  }

  if (!(await waitUntilReady())) {
    if (!stopping) await stopAll(1);
    return;
  }

  const api = `http://${HOST}:${HTTP_PORT}`;
  const lines = [
    '',
    paint(1, `Clarion is up: all ${SERVICES.length} services ready in ${elapsed(supervisorStart)} (${elapsed()} since npm start)`),
    `  API             ${api}/api/v1/`,
    `  system status   ${api}/api/v1/system/status`,
    `  NATS            nats://${HOST}:${NATS_PORT} (TLS; per-service keys in ${relative(root, NATS_DIR)})`,
    ...SERVICES.map((s) => `  ${s.name.padEnd(11)} ops ${`http://${HOST}:${s.opsPort}/metrics`.padEnd(32)} (/healthz, /readyz)`),
    '  Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  if (existsSync(SIMULATOR)) {
    say('starting the demo exporter (dist/tools/simulator/main.js) feeding ingest');
    start('simulator', 90, [relative(root, SIMULATOR)], {});
  } else {
    say('demo exporter: arrives with the simulator (tools/simulator, issue 4); until then ingest receives no flows');
  }
}

void main();
