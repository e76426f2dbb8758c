import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { EnvVar, type EnvVarOptions } from './env-metadata';
import { mustBeTrue, notEmpty, urlHasPassword, urlHasUserAndPassword } from './production-rules';
import { ToBoolean, ToInt, ToNumber } from './transforms';

export const CLARION_ENVIRONMENTS = ['development', 'test', 'production'] as const;

const DATABASE_URL_VARIABLE: EnvVarOptions = {
  type: 'postgres:// URL',
  secret: true,
  production: [urlHasPassword],
  description:
    "PostgreSQL connection as the service's own role (clarion_gateway, clarion_auth, clarion_ingest, clarion_clustering or clarion_retention): not the table owner, granted only what that service uses, and bound by row-level security. Give each service its own; one value for all five (in a shared .env, say) would connect every service as one role.",
};

/**
 * The service's own database role, on its env class: outside production DATABASE_URL defaults to that role on the
 * local development database (trust authentication, see tools/infra/ensure-services.sh).
 */
export function DatabaseRole(role: `clarion_${string}`): ClassDecorator {
  return (envClass) => EnvVar({ ...DATABASE_URL_VARIABLE, devDefault: `postgres://${role}@127.0.0.1:5432/clarion` })(envClass.prototype as object, 'DATABASE_URL');
}
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Variables every Clarion service reads. Each app's env class extends this one. */
export class BaseServiceEnv {
  @EnvVar({ type: 'enum: development | test | production', description: 'Deployment environment. `production` refuses development defaults.' })
  @IsIn(CLARION_ENVIRONMENTS)
  CLARION_ENV: (typeof CLARION_ENVIRONMENTS)[number] = 'development';

