import { API_KEY_CACHE_MAX_TTL_S } from '@clarion/persistence';
import { AccessTokenServiceEnv, DatabaseRole, EnvVar, noWildcard, ToBoolean, ToInt, ToList } from '@clarion/config';
import { IsTrustProxy, notEveryHop, ToTrustProxy, type TrustProxy } from './http/trust-proxy';
import { ArrayNotEmpty, IsBoolean, IsInt, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';

/** Configuration of the gateway, the only HTTP entry for web clients and automation. */
@DatabaseRole('clarion_gateway')
export class GatewayEnv extends AccessTokenServiceEnv {
  override OPS_PORT = 9400;

  @EnvVar({ type: 'integer (1-65535)', description: 'Port of the public HTTP API.' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(65535)
  HTTP_PORT = 3000;

  @EnvVar({ type: 'string', description: 'Address the public HTTP API binds to.' })
  @IsString()
  HTTP_HOST = '0.0.0.0';

  @EnvVar({
    type: 'comma-separated origins',
    devDefault: '*',
    production: [noWildcard],
    description: 'Origins allowed to call the API from a browser (CORS). `*` only outside production.',
  })
  @ToList()
  @ArrayNotEmpty()
  @Matches(/^(\*|https?:\/\/[^\s/]+)$/, { each: true, message: 'each origin must be * or scheme://host[:port]' })
  CORS_ORIGINS!: string[];

  @EnvVar({ type: 'integer (bytes)', description: 'Largest accepted request body; larger bodies get 413.' })
  @ToInt()
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  HTTP_BODY_LIMIT_BYTES = 1024 * 1024;

  @EnvVar({ type: 'integer (ms)', description: 'A request still running after this long is answered 504 (or 408 while the body is read).' })
  @ToInt()
  @IsInt()
  @Min(100)
  HTTP_REQUEST_TIMEOUT_MS = 30000;

  @EnvVar({
    type: 'integer (seconds)',
    description:
      'How long a verified API key is cached in Redis (entries authenticated with a key derived from RPC_SIGNING_KEY; none cached without it). Revoking a key, or disabling or demoting its creator, clears it on every gateway at once.',
  })
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(API_KEY_CACHE_MAX_TTL_S)
  API_KEY_CACHE_TTL_S = 30;

  @EnvVar({ type: 'integer (seconds)', description: 'Longest a cached hot read (clusters, policy matrix, endpoint pages) is served; clarion.clusters.updated.v1 drops it sooner.' })
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(3600)
  HOT_CACHE_TTL_S = 300;

  @EnvVar({ type: 'integer (MiB)', description: 'Hot-read bodies each gateway instance keeps in memory so that Redis only confirms their ETag instead of sending them again (0: none).' })
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(4096)
  HOT_CACHE_LOCAL_MB = 32;

  @EnvVar({ type: 'integer', description: 'Live-stream (WebSocket) connections allowed per tenant and gateway instance; more get 429.' })
  @ToInt()
  @IsInt()
  @Min(1)
  STREAM_MAX_CONNECTIONS_PER_TENANT = 200;

  @EnvVar({ type: 'integer (bytes)', description: 'Unsent data a live-stream client may have queued; frames beyond it are dropped for that client.' })
  @ToInt()
  @IsInt()
  @Min(1024)
  STREAM_MAX_BUFFERED_BYTES = 1024 * 1024;

  @EnvVar({ type: 'integer (seconds)', description: 'Live-stream ping interval; a client that misses a ping is disconnected.' })
  @ToInt()
  @IsInt()
  @Min(1)
  STREAM_PING_INTERVAL_S = 30;

  @EnvVar({ type: 'integer (seconds)', description: "How often a live-stream connection's credential is checked again (revoked keys, disabled users)." })
  @ToInt()
  @IsInt()
  @Min(1)
  STREAM_RECHECK_INTERVAL_S = 60;

  @EnvVar({
    type: 'false, a hop count, or proxy networks',
    description:
      "Which proxies in front of the gateway may give the client's address (X-Forwarded-*): false (none), a hop count (the n nearest; 1 behind one ingress), or comma-separated proxy addresses/CIDRs. `true` believes every entry and is refused in production.",
    production: [notEveryHop],
  })
  @ToTrustProxy()
  @IsTrustProxy()
  HTTP_TRUST_PROXY: TrustProxy = false;

  @EnvVar({ type: 'boolean', description: 'Rate limits per client address and per principal, counted in Redis and shared by every gateway instance.' })
  @ToBoolean()
  @IsBoolean()
  RATE_LIMIT_ENABLED = true;

  @EnvVar({ type: 'integer (seconds)', description: 'Length of the sliding window the rate limits count requests in.' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(3600)
  RATE_LIMIT_WINDOW_S = 60;

  @EnvVar({ type: 'integer', description: 'Requests one client address may make per window (health probes excepted); more get 429 with Retry-After.' })
  @ToInt()
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_IP = 1200;

  @EnvVar({ type: 'integer', description: 'Requests one user or API key may make per window, from any address; more get 429 with Retry-After.' })
  @ToInt()
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_PRINCIPAL = 1200;

  @EnvVar({ type: 'integer', description: 'Sign-in attempts (password login, SSO start and callback) one client address may make per window.' })
  @ToInt()
  @IsInt()
  @Min(1)
  RATE_LIMIT_LOGIN_PER_IP = 20;

  @EnvVar({ type: 'integer (seconds)', description: 'How long a tenant\'s feature flags are cached in Redis; a change through the API clears the cache at once.' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(3600)
  FEATURE_FLAG_CACHE_TTL_S = 60;

  @EnvVar({
    type: 'PEM',
    description: 'Certificate chain of the optional HTTPS listener (usually given as HTTPS_CERT_FILE). With HTTPS_KEY, the API is served over HTTPS on HTTPS_PORT and HTTP_PORT only redirects to it (308).',
  })
  @ValidateIf((o: GatewayEnv) => o.HTTPS_CERT !== undefined || o.HTTPS_KEY !== undefined)
  @Matches(/-----BEGIN CERTIFICATE-----/, { message: 'must be a PEM certificate, set together with HTTPS_KEY' })
  HTTPS_CERT?: string;

  @EnvVar({ type: 'PEM', secret: true, description: 'Private key of the HTTPS listener (usually given as HTTPS_KEY_FILE); set together with HTTPS_CERT.' })
  @ValidateIf((o: GatewayEnv) => o.HTTPS_CERT !== undefined || o.HTTPS_KEY !== undefined)
  @Matches(/-----BEGIN [A-Z ]*PRIVATE KEY-----/, { message: 'must be a PEM private key, set together with HTTPS_CERT' })
  HTTPS_KEY?: string;

  @EnvVar({ type: 'integer (1-65535)', description: 'Port of the HTTPS listener (when HTTPS_CERT and HTTPS_KEY are set); also the port the HTTP redirect points to.' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(65535)
  HTTPS_PORT = 3443;
}
