import { IsInt, IsString, Matches, Min } from 'class-validator';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseServiceEnv, DatabaseRole } from './base-service.env';
import { ConfigValidationError } from './config-validation.error';
import { describeEnv, EnvVar } from './env-metadata';
import { isPlaceholder, noWildcard, notPlaceholder, PLACEHOLDER_MARKERS, urlHasPassword, urlHasUserAndPassword } from './production-rules';
import { ToBoolean, ToInt, ToList } from './transforms';
import { validateEnv } from './validate-env';
import { IsBoolean } from 'class-validator';

@DatabaseRole('clarion_app')
class SampleEnv extends BaseServiceEnv {
  override OPS_PORT = 9999;

  @EnvVar({ type: 'integer', description: 'port' })
  @ToInt()
  @IsInt()
  @Min(1)
  HTTP_PORT = 3000;

  @EnvVar({ type: 'list', description: 'origins', devDefault: '*', production: [noWildcard] })
  @ToList()
  @Matches(/^(\*|https?:\/\/\S+)$/, { each: true })
  CORS_ORIGINS!: string[];

  @EnvVar({ type: 'string', description: 'a secret', secret: true, devDefault: 'dev-secret' })
  @IsString()
  SIGNING_SECRET!: string;

  @EnvVar({ type: 'boolean', description: 'flag' })
  @ToBoolean()
  @IsBoolean()
  FEATURE = false;
}

function problemsOf(raw: Record<string, string>): Array<{ variable: string; reason: string }> {
  try {
    validateEnv(SampleEnv, raw, 'sample');
  } catch (err) {
    if (err instanceof ConfigValidationError) return err.problems;
    throw err;
  }
  return [];
}

/**
 * A service's NATS identity as production needs it: its own nkey seed (a syntactically valid one), TLS, and the keys
 * of its caller assertions.
 */
const PRODUCTION_NATS = {
  NATS_NKEY_SEED: `SU${'A'.repeat(56)}`,
  NATS_TLS: 'true',
  RPC_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----',
  RPC_TRUSTED_KEYS: '{"gateway":[]}',
};

/** Its Redis ACL user, which production wants named with its password. */
const PRODUCTION_REDIS = { REDIS_URL: 'redis://sample:pw@redis:6379' };

