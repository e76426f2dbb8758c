import { BaseServiceEnv, EnvVar, noWildcard, ToBoolean, ToInt, ToList } from '@clarion/config';
import { ArrayNotEmpty, IsBoolean, IsInt, IsString, Matches, Max, Min } from 'class-validator';

/** Configuration of the gateway, the only HTTP entry for web clients and automation. */
export class GatewayEnv extends BaseServiceEnv {
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

  @EnvVar({ type: 'string', description: 'Issuer (`iss`) of access tokens: auth signs with it, the gateway requires it; set the same value on both.' })
  @IsString()
  AUTH_ISSUER = 'clarion';

  @EnvVar({ type: 'string', description: 'Audience (`aud`) of access tokens: auth signs with it, the gateway requires it; set the same value on both.' })
  @IsString()
  AUTH_AUDIENCE = 'clarion-api';

  @EnvVar({ type: 'integer (seconds)', description: 'How long a verified API key is cached in Redis; a revoked key may work this long.' })
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(300)
  API_KEY_CACHE_TTL_S = 30;

  @EnvVar({ type: 'boolean', description: 'Trust X-Forwarded-* headers (set when behind a load balancer or ingress).' })
  @ToBoolean()
  @IsBoolean()
  HTTP_TRUST_PROXY = false;
}
