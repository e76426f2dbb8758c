import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { IsGroupRoleMap, SSO_ROLE_NAMES, TENANT_SLUG_PATTERN, type SsoConfigDto, type SsoRoleName, IsOmittable } from '@clarion/contracts';

/** https URLs, and http only on a loopback host (checked again by the auth service). */
const URL_OPTIONS = { protocols: ['https', 'http'], require_protocol: true, require_tld: false, allow_underscores: true };

export class ConfigureSsoBodyDto {
  @ApiProperty({ format: 'uri', maxLength: 500, description: "The IdP's issuer, exactly as its discovery document states it." })
  @IsUrl(URL_OPTIONS)
  @MaxLength(500)
  issuer: string;

  @ApiProperty({ minLength: 1, maxLength: 255 })
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  clientId: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 2048, format: 'password', description: 'Required the first time and when issuer or client id change; kept when omitted. Never returned.' })
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  clientSecret?: string;

  @ApiProperty({ type: [String], format: 'uri', minItems: 1, maxItems: 10, description: 'Redirect URIs registered at the IdP; the first is the default.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @IsUrl(URL_OPTIONS, { each: true })
  @MaxLength(500, { each: true })
  redirectUris: string[];

  @ApiPropertyOptional({ type: [String], maxItems: 20, description: 'Scopes to request; `openid` is always added. Default `openid email profile`.' })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/, { each: true, message: 'each scope must be a scope token (RFC 6749 section 3.3)' })
  scopes?: string[];

  @ApiPropertyOptional({ pattern: '^[A-Za-z0-9_:/.-]{1,100}$', description: 'Claim listing the groups; a dotted path reaches into objects. Default `groups`.' })
  @IsOmittable()
  @Matches(/^[A-Za-z0-9_:/.-]{1,100}$/, { message: 'groupsClaim must be a claim name' })
  groupsClaim?: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string', enum: [...SSO_ROLE_NAMES] },
    description: 'IdP group -> role (at most 200 groups). Roles are recomputed at every sign-in.',
    example: { netops: 'analyst', 'clarion-admins': 'admin' },
  })
  @IsGroupRoleMap()
  groupRoleMap: Record<string, SsoRoleName>;

  @ApiPropertyOptional({ enum: SSO_ROLE_NAMES, nullable: true, description: 'Role of a user in no mapped group; null refuses them.' })
  @IsOmittable()
  @IsIn(SSO_ROLE_NAMES)
  defaultRole?: SsoRoleName | null;

  @ApiProperty()
  @IsBoolean()
  enabled: boolean;
}

export class StartSsoQueryDto {
  @ApiProperty({ pattern: TENANT_SLUG_PATTERN.source, example: 'acme' })
  @Matches(TENANT_SLUG_PATTERN, { message: 'tenant must be a tenant slug' })
  tenant: string;

  @ApiPropertyOptional({ format: 'uri', maxLength: 500, description: 'One of the configured redirect URIs; the first when omitted.' })
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  @MaxLength(500)
  redirectUri?: string;
}

export class SsoCallbackQueryDto {
  @ApiProperty({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'The `state` the IdP sent back; must match the cookie set by /start.' })
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'state is not a sign-in state' })
  state: string;

  @ApiPropertyOptional({ maxLength: 2048, description: 'The authorization code (absent when the IdP sent `error`).' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  code?: string;

  @ApiPropertyOptional({ maxLength: 500, description: 'The `iss` response parameter (RFC 9207); pass it whenever the IdP sends it.' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  iss?: string;

  @ApiPropertyOptional({ pattern: '^[\\x20-\\x21\\x23-\\x5B\\x5D-\\x7E]{1,100}$', description: 'An OAuth error code from the IdP instead of a code.' })
  @IsOptional()
  @Matches(/^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,100}$/, { message: 'error must be an OAuth error code' })
  error?: string;
}

export class SsoConfigResponse implements SsoConfigDto {
  @ApiProperty({ format: 'uri' })
  issuer: string;

  @ApiProperty()
  clientId: string;

  @ApiProperty({ description: 'Whether a client secret is stored; the secret itself is never returned.' })
  clientSecretSet: boolean;

  @ApiProperty({ type: [String] })
  redirectUris: string[];

  @ApiProperty({ type: [String] })
  scopes: string[];

  @ApiProperty()
  groupsClaim: string;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string', enum: [...SSO_ROLE_NAMES] } })
  groupRoleMap: Record<string, SsoRoleName>;

  @ApiProperty({ type: 'string', enum: SSO_ROLE_NAMES, nullable: true })
  defaultRole: SsoRoleName | null;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({ description: "The tenant's `sso` feature flag; sign-in needs it and `enabled`." })
  featureFlagEnabled: boolean;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}
