import { Inject, Injectable } from '@nestjs/common';
import {
  DomainException,
  ErrorCode,
  type RoleName,
  type SsoCallbackRequestDto,
  type SsoRoleName,
  type StartSsoRequestDto,
  type StartSsoResponseDto,
  type TokenPairResponseDto,
} from '@clarion/contracts';
import { Database, TenantRepository } from '@clarion/persistence';
import { UserRepository, type UserRow } from '../data';
import { ROOT_LOGGER } from '@clarion/platform';
import type { Logger } from 'pino';
import { AuditService } from '../audit/audit.service';
import { SessionService } from '../sessions/session.service';
import { claimAt, identityOf, rolesForGroups, sameRoles, type ExternalIdentity } from './sso-claims';
import { SsoConfigService } from './sso-config.service';
import { SIGN_IN_TTL_S, SsoStateStore, type PendingSignIn } from './sso-state.store';
import { OidcClient, signInSecrets } from './oidc-client';

/** One answer for an unknown tenant, a tenant without SSO, SSO switched off and the feature flag off. */
const SSO_UNAVAILABLE = 'single sign-on is not available for this tenant';
/**
 * What the public routes say when the IdP could not be used or did not confirm the sign-in. The reason (a host, an
 * address class, the IdP's error code) is for the log and the audit log: an anonymous caller learns nothing of the
 * IdP's or the network's inside, and cannot use a sign-in to probe either.
 */
const IDP_UNAVAILABLE = 'the identity provider cannot be used right now; try again later';
const IDP_NOT_CONFIRMED = 'the identity provider did not confirm this sign-in; start again';
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}$/;

type ClientInfo = { sourceIp?: string; userAgent?: string };

/** An IdP failure as the public routes answer it; `reason` is what went wrong, for the log and the audit log. */
export class IdpFailureException extends DomainException {
  constructor(readonly reason: DomainException) {
    const unavailable = reason.code === ErrorCode.DependencyUnavailable;
    super(unavailable ? ErrorCode.DependencyUnavailable : ErrorCode.Unauthenticated, unavailable ? IDP_UNAVAILABLE : IDP_NOT_CONFIRMED);
  }
}

/** Runs a call to the IdP; its DomainException comes out as the public IdpFailureException. */
async function atIdp<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw err instanceof DomainException ? new IdpFailureException(err) : err;
  }
}

/**
 * Sign-in through the tenant's OpenID Provider: `start` sends the browser there (authorization code flow with PKCE,
 * state and nonce); `callback` redeems the code, validates the ID token, maps the IdP's groups to roles, creates or
 * updates the user, and opens a session exactly as a password login does.
 */
