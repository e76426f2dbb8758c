import { NATS_IDENTITIES, SERVICE_NAMES, type NatsIdentity, type ServiceName } from '@clarion/contracts';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nkeys } from 'nats';
import { callerSigningKeyOf, newCallerKeyPair, publicKeyTextOf, type CallerTrust } from './caller-assertion';

/**
 * A set of NATS credentials in one directory, as an operator hands them out: per identity a seed file
 * (`<identity>.nk`, mode 0600: the only secret; the server holds the public key alone) and a TLS certificate
 * authority with a server certificate for the given names (`ca.crt`, `server.crt`, `server.key`); per service the key
 * that signs its requests' caller assertions (`<service>.rpc.key`, 0600), and `rpc-trust.json`, the public halves
 * every service is given as RPC_TRUSTED_KEYS_FILE (not a secret).
 * Used by the test harness and `npm start` (a fresh set per run), and by `npm run nats -- keys` for a deployment.
 */
export interface NatsCredentialFiles {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  seedFile(identity: NatsIdentity): string;
  publicKey(identity: NatsIdentity): string;
  rpcKeyFile(service: ServiceName): string;
  rpcTrustFile: string;
}

const text = (bytes: Uint8Array | string): string => (typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('ascii'));

/** Writes a file only its owner can read, whatever the umask. */
export function writeSecretFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** The public key of a seed file's user nkey. */
export function publicKeyOfSeedFile(path: string): string {
  return text(nkeys.fromSeed(Buffer.from(readFileSync(path, 'ascii').trim(), 'ascii')).getPublicKey());
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/**
 * A development certificate authority and a server certificate signed by it (EC P-256, SAN for every name given),
 * through the openssl command line. Production certificates come from the operator's PKI (cert-manager, say).
 */
export function createServerCertificate(dir: string, names: string[] = ['localhost', '127.0.0.1']): void {
  const san = names.map((name) => (/^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '30', '-subj', '/CN=Clarion NATS development CA', '-out', 'ca.crt'], dir);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key'], dir);
  openssl(['req', '-new', '-key', 'server.key', '-subj', '/CN=clarion-nats', '-out', 'server.csr'], dir);
  writeFileSync(join(dir, 'server.ext'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-sha256', '-extfile', 'server.ext', '-out', 'server.crt'], dir);
  chmodSync(join(dir, 'ca.key'), 0o600);
  chmodSync(join(dir, 'server.key'), 0o600);
}

/** Creates (or, where the files exist, reuses) a seed per identity and the TLS files in `dir`. */
export function ensureNatsCredentials(dir: string, names?: string[]): NatsCredentialFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const identity of NATS_IDENTITIES) {
    const seedFile = join(dir, `${identity}.nk`);
    if (!existsSync(seedFile)) writeSecretFile(seedFile, `${text(nkeys.createUser().getSeed())}\n`);
  }
  if (!existsSync(join(dir, 'server.crt')) || !existsSync(join(dir, 'server.key'))) createServerCertificate(dir, names);
  const trust: CallerTrust = {};
  for (const service of SERVICE_NAMES) {
    const keyFile = join(dir, `${service}.rpc.key`);
    if (!existsSync(keyFile)) writeSecretFile(keyFile, newCallerKeyPair().privateKeyPem);
    trust[service] = [publicKeyTextOf(callerSigningKeyOf(readFileSync(keyFile, 'ascii')))];
  }
  writeFileSync(join(dir, 'rpc-trust.json'), `${JSON.stringify(trust, null, 2)}\n`);
  const publicKeys = new Map(NATS_IDENTITIES.map((identity) => [identity, publicKeyOfSeedFile(join(dir, `${identity}.nk`))]));
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    seedFile: (identity) => join(dir, `${identity}.nk`),
    publicKey: (identity) => publicKeys.get(identity) ?? publicKeyOfSeedFile(join(dir, `${identity}.nk`)),
    rpcKeyFile: (service) => join(dir, `${service}.rpc.key`),
    rpcTrustFile: join(dir, 'rpc-trust.json'),
  };
}