  @EnvVar({ type: 'enum: fatal | error | warn | info | debug | trace | silent', description: 'Minimum level of the JSON log lines written to stdout.' })
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  @EnvVar({ type: 'integer (1-65535)', description: 'Internal operations port serving /metrics, /healthz and /readyz. Keep it off the public network.' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(65535)
  OPS_PORT = 9400;

  @EnvVar({ type: 'string', description: 'Address the operations port binds to.' })
  @IsString()
  OPS_HOST = '0.0.0.0';

  @EnvVar({ type: 'comma-separated nats:// URLs', description: 'NATS servers (JetStream enabled) used for RPC and the flow stream.' })
  @Matches(/^(nats|tls):\/\/[^\s,]+(,\s*(nats|tls):\/\/[^\s,]+)*$/, { message: 'must be one or more nats:// or tls:// URLs separated by commas' })
  NATS_URL = 'nats://127.0.0.1:4222';

  @EnvVar({ type: 'string', secret: true, description: 'NATS authentication token, for a development NATS server that uses one instead of nkeys.' })
  @IsOptional()
  @IsString()
  NATS_TOKEN?: string;

  @EnvVar({
    type: 'nkey seed (SU...)',
    secret: true,
    production: [notEmpty],
    description: "This service's own NATS identity: the seed of its user nkey (the server knows only the public key and what it may publish and subscribe). Required in production; `npm run nats -- keys` makes one per service.",
  })
  @IsOptional()
  @Matches(/^\s*SU[A-Z2-7]{56}\s*$/, { message: 'must be a NATS user nkey seed (SU followed by 56 base32 characters)' })
  NATS_NKEY_SEED?: string;

  @EnvVar({ type: 'boolean', production: [mustBeTrue('NATS without TLS is refused in production')], description: 'Refuse a NATS server that does not speak TLS (implied by NATS_TLS_CA). Required in production.' })
  @ToBoolean()
  @IsBoolean()
  NATS_TLS = false;

  @EnvVar({ type: 'PEM certificate', description: "CA certificate that signed the NATS server's certificate (usually as NATS_TLS_CA_FILE); the system's roots when unset." })
  @IsOptional()
  @Matches(/-----BEGIN CERTIFICATE-----/, { message: 'must be a PEM certificate' })
  NATS_TLS_CA?: string;

  @EnvVar({
    type: 'PEM private key (Ed25519, PKCS#8)',
    secret: true,
    production: [notEmpty],
    description:
      "This service's key for signing the caller assertion on each of its NATS requests (who calls, to which service and subject, for whom); not its NATS nkey. Required in production; `npm run nats -- keys` makes one per service (<service>.rpc.key).",
  })
  @IsOptional()
  @Matches(/-----BEGIN PRIVATE KEY-----/, { message: 'must be a PEM private key (PKCS#8)' })
  RPC_SIGNING_KEY?: string;

  @EnvVar({
    type: 'JSON',
    production: [notEmpty],
    description:
      'The public keys of the services whose requests this service believes, per service (`{"gateway":["<base64url Ed25519 key>"]}`; several during a rotation), usually as RPC_TRUSTED_KEYS_FILE (`rpc-trust.json` from `npm run nats -- keys`). Without it every request is refused. Required in production.',
  })
  @IsOptional()
  @IsString()
  RPC_TRUSTED_KEYS?: string;

  // Each service's env class names its role with @DatabaseRole, which gives this variable its development default.
  @EnvVar(DATABASE_URL_VARIABLE)
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_URL!: string;

  @EnvVar({ type: 'integer (1-200)', description: 'Maximum PostgreSQL connections held by one service instance.' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  @EnvVar({ type: 'integer (ms)', description: 'Server-side statement timeout for the application role; a runaway query is cancelled after it.' })
  @ToInt()
  @IsInt()
  @Min(100)
  DATABASE_STATEMENT_TIMEOUT_MS = 15000;

  @EnvVar({
    type: 'redis:// URL',
    secret: true,
    production: [urlHasUserAndPassword],
    description:
      "Redis used for caches, rate limits and short-lived state, as the service's own ACL user and its password (redis://gateway:password@redis:6379 for the gateway), which may touch only that service's keys (deploy/redis/users.acl). Development uses the local Redis's default user.",
  })
  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @EnvVar({ type: 'integer (ms)', description: 'How long a NATS request waits for a reply before failing with a timeout (HTTP 504 at the gateway).' })
  @ToInt()
  @IsInt()
  @Min(50)
  @Max(120000)
  RPC_TIMEOUT_MS = 5000;

  @EnvVar({ type: 'integer (ms)', description: 'Timeout of each dependency check behind /readyz.' })
  @ToInt()
  @IsInt()
  @Min(50)
  @Max(30000)
  READINESS_TIMEOUT_MS = 1000;

  @EnvVar({ type: 'integer (ms)', description: 'On SIGTERM, how long the service may take to drain work before it exits anyway.' })
  @ToInt()
  @IsInt()
  @Min(0)
  SHUTDOWN_GRACE_MS = 10000;

  @EnvVar({ type: 'URL', description: 'OTLP/HTTP endpoint for traces (Jaeger all-in-one: http://jaeger:4318). Unset: tracing is off and nothing is instrumented (no cost per request).' })
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  @EnvVar({ type: 'number (0-1)', description: 'Share of new traces sampled (parent-based: a sampled caller is always followed).' })
  @ToNumber()
  @IsNumber()
  @Min(0)
  @Max(1)
  OTEL_TRACES_SAMPLER_RATIO = 1;
}

/** Services that produce or consume the JetStream flow stream; they create it idempotently at boot. */
export class JetStreamServiceEnv extends BaseServiceEnv {
  @EnvVar({ type: 'integer (bytes)', description: 'Size limit of the FLOWS JetStream stream; the oldest messages go first when it is full.' })
  @ToInt()
  @IsInt()
  @Min(1024 * 1024)
  JETSTREAM_FLOWS_MAX_BYTES = 2 * 1024 * 1024 * 1024;

  @EnvVar({ type: 'integer (seconds)', description: 'Age limit of messages in the FLOWS stream.' })
  @ToInt()
  @IsInt()
  @Min(60)
  JETSTREAM_FLOWS_MAX_AGE_S = 24 * 3600;

  @EnvVar({ type: 'integer (1-5)', description: 'Replicas of each JetStream stream (3 on a NATS cluster in production).' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(5)
  JETSTREAM_REPLICAS = 1;

  @EnvVar({ type: 'integer (seconds)', description: 'Window in which JetStream drops a message whose id it has already seen (batch de-duplication).' })
  @ToInt()
  @IsInt()
  @Min(1)
  JETSTREAM_DUPLICATE_WINDOW_S = 600;
}

/** Services that sign (auth) or verify (gateway) access tokens: one declaration, so the two cannot drift apart. */
export class AccessTokenServiceEnv extends BaseServiceEnv {
  @EnvVar({ type: 'string', description: 'Issuer (`iss`) of access tokens: auth signs with it, the gateway requires it; set the same value on both.' })
  @IsString()
  AUTH_ISSUER = 'clarion';

  @EnvVar({ type: 'string', description: 'Audience (`aud`) of access tokens: auth signs with it, the gateway requires it; set the same value on both.' })
  @IsString()
  AUTH_AUDIENCE = 'clarion-api';
}
