import { NATS_IDENTITIES, type NatsIdentity } from '@clarion/contracts';
import { deployedNatsServerConfig, ensureNatsCredentials, renderNatsServerConfig, type ConfigValue, type NatsServerConfigOptions } from '@clarion/messaging';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => {
  try {
    readFileSync(p);
    return true;
  } catch {
    return false;
  }
});

describe('deploy/nats/nats-server.conf', () => {
  it('is what libs/contracts renders (regenerate with: npm run nats -- config)', () => {
    expect(readFileSync(join(ROOT, 'deploy/nats/nats-server.conf'), 'utf8')).toBe(deployedNatsServerConfig());
  });

  it('is accepted by nats-server with every variable given, and names one nkey user per identity', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clarion-nats-conf-'));
    try {
      const credentials = ensureNatsCredentials(join(dir, 'credentials'));
      const env: Record<string, string> = {
        PATH: process.env['PATH'] ?? '',
        CLARION_NATS_SERVER_NAME: 'clarion-nats-0',
        CLARION_NATS_LISTEN: '127.0.0.1:4222',
        CLARION_NATS_MONITOR: '127.0.0.1:8222',
        CLARION_NATS_STORE_DIR: join(dir, 'js'),
        CLARION_NATS_TLS_CERT: credentials.certFile,
        CLARION_NATS_TLS_KEY: credentials.keyFile,
      };
      for (const identity of NATS_IDENTITIES) env[`CLARION_NATS_NKEY_${identity.toUpperCase()}`] = credentials.publicKey(identity);
      const check = spawnSync(NATS_SERVER ?? 'nats-server', ['-t', '-c', join(ROOT, 'deploy/nats/nats-server.conf')], { env, encoding: 'utf8' });
      expect({ status: check.status, said: `${check.stdout}${check.stderr}`.trim() }).toEqual({ status: 0, said: expect.stringMatching(/is valid$/) });
      const config = deployedNatsServerConfig();
      for (const identity of NATS_IDENTITIES) expect(config).toContain(`nkey: $CLARION_NATS_NKEY_${identity.toUpperCase()}`);
      expect(config).not.toMatch(/"(>|clarion\.>|_INBOX\.>)"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses values that would break out of the file, and keys that are not user nkeys', () => {
    const nkeys = Object.fromEntries(NATS_IDENTITIES.map((i) => [i, { variable: 'K' }])) as Record<NatsIdentity, ConfigValue>;
    const base: NatsServerConfigOptions = { listen: '127.0.0.1:1', storeDir: '/tmp/x', nkeys };
    expect(() => renderNatsServerConfig({ ...base, storeDir: '/tmp/x"\n}\nauthorization {' })).toThrow(/may not contain/);
    expect(() => renderNatsServerConfig({ ...base, nkeys: { ...base.nkeys, auth: 'SUAGJQ5L' } })).toThrow(/auth: not a user nkey/);
    expect(() => renderNatsServerConfig({ ...base, listen: { variable: 'lower case' } })).toThrow(/not a variable name/);
  });
});
