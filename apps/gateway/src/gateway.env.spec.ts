import { ConfigValidationError, validateEnv } from '@clarion/config';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayEnv } from './gateway.env';
import { tlsOf } from './http/https-redirect';

const base = { CLARION_ENV: 'test', DATABASE_URL: 'postgres://clarion_app@127.0.0.1:5432/clarion' };
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----';

function variablesWithProblems(raw: Record<string, string>): string[] {
  try {
    validateEnv(GatewayEnv, { ...base, ...raw }, 'gateway');
    return [];
  } catch (err) {
    if (!(err instanceof ConfigValidationError)) throw err;
    return err.problems.map((p) => p.variable);
  }
}

describe('GatewayEnv', () => {
  it('limits rates by default and serves plain HTTP without a certificate', () => {
    const env = validateEnv(GatewayEnv, base, 'gateway');
    expect(env).toMatchObject({ RATE_LIMIT_ENABLED: true, RATE_LIMIT_WINDOW_S: 60, RATE_LIMIT_PER_IP: 1200, RATE_LIMIT_LOGIN_PER_IP: 20, FEATURE_FLAG_CACHE_TTL_S: 60 });
    expect(tlsOf(env)).toBeUndefined();
  });

  it('reads the certificate and key from files and needs both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-env-'));
    writeFileSync(join(dir, 'cert.pem'), `${CERT}\n`);
    writeFileSync(join(dir, 'key.pem'), `${KEY}\n`);
    const env = validateEnv(GatewayEnv, { ...base, HTTPS_CERT_FILE: join(dir, 'cert.pem'), HTTPS_KEY_FILE: join(dir, 'key.pem') }, 'gateway');
    expect(tlsOf(env)).toEqual({ cert: CERT, key: KEY });
    expect(variablesWithProblems({ HTTPS_CERT: CERT })).toEqual(['HTTPS_KEY']);
    expect(variablesWithProblems({ HTTPS_KEY: KEY })).toEqual(['HTTPS_CERT']);
    expect(variablesWithProblems({ HTTPS_CERT: 'not pem', HTTPS_KEY: KEY })).toEqual(['HTTPS_CERT']);
  });

  it('refuses a rate limit of zero', () => {
    expect(variablesWithProblems({ RATE_LIMIT_PER_IP: '0', RATE_LIMIT_WINDOW_S: 'x' })).toEqual(['RATE_LIMIT_WINDOW_S', 'RATE_LIMIT_PER_IP']);
  });
});
