import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  DEPENDENCY_NAMES,
  PERMISSIONS,
  ROLE_NAMES,
  type DependencyName,
  type ApiKeyDto,
  type CreatedApiKeyResponseDto,
  type Permission,
  type RoleName,
  type SessionDto,
  type SystemStatusResponse,
  type TokenPairResponseDto,
  type UserDto,
} from '@clarion/contracts';
import { PageOf } from '../http/page.dto';

// Response schemas for the OpenAPI document. Each implements the contract type the auth service answers with, so a
// change there breaks the build here instead of leaving the document wrong.

export class TokenPairResponse implements TokenPairResponseDto {
  @ApiProperty({ description: 'JWT (EdDSA) to send as `Authorization: Bearer <accessToken>`.' })
  accessToken: string;

  @ApiProperty({ enum: ['Bearer'] })
  tokenType: 'Bearer';

  @ApiProperty({ description: 'Seconds until the access token expires.', example: 900 })
  expiresIn: number;

  @ApiProperty({ description: 'Single-use refresh token (`rt_...`); each refresh returns a new one.' })
  refreshToken: string;

  @ApiProperty({ format: 'date-time' })
  refreshExpiresAt: string;

  @ApiProperty({ format: 'uuid' })
  sessionId: string;

  @ApiProperty({ description: 'The user must change the password (after an admin set or reset it).' })
  mustChangePassword: boolean;
}

export class UserResponse implements UserDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  tenantId: string;

  @ApiProperty({ format: 'email' })
  email: string;

  @ApiProperty()
  displayName: string;

  @ApiProperty({ enum: ROLE_NAMES, isArray: true })
  roles: RoleName[];

  @ApiProperty({ enum: ['active', 'disabled'] })
  status: 'active' | 'disabled';

  @ApiProperty()
  mustChangePassword: boolean;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  lastLoginAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class MeResponse extends UserResponse {
  @ApiProperty({ enum: PERMISSIONS, isArray: true, description: 'Everything the user may do, from their roles.' })
  permissions: Permission[];
}

export class UserPage extends PageOf(UserResponse) {}

export class SessionResponse implements SessionDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  lastUsedAt: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;

  @ApiProperty({ type: 'string', nullable: true })
  sourceIp: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  userAgent: string | null;

  @ApiProperty({ description: 'The session of the token making this request.' })
  current: boolean;
}

export class SessionPage extends PageOf(SessionResponse) {}

export class RevokedCountResponse {
  @ApiProperty({ description: 'How many sessions ended.' })
  revoked: number;
}

export class LogoutResponse {
  @ApiProperty({ description: 'False when the refresh token was unknown or already used.' })
  revoked: boolean;
}

export class PasswordChangedResponse {
  @ApiProperty({ enum: [true] })
  changed: true;
}

export class JwksResponse {
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'Public keys (Ed25519 JWKs).' })
  keys: Array<Record<string, unknown>>;
}

export class ApiKeyResponse implements ApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ description: 'The public part of the key (`clr_<prefix>_...`), to recognise it.' })
  prefix: string;

  @ApiProperty({ enum: PERMISSIONS, isArray: true })
  scopes: Permission[];

  @ApiProperty({ description: 'User id of the creator; empty when another API key created it.' })
  createdBy: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  expiresAt: string | null;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  lastUsedAt: string | null;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  revokedAt: string | null;
}

export class CreatedApiKeyResponse extends ApiKeyResponse implements CreatedApiKeyResponseDto {
  @ApiProperty({ description: 'The whole key, `clr_<prefix>_<secret>`. Shown once: only its hash is stored.' })
  key: string;
}

export class ApiKeyPage extends PageOf(ApiKeyResponse) {}

export class ServiceStatusError {
  @ApiProperty()
  code: string;

  @ApiProperty()
  message: string;
}

export class DependencyCheckEntry {
  @ApiProperty({ enum: DEPENDENCY_NAMES })
  name: DependencyName;

  @ApiProperty({ enum: ['up', 'down'] })
  status: 'up' | 'down';

  @ApiProperty()
  latencyMs: number;

  @ApiPropertyOptional()
  error?: string;
}

export class ServiceStatusEntry {
  @ApiProperty()
  service: string;

  @ApiProperty({ description: 'Whether the service answered over NATS.' })
  reachable: boolean;

  @ApiPropertyOptional({ enum: ['ready', 'not_ready'] })
  status?: 'ready' | 'not_ready';

  @ApiPropertyOptional()
  version?: string;

  @ApiPropertyOptional({ description: 'The answering instance (one of possibly several).' })
  instanceId?: string;

  @ApiPropertyOptional()
  uptimeSeconds?: number;

  @ApiPropertyOptional({ type: [DependencyCheckEntry] })
  checks?: DependencyCheckEntry[];

  @ApiPropertyOptional()
  rpcLatencyMs?: number;

  @ApiPropertyOptional({ description: 'Why the service did not answer.' })
  error?: ServiceStatusError;
}

export class SystemStatusResponseModel implements SystemStatusResponse {
  @ApiProperty({ enum: ['ready', 'degraded'] })
  status: 'ready' | 'degraded';
}

export class SystemServicesResponseModel extends SystemStatusResponseModel {
  @ApiProperty({ type: [ServiceStatusEntry] })
  services: ServiceStatusEntry[];
}
