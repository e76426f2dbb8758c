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
  ValidateBy,
  ValidateIf,
  buildMessage,
  type ValidationOptions,
} from 'class-validator';
import { ActorRequestDto, ClientInfoDto, TENANT_SLUG_PATTERN } from './auth.dto';

/** Roles an identity provider's groups may grant. `superadmin` is a platform role and never comes from a tenant's IdP. */
export const SSO_ROLE_NAMES = ['viewer', 'analyst', 'admin'] as const;
export type SsoRoleName = (typeof SSO_ROLE_NAMES)[number];

/** A group name as an IdP sends it (Entra ID object ids, Keycloak paths like `/netops`, plain names). */
const GROUP_NAME = /^[^\p{Cc}]{1,256}$/u;
const MAX_MAPPED_GROUPS = 200;

/** https URLs, and http only on a loopback host (a local IdP during development and tests); checked again by the service. */
const URL_OPTIONS = { protocols: ['https', 'http'], require_protocol: true, require_tld: false, allow_underscores: true };

/** `{ "<group>": "viewer" | "analyst" | "admin" }`, at most 200 entries. */
export function IsGroupRoleMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isGroupRoleMap',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.keys(value).length <= MAX_MAPPED_GROUPS &&
          Object.entries(value).every(([group, role]) => GROUP_NAME.test(group) && (SSO_ROLE_NAMES as readonly unknown[]).includes(role)),
        defaultMessage: buildMessage(
          (each) => `${each}$property must map at most ${MAX_MAPPED_GROUPS} group names to one of ${SSO_ROLE_NAMES.join(', ')}`,
          options,
        ),
      },
    },
    options,
  );
}

/** Sets the tenant's OpenID Connect single sign-on. Requires `users:manage`. */
export class ConfigureSsoRequestDto extends ActorRequestDto {
  /** The OpenID Provider's issuer identifier, exactly as its discovery document states it. */
  @IsUrl(URL_OPTIONS)
  @MaxLength(500)
  issuer: string;

  @IsString()
  @MinLength(1)
  @MaxLength(255)
  clientId: string;

  /** Required the first time; when omitted later, the stored secret is kept. Stored encrypted, never returned. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  clientSecret?: string;

  /** Redirect URIs registered at the IdP; the first is used when a sign-in does not name one. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @IsUrl(URL_OPTIONS, { each: true })
  @MaxLength(500, { each: true })
  redirectUris: string[];

  /** Scopes to request; `openid` is always added. Default `openid email profile`. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/, { each: true, message: 'each scope must be a scope token (RFC 6749 section 3.3)' })
  scopes?: string[];

  /** The claim (ID token or userinfo) that lists the user's groups; a dotted path reaches into objects. Default `groups`. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_:/.-]{1,100}$/, { message: 'groupsClaim must be a claim name' })
  groupsClaim?: string;

  /** Group -> role. A user's roles are those of all their mapped groups, recomputed at every sign-in. */
  @IsGroupRoleMap()
  groupRoleMap: Record<string, SsoRoleName>;

  /** Role of a user in no mapped group; null (the default) refuses such users. */
  @IsOptional()
  @IsIn(SSO_ROLE_NAMES)
  defaultRole?: SsoRoleName | null;

  @IsBoolean()
  enabled: boolean;
}

export class SsoConfigDto {
  issuer: string;
  clientId: string;
  /** The secret itself is never returned. */
  clientSecretSet: boolean;
  redirectUris: string[];
  scopes: string[];
  groupsClaim: string;
  groupRoleMap: Record<string, SsoRoleName>;
  defaultRole: SsoRoleName | null;
  enabled: boolean;
  /** The tenant's `sso` feature flag: sign-in works only when it and `enabled` are both on. */
  featureFlagEnabled: boolean;
  updatedAt: string;
}

/** Begins a sign-in: the caller sends the browser to `authorizationUrl`. */
export class StartSsoRequestDto extends ClientInfoDto {
  @Matches(TENANT_SLUG_PATTERN, { message: 'tenant must be a tenant slug' })
  tenant: string;

  /** One of the configured redirect URIs; the first configured one when omitted. */
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  @MaxLength(500)
  redirectUri?: string;
}

export class StartSsoResponseDto {
  authorizationUrl: string;
  /**
   * The `state` in the URL. The caller binds it to the browser (for example in a short-lived cookie) and accepts a
   * callback only from the browser that started it, against login CSRF.
   */
  state: string;
  expiresAt: string;
}

/** The authorization response the IdP delivered to the redirect URI. Answered with a token pair, as a password login. */
export class SsoCallbackRequestDto extends ClientInfoDto {
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'state is not a sign-in state' })
  state: string;

  @ValidateIf((o: SsoCallbackRequestDto) => o.error === undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  code?: string;

  /** The `iss` response parameter (RFC 9207), when the IdP sends it. */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  iss?: string;

  /** An error response from the IdP (`access_denied` and the like) instead of a code. */
  @IsOptional()
  @Matches(/^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,100}$/, { message: 'error must be an OAuth error code' })
  error?: string;
}
