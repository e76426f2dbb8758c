import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { TENANT_SLUG_PATTERN } from '@clarion/contracts';

// HTTP bodies: what a client may send. The source address and user agent are added by the gateway from the
// connection, never taken from the body.

export class LoginBodyDto {
  @ApiProperty({ pattern: TENANT_SLUG_PATTERN.source, example: 'acme' })
  @Matches(TENANT_SLUG_PATTERN, { message: 'tenant must be a tenant slug' })
  tenant: string;

  @ApiProperty({ format: 'email', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 1, maxLength: 256, format: 'password' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password: string;
}

export class RefreshBodyDto {
  @ApiProperty({ pattern: '^rt_[A-Za-z0-9_-]{20,100}$' })
  @IsString()
  @Matches(/^rt_[A-Za-z0-9_-]{20,100}$/, { message: 'refreshToken is not a refresh token' })
  refreshToken: string;
}

export class ChangePasswordBodyDto {
  @ApiProperty({ maxLength: 256, format: 'password' })
  @IsString()
  @MaxLength(256)
  currentPassword: string;

  @ApiProperty({ maxLength: 1024, format: 'password', description: 'At least 12 characters and not guessable (zxcvbn score 3 or more).' })
  @IsString()
  @MaxLength(1024)
  newPassword: string;
}

export class SessionParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  sessionId: string;
}