@Injectable()
export class SsoLoginService {
  constructor(
    private readonly db: Database,
    private readonly configs: SsoConfigService,
    private readonly oidc: OidcClient,
    private readonly states: SsoStateStore,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async start(request: StartSsoRequestDto): Promise<StartSsoResponseDto> {
    const tenant = await this.db.withoutTenant((m) => new TenantRepository(m).findBySlug(request.tenant));
    const availability = tenant ? await this.db.withTenant(tenant.id, (m) => this.configs.availability(m)) : null;
    if (!tenant || tenant.status !== 'active' || !availability || !availability.usable) throw new DomainException(ErrorCode.Forbidden, SSO_UNAVAILABLE);
    const { config } = availability;
    const redirectUri = request.redirectUri ?? config.redirectUris[0];
    if (!redirectUri || !config.redirectUris.includes(redirectUri)) {
      throw new DomainException(ErrorCode.ValidationFailed, 'the redirect URI is not one configured for single sign-on', [
        { field: 'redirectUri', message: 'must be one of the configured redirect URIs' },
      ]);
    }
    const provider = await atIdp(() => this.oidc.provider(config.issuer, { clientId: config.clientId })).catch((err: unknown) => {
      if (err instanceof IdpFailureException) {
        this.logger.warn({ tenantId: tenant.id, issuer: config.issuer, code: err.reason.code, reason: err.reason.message }, 'single sign-on could not start');
      }
      throw err;
    });
    const { state, nonce, codeVerifier } = signInSecrets();
    const pending: PendingSignIn = { tenantId: tenant.id, issuer: config.issuer, clientId: config.clientId, redirectUri, nonce, codeVerifier };
    const authorizationUrl = await this.oidc.authorizationUrl(provider, { ...pending, scopes: config.scopes, state });
    await this.states.put(state, pending);
    return {
      authorizationUrl,
      state,
      expiresAt: new Date(Date.now() + SIGN_IN_TTL_S * 1000).toISOString(),
    };
  }

  async callback(request: SsoCallbackRequestDto): Promise<TokenPairResponseDto> {
    // Taken (and deleted) before anything else: a state is good for one attempt, successful or not.
    const pending = await this.states.take(request.state);
    if (!pending) throw new DomainException(ErrorCode.Unauthenticated, 'this sign-in is unknown, expired or already completed; start again');
    const client: ClientInfo = { sourceIp: request.sourceIp, userAgent: request.userAgent };
    let subject: string | null = null;
    let identity: ExternalIdentity | null = null;
    try {
      const availability = await this.db.withTenant(pending.tenantId, (m) => this.configs.availability(m));
      if (!availability.usable) throw new DomainException(ErrorCode.Forbidden, SSO_UNAVAILABLE);
      const { config } = availability;
      if (config.issuer !== pending.issuer || config.clientId !== pending.clientId) {
        throw new DomainException(ErrorCode.Unauthenticated, 'the single sign-on setting changed during this sign-in; start again');
      }
      const clientSecret = this.configs.clientSecret(config);
      const provider = await atIdp(() => this.oidc.provider(config.issuer, { clientId: config.clientId, clientSecret }));
      // The authorization response is checked first: an `error` from the IdP, and RFC 9207's `iss` (a response naming
      // another issuer, or none from an issuer that always names itself, was meant for another IdP: mix-up attack).
      const { claims: idClaims, accessToken } = await atIdp(() =>
        this.oidc.redeem(
          provider,
          { redirectUri: pending.redirectUri, state: request.state, code: request.code, iss: request.iss, error: request.error },
          { nonce: pending.nonce, codeVerifier: pending.codeVerifier },
        ),
      );
      subject = idClaims.sub;
      let claims: Record<string, unknown> = idClaims;
      // Many IdPs put profile and group claims only in userinfo for the code flow (Core section 5.4).
      if (claims['email'] === undefined || claimAt(claims, config.groupsClaim) === undefined) {
        claims = { ...(await atIdp(() => this.oidc.userinfo(provider, accessToken, idClaims.sub))), ...idClaims };
      }
      identity = identityOf(claims, config.groupsClaim);
      if (!identity.email || !EMAIL.test(identity.email)) {
        throw new DomainException(ErrorCode.ValidationFailed, 'the identity provider sent no usable email address', [
          { field: 'email', message: 'request the email scope, or map an email claim at the identity provider' },
        ]);
      }
      if (identity.emailVerified === false) throw new DomainException(ErrorCode.Forbidden, 'the identity provider has not verified this email address');
      const roles = rolesForGroups(identity.groups, config.groupRoleMap as Record<string, SsoRoleName>, config.defaultRole as SsoRoleName | null);
      if (roles.length === 0) throw new DomainException(ErrorCode.Forbidden, 'none of your groups at the identity provider grants access to Clarion');
      return await this.signIn(pending, identity, roles, client);
    } catch (err) {
      if (err instanceof DomainException) await this.recordFailure(pending, subject, identity, err, client);
      throw err;
    }
  }

  /** Creates or updates the user and opens the session, in one tenant transaction with its audit events. */
  private async signIn(pending: PendingSignIn, identity: ExternalIdentity, roles: RoleName[], client: ClientInfo): Promise<TokenPairResponseDto> {
    const { tenantId, issuer } = pending;
    const email = identity.email ?? '';
    try {
      return await this.db.withTenant(tenantId, async (m) => {
        const users = new UserRepository(m);
        let user: UserRow | null = await users.findByExternalSubject(issuer, identity.subject);
        const created = !user;
        if (user) {
          if (user.status !== 'active') throw new DomainException(ErrorCode.Forbidden, 'this account is disabled');
          if (!sameRoles(user.roles, roles)) {
            await users.updateRoles(user.id, roles);
            await this.audit.append(m, {
              tenantId,
              actorType: 'system',
              actorId: 'sso',
              action: 'user.role_change',
              target: user.id,
              outcome: 'success',
              ...client,
              details: { from: user.roles, to: roles, groups: identity.groups, issuer },
            });
            user = { ...user, roles };
          }
        } else {
          // Never linked by email: an IdP account claiming a local user's address must not take that account over.
          if (await users.findByEmail(email)) {
            throw new DomainException(ErrorCode.Forbidden, 'a Clarion account with this email already exists and is not linked to this identity provider');
          }
          user = await users.insert({
            tenantId,
            email,
            displayName: identity.displayName ?? email,
            passwordHash: null,
            roles,
            mustChangePassword: false,
            externalIssuer: issuer,
            externalSubject: identity.subject,
          });
          await this.audit.append(m, {
            tenantId,
            actorType: 'system',
            actorId: 'sso',
            action: 'user.create',
            target: user.id,
            outcome: 'success',
            ...client,
            details: { email, roles, issuer, subject: identity.subject },
          });
        }
        await users.recordLogin(user.id);
        const pair = await this.sessions.openSession(m, user, client);
        await this.audit.append(m, {
          tenantId,
          actorType: 'user',
          actorId: user.id,
          action: 'auth.sso_login',
          target: email,
          outcome: 'success',
          ...client,
          details: { sessionId: pair.sessionId, issuer, subject: identity.subject, roles, userCreated: created },
        });
        return pair;
      });
    } catch (err) {
      // Two first sign-ins of one person at the same moment: the second insert meets the first one's row.
      if ((err as { code?: unknown }).code === '23505') {
        throw new DomainException(ErrorCode.Conflict, 'this account was being created by another sign-in; sign in again');
      }
      throw err;
    }
  }

  private async recordFailure(
    pending: PendingSignIn,
    subject: string | null,
    identity: ExternalIdentity | null,
    err: DomainException,
    client: ClientInfo,
  ): Promise<void> {
    // The IdP's part is recorded as it happened; the caller got the public wording.
    const reason = err instanceof IdpFailureException ? err.reason : err;
    this.logger.warn({ tenantId: pending.tenantId, issuer: pending.issuer, code: reason.code, reason: reason.message }, 'single sign-on refused');
    try {
      await this.audit.record({
        tenantId: pending.tenantId,
        actorType: 'anonymous',
        action: 'auth.sso_login',
        target: identity?.email ?? subject ?? pending.issuer,
        outcome: err.code === ErrorCode.Forbidden ? 'denied' : 'failure',
        ...client,
        details: { issuer: pending.issuer, subject, code: reason.code, reason: reason.message, groups: identity?.groups },
      });
    } catch (auditErr) {
      // The refusal stands either way; the caller gets the sign-in's error, not the audit's.
      this.logger.error({ err: auditErr, tenantId: pending.tenantId }, 'could not audit a refused single sign-on');
    }
  }
}
