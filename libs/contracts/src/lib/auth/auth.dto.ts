import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidateNested,
  buildMessage,
  type ValidationOptions,
} from 'class-validator';
import { PERMISSIONS, ROLE_NAMES, type Permission, type RoleName } from './permissions';

export const TENANT_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Who is acting, as verified by the gateway (JWT or API key). Services take the tenant from here and nowhere else,
 * and check permissions again.
 */
export class ActorDto {
  @IsIn(['user', 'api_key', 'system'])
  kind: 'user' | 'api_key' | 'system';

  @IsUUID()
  tenantId: string;

  /** User id or API key id. */
  @IsString()
  @MaxLength(64)
  id: string;

  @IsArray()
  @ArrayMaxSize(PERMISSIONS.length)
  @IsIn(PERMISSIONS, { each: true })
  permissions: Permission[];

  @IsOptional()
  @IsUUID()
  sessionId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  sourceIp?: string;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  userAgent?: string;
}

export class ClientInfoDto {
  @IsOptional()
  @IsString()
  @MaxLength(64)
  sourceIp?: string;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  userAgent?: string;
}

export class LoginRequestDto extends ClientInfoDto {
  @Matches(TENANT_SLUG_PATTERN, { message: 'tenant must be a tenant slug' })
  tenant: string;

  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  // Length is checked here only to bound work; the policy (12..256) applies when a password is set.
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password: string;
}

export class TokenPairResponseDto {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: string;
  sessionId: string;
  mustChangePassword: boolean;
}

export class RefreshRequestDto extends ClientInfoDto {
  @IsString()
  @Matches(/^rt_[A-Za-z0-9_-]{20,100}$/, { message: 'refreshToken is not a refresh token' })
  refreshToken: string;
}

export class LogoutRequestDto {
  @IsString()
  @Matches(/^rt_[A-Za-z0-9_-]{20,100}$/, { message: 'refreshToken is not a refresh token' })
  refreshToken: string;
}

export class ActorRequestDto {
  @IsObject()
  @ValidateNested()
  @Type(() => ActorDto)
  actor: ActorDto;
}

export class RevokeSessionsRequestDto extends ActorRequestDto {
  /** One session, or every session of the actor when omitted. */
  @IsOptional()
  @IsUUID()
  sessionId?: string;
}

export class SessionDto {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  sourceIp: string | null;
  userAgent: string | null;
  current: boolean;
}

export class ChangePasswordRequestDto extends ActorRequestDto {
  @IsString()
  @MaxLength(256)
  currentPassword: string;

  @IsString()
  @MaxLength(1024)
  newPassword: string;
}

export class CreateUserRequestDto extends ActorRequestDto {
  @IsEmail()
  @MaxLength(254)
  email: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  displayName: string;

  @IsArray()
  @ArrayMaxSize(ROLE_NAMES.length)
  @IsIn(ROLE_NAMES, { each: true })
  roles: RoleName[];

  /** Initial password; the user must change it at first login. */
  @IsString()
  @MaxLength(1024)
  password: string;
}

export class UpdateUserRequestDto extends ActorRequestDto {
  @IsUUID()
  userId: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(ROLE_NAMES.length)
  @IsIn(ROLE_NAMES, { each: true })
  roles?: RoleName[];

  @IsOptional()
  @IsIn(['active', 'disabled'])
  status?: 'active' | 'disabled';
}

export class ResetPasswordRequestDto extends ActorRequestDto {
  @IsUUID()
  userId: string;

  /** A temporary password the admin hands over; the user must change it at the next login. */
  @IsString()
  @MaxLength(1024)
  temporaryPassword: string;
}

/** An admin lifts a user's sign-in throttling without touching the password. */
export class UnlockUserRequestDto extends ActorRequestDto {
  @IsUUID()
  userId: string;
}

