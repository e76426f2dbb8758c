import { NATS_IDENTITIES, SERVICE_NAMES, type NatsIdentity } from '@clarion/contracts';
import { ensureNatsCredentials, renderNatsServerConfig, writeSecretFile } from '@clarion/messaging';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What compose mounts: each service sees only its own directory (a volume subpath), nats-server only server/. */
export function composeLayout(out: string, names: string[], log = true): void {
  const credentials = ensureNatsCredentials(join(out, 'keys'), names);
  const ca = readFileSync(credentials.caFile, 'ascii');
  for (const service of SERVICE_NAMES) {
    mkdirSync(join(out, service), { recursive: true, mode: 0o700 });
    writeSecretFile(join(out, service, 'nats_nkey_seed'), readFileSync(credentials.seedFile(service), 'ascii'));
    writeFileSync(join(out, service, 'nats_ca'), ca);
    writeSecretFile(join(out, service, 'rpc_signing_key'), readFileSync(credentials.rpcKeyFile(service), 'ascii'));
    writeFileSync(join(out, service, 'rpc_trusted_keys'), readFileSync(credentials.rpcTrustFile));
  }
  const server = join(out, 'server');
  mkdirSync(server, { recursive: true, mode: 0o700 });
  writeFileSync(join(server, 'server.crt'), readFileSync(credentials.certFile));
  writeSecretFile(join(server, 'server.key'), readFileSync(credentials.keyFile, 'ascii'));
  const nkeys = Object.fromEntries(NATS_IDENTITIES.map((identity) => [identity, credentials.publicKey(identity)])) as Record<NatsIdentity, string>;
  writeFileSync(
    join(server, 'nats-server.conf'),
    renderNatsServerConfig({
      header: 'Written by the nats-keys job of docker compose (npm run nats -- compose); keys are this deployment\'s own.',
      serverName: 'clarion-nats',
      listen: '0.0.0.0:4222',
      monitor: '0.0.0.0:8222',
      storeDir: '/data',
      tls: { certFile: '/nats/server.crt', keyFile: '/nats/server.key' },
      nkeys,
    }),
  );
  if (log) process.stdout.write(`NATS identities for compose in ${out} (one directory per service, server/ for nats-server)\n`);
}

