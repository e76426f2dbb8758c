/**
 * `npm run nats -- <command>`: the NATS identities of a Clarion deployment.
 *   config [--check]      write deploy/nats/nats-server.conf from libs/contracts (--check: exit 1 when it differs)
 *   keys --out <dir> [--names host,ip,...]
 *                         make what is missing in <dir>: a seed per identity (<identity>.nk, 0600) and a development
 *                         TLS CA and server certificate; print each identity's public key as the server's variable
 *   local --out <dir> --listen <host:port>
 *                         for `npm start`: the keys as above (kept between runs) and <dir>/nats-server.conf listening
 *                         there with its JetStream store in <dir>/jetstream
 *   compose --out <dir> [--names host,...]
 *                         the same, laid out for docker compose (its nats-keys job): <dir>/<service>/ holds only that
 *                         service's seed and the CA, <dir>/server/ the server's configuration and certificate
 */
import { NATS_IDENTITIES, type NatsIdentity } from '@clarion/contracts';
import { deployedNatsServerConfig, ensureNatsCredentials, renderNatsServerConfig } from '@clarion/messaging';
import { composeLayout } from './compose-layout';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

function workspaceRoot(start = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no workspace (nx.json) above ${start}`);
  }
}

export const DEPLOYED_CONFIG = 'deploy/nats/nats-server.conf';

function main(argv: string[]): number {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { check: { type: 'boolean' }, out: { type: 'string' }, names: { type: 'string' }, listen: { type: 'string' } },
  });
  const [command] = positionals;
  if (command === 'config') {
    const path = join(workspaceRoot(), DEPLOYED_CONFIG);
    const wanted = deployedNatsServerConfig();
    const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (values.check) {
      if (current === wanted) return 0;
      process.stderr.write(`${DEPLOYED_CONFIG} differs from libs/contracts; run: npm run nats -- config\n`);
      return 1;
    }
    writeFileSync(path, wanted);
    process.stdout.write(`wrote ${DEPLOYED_CONFIG}\n`);
    return 0;
  }
  if (command === 'keys') {
    if (!values.out) {
      process.stderr.write('keys: --out <dir> is required\n');
      return 2;
    }
    const names = values.names?.split(',').map((n) => n.trim()).filter(Boolean);
    const credentials = ensureNatsCredentials(resolve(values.out), names);
    for (const identity of NATS_IDENTITIES) process.stdout.write(`CLARION_NATS_NKEY_${identity.toUpperCase()}=${credentials.publicKey(identity)}\n`);
    process.stderr.write(
      `seeds, caller-assertion keys and TLS files in ${credentials.dir}: give each service its own <identity>.nk as NATS_NKEY_SEED_FILE, ` +
        `its <service>.rpc.key as RPC_SIGNING_KEY_FILE, and every service rpc-trust.json as RPC_TRUSTED_KEYS_FILE\n`,
    );
    return 0;
  }
  if (command === 'local') {
    if (!values.out || !values.listen) {
      process.stderr.write('local: --out <dir> and --listen <host:port> are required\n');
      return 2;
    }
    const out = resolve(values.out);
    const credentials = ensureNatsCredentials(out, ['localhost', '127.0.0.1']);
    const nkeys = Object.fromEntries(NATS_IDENTITIES.map((identity) => [identity, credentials.publicKey(identity)])) as Record<NatsIdentity, string>;
    writeFileSync(
      join(out, 'nats-server.conf'),
      renderNatsServerConfig({
        header: 'Written by npm start (npm run nats -- local): a development NATS with the deployed permissions.',
        listen: values.listen,
        storeDir: join(out, 'jetstream'),
        tls: { certFile: credentials.certFile, keyFile: credentials.keyFile },
        nkeys,
      }),
    );
    return 0;
  }
  if (command === 'compose') {
    if (!values.out) {
      process.stderr.write('compose: --out <dir> is required\n');
      return 2;
    }
    composeLayout(resolve(values.out), values.names?.split(',').map((n) => n.trim()).filter(Boolean) ?? ['nats', 'localhost']);
    return 0;
  }
  process.stderr.write('usage: npm run nats -- config [--check] | keys --out <dir> [--names host,ip] | local --out <dir> --listen <host:port> | compose --out <dir>\n');
  return 2;
}

process.exitCode = main(process.argv.slice(2));