describe('validateEnv', () => {
  it('applies defaults and development defaults outside production', () => {
    const env = validateEnv(SampleEnv, {}, 'sample');
    expect(env.HTTP_PORT).toBe(3000);
    expect(env.OPS_PORT).toBe(9999);
    expect(env.CORS_ORIGINS).toEqual(['*']);
    expect(env.DATABASE_URL).toBe('postgres://clarion_app@127.0.0.1:5432/clarion');
    expect(env.FEATURE).toBe(false);
  });

  it('converts numbers, booleans and lists from strings', () => {
    const env = validateEnv(SampleEnv, { HTTP_PORT: '8080', FEATURE: 'yes', CORS_ORIGINS: 'https://a.example, https://b.example' }, 'sample');
    expect(env.HTTP_PORT).toBe(8080);
    expect(env.FEATURE).toBe(true);
    expect(env.CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
  });

  it('names every bad variable in one error', () => {
    const problems = problemsOf({ HTTP_PORT: 'eighty', NATS_URL: 'http://nats', LOG_LEVEL: 'loud', FEATURE: 'maybe' });
    const names = new Set(problems.map((p) => p.variable));
    expect(names).toEqual(new Set(['HTTP_PORT', 'NATS_URL', 'LOG_LEVEL', 'FEATURE']));
  });

  it('puts every problem in the message, one line each', () => {
    try {
      validateEnv(SampleEnv, { HTTP_PORT: '0', REDIS_URL: 'nope' }, 'sample');
      throw new Error('expected a ConfigValidationError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigValidationError);
      const message = (err as Error).message;
      expect(message).toContain('sample: invalid configuration (2 problems)');
      expect(message).toMatch(/- HTTP_PORT: /);
      expect(message).toMatch(/- REDIS_URL: /);
    }
  });

  it('reads a secret from NAME_FILE and strips the trailing newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clarion-env-'));
    const file = join(dir, 'secret');
    writeFileSync(file, 's3cr3t-from-file\n');
    const env = validateEnv(SampleEnv, { SIGNING_SECRET_FILE: file }, 'sample');
    expect(env.SIGNING_SECRET).toBe('s3cr3t-from-file');
  });

  it('refuses both NAME and NAME_FILE, and an unreadable NAME_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clarion-env-'));
    const file = join(dir, 'secret');
    writeFileSync(file, 'x');
    expect(problemsOf({ SIGNING_SECRET: 'a', SIGNING_SECRET_FILE: file }).map((p) => p.variable)).toEqual(['SIGNING_SECRET']);
    const unreadable = problemsOf({ SIGNING_SECRET_FILE: join(dir, 'missing') });
    expect(unreadable).toEqual([{ variable: 'SIGNING_SECRET_FILE', reason: expect.stringContaining('ENOENT') }]);
  });

  it('refuses development defaults in production and names each variable', () => {
    const names = problemsOf({ CLARION_ENV: 'production' }).map((p) => p.variable);
    expect(names).toEqual(expect.arrayContaining(['DATABASE_URL', 'CORS_ORIGINS', 'SIGNING_SECRET', 'REDIS_URL']));
  });

  it('refuses a * origin and a password-less database URL in production', () => {
    const problems = problemsOf({
      CLARION_ENV: 'production',
      CORS_ORIGINS: 'https://console.example, *',
      DATABASE_URL: 'postgres://clarion_app@db:5432/clarion',
      SIGNING_SECRET: 'x',
      ...PRODUCTION_NATS,
      REDIS_URL: 'redis://:pw@redis:6379',
    });
    expect(problems.map((p) => p.variable).sort()).toEqual(['CORS_ORIGINS', 'DATABASE_URL', 'REDIS_URL']);
  });

  it('refuses NATS without its own identity or without TLS in production', () => {
    const complete = { CLARION_ENV: 'production', CORS_ORIGINS: 'https://console.example', DATABASE_URL: 'postgres://a:pw@db/c', SIGNING_SECRET: 'k', ...PRODUCTION_REDIS };
    expect(problemsOf(complete).map((p) => p.variable)).toEqual(['NATS_NKEY_SEED', 'NATS_TLS', 'RPC_SIGNING_KEY', 'RPC_TRUSTED_KEYS']);
    expect(problemsOf({ ...complete, ...PRODUCTION_NATS, NATS_TLS: 'false' })).toEqual([{ variable: 'NATS_TLS', reason: 'NATS without TLS is refused in production' }]);
    expect(problemsOf({ ...complete, ...PRODUCTION_NATS, NATS_NKEY_SEED: 'not-a-seed' }).map((p) => p.variable)).toEqual(['NATS_NKEY_SEED']);
  });

  it('accepts a complete production environment', () => {
    const env = validateEnv(
      SampleEnv,
      {
        CLARION_ENV: 'production',
        CORS_ORIGINS: 'https://console.example',
        DATABASE_URL: 'postgres://clarion_app:pw@db:5432/clarion',
        SIGNING_SECRET: 'k',
        ...PRODUCTION_NATS,
        ...PRODUCTION_REDIS,
      },
      'sample',
    );
    expect(env.CLARION_ENV).toBe('production');
  });

  it('refuses, in production, a secret that is a published placeholder or its own development default, without repeating it', () => {
    const complete = { CLARION_ENV: 'production', CORS_ORIGINS: 'https://console.example', DATABASE_URL: 'postgres://clarion_app:pw@db:5432/clarion', SIGNING_SECRET: 'k', ...PRODUCTION_NATS, ...PRODUCTION_REDIS };
    const committed = 'dev-only-signing-secret-CHANGE-ME';
    for (const [variable, value] of [
      ['SIGNING_SECRET', committed],
      ['SIGNING_SECRET', 'change-me-not-for-production'],
      ['SIGNING_SECRET', 'development-only-master-key-never-use-in-production'],
      ['DATABASE_URL', 'postgres://clarion_app:dev-only-clarion-app-CHANGE-ME@db:5432/clarion'],
      ['REDIS_URL', 'redis://sample:Not-For-Production@redis:6379'],
    ] as const) {
      const problems = problemsOf({ ...complete, [variable]: value });
      expect(problems).toEqual([{ variable, reason: expect.stringMatching(/published placeholder/) }]);
      expect(problems[0]!.reason).not.toContain(value);
    }
    expect(problemsOf({ ...complete, SIGNING_SECRET: 'dev-secret' })).toEqual([{ variable: 'SIGNING_SECRET', reason: 'is the development default (public); give a generated secret' }]);
    // Outside production the placeholders are what they are for; a value that is not secret is not checked.
    expect(problemsOf({ SIGNING_SECRET: committed })).toEqual([]);
    expect(problemsOf({ ...complete, CORS_ORIGINS: 'https://change-me.example' })).toEqual([]);
    // A generated secret passes.
    expect(problemsOf({ ...complete, SIGNING_SECRET: '9f8e7d6c5b4a39281706f5e4d3c2b1a0' })).toEqual([]);
  });

  it('describes variables of the class and its bases, the subclass overriding nothing it does not declare', () => {
    const names = describeEnv(SampleEnv).map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(['CLARION_ENV', 'DATABASE_URL', 'HTTP_PORT', 'SIGNING_SECRET']));
    expect(describeEnv(SampleEnv).find((d) => d.name === 'SIGNING_SECRET')?.secret).toBe(true);
  });
});

describe('production rules', () => {
  it('isPlaceholder knows every marker, in any case, and no random secret', () => {
    for (const marker of PLACEHOLDER_MARKERS) expect(isPlaceholder(`x-${marker.toLowerCase()}-y`)).toBe(true);
    expect(isPlaceholder('0123456789abcdef0123456789abcdef')).toBe(false);
    expect(notPlaceholder(undefined)).toBeUndefined();
  });

  it('urlHasPassword accepts a URL with a password and rejects one without', () => {
    expect(urlHasPassword('postgres://u:p@h/db')).toBeUndefined();
    expect(urlHasPassword('postgres://u@h/db')).toMatch(/password/);
    expect(urlHasPassword('not a url')).toMatch(/URL/);
  });

  it('urlHasUserAndPassword wants an ACL user of its own and its password, never the default user or a password alone', () => {
    expect(urlHasUserAndPassword('redis://gateway:p@redis:6379')).toBeUndefined();
    expect(urlHasUserAndPassword('rediss://auth:p@redis.internal:6380/0')).toBeUndefined();
    expect(urlHasUserAndPassword('redis://:p@redis:6379')).toMatch(/own Redis user/);
    expect(urlHasUserAndPassword('redis://default:p@redis:6379')).toMatch(/own Redis user/);
    expect(urlHasUserAndPassword('redis://gateway@redis:6379')).toMatch(/password/);
    expect(urlHasUserAndPassword('redis://127.0.0.1:6379')).toMatch(/own Redis user/);
    expect(urlHasUserAndPassword('not a url')).toMatch(/URL/);
  });
});