export class UserDto {
  id: string;
  tenantId: string;
  email: string;
  displayName: string;
  roles: RoleName[];
  status: 'active' | 'disabled';
  mustChangePassword: boolean;
  lastLoginAt: string | null;
  createdAt: string;
}

export class CreateApiKeyRequestDto extends ActorRequestDto {
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @IsArray()
  @ArrayMaxSize(PERMISSIONS.length)
  @IsIn(PERMISSIONS, { each: true })
  scopes: Permission[];

  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

export class ApiKeyDto {
  id: string;
  name: string;
  prefix: string;
  scopes: Permission[];
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export class CreatedApiKeyResponseDto extends ApiKeyDto {
  /** The full key, `clr_<prefix>_<secret>`. Shown once; only its hash is stored. */
  key: string;
}

export class RevokeApiKeyRequestDto extends ActorRequestDto {
  @IsUUID()
  apiKeyId: string;
}

export class VerifyApiKeyRequestDto {
  @IsString()
  @Matches(/^clr_[a-z0-9]{8,16}_[A-Za-z0-9_-]{20,100}$/, { message: 'not an API key' })
  key: string;
}

export class VerifiedApiKeyResponseDto {
  apiKeyId: string;
  tenantId: string;
  permissions: Permission[];
  expiresAt: string | null;
}

export class JwksResponseDto {
  keys: Array<Record<string, unknown>>;
}

export class AuditQueryRequestDto extends ActorRequestDto {
  @IsOptional()
  @IsString()
  @MaxLength(100)
  action?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  actorId?: string;

  @IsOptional()
  @IsIn(['success', 'failure', 'denied'])
  outcome?: 'success' | 'failure' | 'denied';

  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  /** Opaque cursor from the previous page. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  cursor?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class AuditEventDto {
  seq: number;
  occurredAt: string;
  actorType: string;
  actorId: string | null;
  action: string;
  target: string | null;
  outcome: 'success' | 'failure' | 'denied';
  sourceIp: string | null;
  userAgent: string | null;
  traceId: string | null;
  details: Record<string, unknown>;
}

/** What an audit event recorded by the gateway says about a read: flat values only, never a secret or the data read. */
export type AuditDetails = Record<string, string | number | boolean>;

const AUDIT_DETAIL_NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
export const AUDIT_DETAILS_MAX_ENTRIES = 24;

const isAuditDetailValue = (value: unknown): boolean =>
  (typeof value === 'string' && value.length <= 200) || (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean';

/** At most AUDIT_DETAILS_MAX_ENTRIES names, each a string of at most 200 characters, a finite number or a boolean. */
export function IsAuditDetails(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAuditDetails',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.keys(value).length <= AUDIT_DETAILS_MAX_ENTRIES &&
          Object.entries(value).every(([name, v]) => AUDIT_DETAIL_NAME.test(name) && isAuditDetailValue(v)),
        defaultMessage: buildMessage(
          (each) => `${each}$property must hold at most ${AUDIT_DETAILS_MAX_ENTRIES} names, each a string of at most 200 characters, a number or a boolean`,
          options,
        ),
      },
    },
    options,
  );
}

export class RecordAuditRequestDto extends ActorRequestDto {
  @IsString()
  @Matches(/^[a-z][a-z0-9_.:-]{1,99}$/)
  action: string;

  @IsOptional()
  @IsString()
  @MaxLength(300)
  target?: string;

  @IsIn(['success', 'failure', 'denied'])
  outcome: 'success' | 'failure' | 'denied';

  @IsOptional()
  @IsBoolean()
  httpCall?: boolean;

  /** A sensitive read's filters and how many rows it answered. */
  @IsOptional()
  @IsAuditDetails()
  details?: AuditDetails;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Payload of `clarion.auth.sessions.revoked.v1` (core NATS, from the auth service to every gateway). */
export interface SessionsRevokedEvent {
  tenantId: string;
  sessionIds: string[];
  /** ISO-8601: when the last access token of these sessions expires (after that nothing needs refusing). */
  until: string;
}
