import { IsEmail, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { TENANT_SLUG_PATTERN } from '@clarion/contracts';

// HTTP bodies: what a client may send. The source address and user agent are added by the gateway from the
// connection, never taken from the body.

export class LoginBodyDto {
  @Matches(TENANT_SLUG_PATTERN, { message: 'tenant must be a tenant slug' })
  tenant: string;

  @IsEmail()
  @MaxLength(254)
  email: string;

  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password: string;
}

export class RefreshBodyDto {
  @IsString()
  @Matches(/^rt_[A-Za-z0-9_-]{20,100}$/, { message: 'refreshToken is not a refresh token' })
  refreshToken: string;
}

export class ChangePasswordBodyDto {
  @IsString()
  @MaxLength(256)
  currentPassword: string;

  @IsString()
  @MaxLength(1024)
  newPassword: string;
}

export class SessionParamsDto {
  @IsUUID()
  sessionId: string;
}

export class AuditQueryParamsDto {
  @IsOptional()
  @IsString()
  @MaxLength(100)
  action?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  cursor?: string;
}
