import { Injectable } from '@nestjs/common';
import {
  DomainException,
  ErrorCode,
  type ActorDto,
  type ConfigureSsoRequestDto,
  type SsoConfigDto,
  type SsoRoleName,
} from '@clarion/contracts';
import { Database, FeatureFlagRepository } from '@clarion/persistence';
import { SsoConfigRepository, type SsoConfigRow } from '../data';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthEnv } from '../auth.env';
import { MasterKey } from '../keys/master-key';
import { assertPermission } from '../users/user-permissions';
import { isSecureUrl } from './oidc-client';

/** The per-tenant feature flag that must be on, besides the setting's own `enabled`, for SSO to work. */
export const SSO_FEATURE_FLAG = 'sso';
const DEFAULT_SCOPES = ['openid', 'email', 'profile'];
const DEFAULT_GROUPS_CLAIM = 'groups';

/** A tenant's SSO setting ready for a sign-in, or why there is none. */
export type SsoAvailability =
  | { usable: true; config: SsoConfigRow }
  | { usable: false; reason: 'not_configured' | 'disabled' | 'feature_flag_off' };

/** The tenant's OpenID Connect setting: set and read by admins; read by sign-ins with the client secret decrypted. */
@Injectable()
export class SsoConfigService {
  private readonly masterKey: MasterKey;
  /** Plain http to a loopback IdP is for development and tests; production speaks https only. */
  private readonly allowLoopbackHttp: boolean;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    env: AuthEnv,
  ) {
    this.masterKey = new MasterKey(env.AUTH_MASTER_KEY);
    this.allowLoopbackHttp = env.CLARION_ENV !== 'production';
  }

  async configure(request: ConfigureSsoRequestDto): Promise<SsoConfigDto> {
    const { actor } = request;
    assertPermission(actor, 'users:manage');
    const problems: Array<{ field: string; message: string }> = [];
    const https = `an https URL without query${this.allowLoopbackHttp ? ' (http only on a loopback host)' : ''}`;
    // No query on a redirect URI either: openid-client sends the callback URL without its query as redirect_uri.
    const usable = (url: string) => isSecureUrl(url, this.allowLoopbackHttp) && !new URL(url).search;
    if (!usable(request.issuer)) problems.push({ field: 'issuer', message: `must be ${https}` });
    request.redirectUris.forEach((uri, i) => {
      if (!usable(uri)) problems.push({ field: `redirectUris.${i}`, message: `must be ${https}` });
    });
    if (problems.length > 0) throw new DomainException(ErrorCode.ValidationFailed, 'the SSO setting is not valid', problems);
    const scopes = [...new Set(['openid', ...(request.scopes ?? DEFAULT_SCOPES)])];

    return this.db.withTenant(actor.tenantId, async (m) => {
      const repo = new SsoConfigRepository(m);
      const existing = await repo.findOfCurrentTenant();
      // A secret belongs to one client at one issuer: changing either needs the new client's secret.
      const kept = existing?.issuer === request.issuer && existing.clientId === request.clientId ? existing.clientSecretEnc : null;
      const clientSecretEnc =
        request.clientSecret !== undefined ? this.masterKey.encrypt(Buffer.from(request.clientSecret, 'utf8'), actor.tenantId) : kept;
      if (!clientSecretEnc) {
        throw new DomainException(ErrorCode.ValidationFailed, 'the SSO setting is not valid', [
          { field: 'clientSecret', message: 'is required when the issuer or client id is new' },
        ]);
      }
      const saved = await repo.upsert({
        tenantId: actor.tenantId,
        issuer: request.issuer,
        clientId: request.clientId,
        clientSecretEnc,
        redirectUris: request.redirectUris,
        scopes,
        groupsClaim: request.groupsClaim ?? DEFAULT_GROUPS_CLAIM,
        groupRoleMap: request.groupRoleMap,
        defaultRole: request.defaultRole ?? null,
        enabled: request.enabled,
      });
      await this.audit.append(m, {
        tenantId: actor.tenantId,
        actorType: actor.kind,
        actorId: actor.id,
        action: 'sso.configure',
        target: request.issuer,
        outcome: 'success',
        sourceIp: actor.sourceIp,
        userAgent: actor.userAgent,
        details: {
          clientId: request.clientId,
          enabled: request.enabled,
          secretChanged: request.clientSecret !== undefined,
          groupRoleMap: request.groupRoleMap,
          defaultRole: request.defaultRole ?? null,
        },
      });
      return toSsoConfigDto(saved, await this.featureFlagOn(m));
    });
  }

  async get(actor: ActorDto): Promise<SsoConfigDto> {
    assertPermission(actor, 'users:manage');
    return this.db.withTenant(actor.tenantId, async (m) => {
      const config = await new SsoConfigRepository(m).findOfCurrentTenant();
      if (!config) throw new DomainException(ErrorCode.NotFound, 'single sign-on is not configured for this tenant');
      return toSsoConfigDto(config, await this.featureFlagOn(m));
    });
  }

  /** The setting of the manager's tenant when a sign-in may use it: configured, enabled, and the `sso` flag on. */
  async availability(m: EntityManager): Promise<SsoAvailability> {
    const config = await new SsoConfigRepository(m).findOfCurrentTenant();
    if (!config) return { usable: false, reason: 'not_configured' };
    if (!config.enabled) return { usable: false, reason: 'disabled' };
    if (!(await this.featureFlagOn(m))) return { usable: false, reason: 'feature_flag_off' };
    return { usable: true, config };
  }

  clientSecret(config: SsoConfigRow): string {
    try {
      return this.masterKey.decrypt(config.clientSecretEnc, config.tenantId).toString('utf8');
    } catch {
      // Another master key, or a row copied from another tenant: the admin must enter the secret again.
      throw new DomainException(ErrorCode.DependencyUnavailable, 'the stored SSO client secret cannot be decrypted; configure SSO again');
    }
  }

  private async featureFlagOn(m: EntityManager): Promise<boolean> {
    const flags = await new FeatureFlagRepository(m).findAllOfCurrentTenant();
    return flags.some((f) => f.key === SSO_FEATURE_FLAG && f.enabled);
  }
}

function toSsoConfigDto(config: SsoConfigRow, featureFlagEnabled: boolean): SsoConfigDto {
  return {
    issuer: config.issuer,
    clientId: config.clientId,
    clientSecretSet: config.clientSecretEnc.length > 0,
    redirectUris: config.redirectUris,
    scopes: config.scopes,
    groupsClaim: config.groupsClaim,
    groupRoleMap: config.groupRoleMap as Record<string, SsoRoleName>,
    defaultRole: config.defaultRole as SsoRoleName | null,
    enabled: config.enabled,
    featureFlagEnabled,
    updatedAt: config.updatedAt.toISOString(),
  };
}
