import { Inject, Injectable } from '@nestjs/common';
import {
  DomainException,
  ErrorCode,
  type ActorDto,
  type LoginRequestDto,
  type RefreshRequestDto,
  type RoleName,
  type SessionDto,
  type TokenPairResponseDto,
} from '@clarion/contracts';
import { Database, TenantRepository } from '@clarion/persistence';
import { SessionRepository, TenantLookupRepository, UserRepository, type UserRow } from '../data';
import { ROOT_LOGGER } from '@clarion/platform';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { AuthEnv } from '../auth.env';
import { SessionRevocations } from './session-revocations';
import { AuditService } from '../audit/audit.service';
import { PasswordHasherService } from '../passwords/password-hasher.service';
import { LoginThrottleService } from '../throttle/login-throttle.service';
import { hashToken, TokenService } from '../tokens/token.service';

/** The one answer for every failed login, whatever the reason, so an attacker learns nothing about accounts. */
const INVALID_CREDENTIALS = 'invalid tenant, email or password';

/**
 * Login, refresh with rotation and reuse detection, logout, and session listing and revocation.
 */
/**
 * The roles an access token carries. A user who must change a password (one an admin set) gets none: every route
 * that needs a permission refuses the session until the change (changing the password, reading who one is and
 * signing out need none). The next refresh after the change carries the roles again.
 */
export function rolesInToken(user: Pick<UserRow, 'roles' | 'mustChangePassword'>): RoleName[] {
  return user.mustChangePassword ? [] : (user.roles as RoleName[]);
}

@Injectable()
export class SessionService {
  constructor(
    private readonly db: Database,
    private readonly env: AuthEnv,
    private readonly hasher: PasswordHasherService,
    private readonly tokens: TokenService,
    private readonly throttle: LoginThrottleService,
    private readonly audit: AuditService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    private readonly revocations: SessionRevocations,
  ) {}

  async login(request: LoginRequestDto): Promise<TokenPairResponseDto> {
    const email = request.email.trim().toLowerCase();
    // Throttled on the slug and email as given, before either is looked up: a tenant or user that does not exist is
    // counted, blocked and answered exactly like one that does, so 429s cannot tell which accounts are real.
    await this.throttle.assertAllowed(request.tenant, email, request.sourceIp);
    const tenant = await this.db.withoutTenant((m) => new TenantRepository(m).findBySlug(request.tenant));
    if (!tenant) {
      // Same work and the same answer as a wrong password.
      await this.hasher.burn(request.password);
      await this.throttle.recordFailure(request.tenant, email, request.sourceIp);
      throw new DomainException(ErrorCode.Unauthenticated, INVALID_CREDENTIALS);
    }
    const user = await this.db.withTenant(tenant.id, (m) => new UserRepository(m).findByEmail(email));
    const passwordOk = await this.hasher.verify(user?.passwordHash ?? null, request.password);
    const client = { sourceIp: request.sourceIp, userAgent: request.userAgent };
    const suspended = tenant.status !== 'active';
    if (!user || !passwordOk || user.status !== 'active' || suspended) {
      const lock = await this.throttle.recordFailure(request.tenant, email, request.sourceIp);
      await this.audit.record({
        tenantId: tenant.id,
        actorType: user ? 'user' : 'anonymous',
        actorId: user?.id ?? null,
        action: 'auth.login',
        target: email,
        outcome: 'failure',
        ...client,
        details: { reason: !user ? 'unknown_user' : !passwordOk ? 'bad_password' : user.status !== 'active' ? 'disabled' : 'tenant_suspended' },
      });
      if (lock.locked) {
        this.logger.warn({ tenantId: tenant.id, lockSeconds: lock.retryAfterSeconds }, 'address blocked for an account after repeated failed logins');
        await this.audit.record({
          tenantId: tenant.id,
          actorType: 'system',
          action: 'auth.lockout',
          target: email,
          outcome: 'success',
          ...client,
          details: { lockSeconds: lock.retryAfterSeconds },
        });
      }
      throw new DomainException(ErrorCode.Unauthenticated, INVALID_CREDENTIALS);
    }
    await this.throttle.recordSuccess(request.tenant, email, request.sourceIp);
    if (user.passwordHash && this.hasher.needsRehash(user.passwordHash)) {
      const rehashed = await this.hasher.hash(request.password);
      await this.db.withTenant(tenant.id, (m) => new UserRepository(m).updatePassword(user.id, rehashed, user.mustChangePassword));
    }
    return this.db.withTenant(tenant.id, async (m) => {
      await new UserRepository(m).recordLogin(user.id);
      const pair = await this.openSession(m, user, client);
      await this.audit.append(m, {
        tenantId: tenant.id,
        actorType: 'user',
        actorId: user.id,
        action: 'auth.login',
        target: email,
        outcome: 'success',
        ...client,
        details: { sessionId: pair.sessionId },
      });
      return pair;
    });
  }

  /** Opens a session for an authenticated user (password or SSO login) inside the caller's tenant transaction. */
  async openSession(m: EntityManager, user: UserRow, client: { sourceIp?: string; userAgent?: string }): Promise<TokenPairResponseDto> {
    // Every sign-in path ends here: a suspended tenant opens no session, whichever way its user signed in.
    const tenant = await new TenantRepository(m).findById(user.tenantId);
    if (tenant?.status !== 'active') throw new DomainException(ErrorCode.Unauthenticated, INVALID_CREDENTIALS);
    const now = Date.now();
    const sessionId = randomUUID();
    const absoluteExpiresAt = new Date(now + this.env.SESSION_ABSOLUTE_TTL_S * 1000);
    const idleExpiresAt = new Date(Math.min(absoluteExpiresAt.getTime(), now + this.env.SESSION_IDLE_TTL_S * 1000));
    const sessions = new SessionRepository(m);
    await sessions.insert({ id: sessionId, tenantId: user.tenantId, userId: user.id, idleExpiresAt, absoluteExpiresAt, ...client });
    const refresh = this.tokens.newRefreshToken(sessionId);
    await sessions.insertRefreshToken(refresh.hash, user.tenantId, sessionId);
    const access = await this.tokens.issueAccessToken({ userId: user.id, tenantId: user.tenantId, roles: rolesInToken(user), sessionId });
    return {
      accessToken: access.token,
      tokenType: 'Bearer',
      expiresIn: access.expiresIn,
      refreshToken: refresh.token,
      refreshExpiresAt: idleExpiresAt.toISOString(),
      sessionId,
      mustChangePassword: user.mustChangePassword,
    };
  }

  async refresh(request: RefreshRequestDto): Promise<TokenPairResponseDto> {
    const sessionId = this.tokens.sessionOf(request.refreshToken);
    const tenantId = sessionId ? await this.db.withoutTenant((m) => new TenantLookupRepository(m).tenantOfSession(sessionId)) : null;
    if (!sessionId || !tenantId) throw new DomainException(ErrorCode.Unauthenticated, 'the refresh token is not valid');
    const client = { sourceIp: request.sourceIp, userAgent: request.userAgent };
    const outcome = await this.db.withTenant(tenantId, async (m) => {
      const sessions = new SessionRepository(m);
      const session = await sessions.findById(sessionId);
      if (!session) return { error: 'unknown' as const };
      const consumed = await sessions.consumeRefreshToken(hashToken(request.refreshToken), sessionId);
      if (consumed === 'reused') {
        // A refresh token used twice means it was copied: end the whole session for everyone holding it.
        await sessions.revoke(sessionId, 'refresh_token_reuse');
        await this.revocations.ended(tenantId, [sessionId]);
        await this.audit.append(m, {
          tenantId,
          actorType: 'user',
          actorId: session.userId,
          action: 'auth.refresh_reuse',
          target: sessionId,
          outcome: 'denied',
          ...client,
          details: { sessionRevoked: true },
        });
        return { error: 'reused' as const };
      }
      const now = Date.now();
      if (consumed === 'unknown' || session.revokedAt || session.idleExpiresAt.getTime() <= now || session.absoluteExpiresAt.getTime() <= now) {
        return { error: 'expired' as const };
      }
      const user = await new UserRepository(m).findById(session.userId);
      const tenant = await new TenantRepository(m).findById(tenantId);
      if (!user || user.status !== 'active' || tenant?.status !== 'active') {
        await sessions.revoke(sessionId, 'user_disabled');
        await this.revocations.ended(tenantId, [sessionId]);
        return { error: 'expired' as const };
      }
      const idleExpiresAt = new Date(Math.min(session.absoluteExpiresAt.getTime(), now + this.env.SESSION_IDLE_TTL_S * 1000));
      await sessions.touch(sessionId, idleExpiresAt);
      const refresh = this.tokens.newRefreshToken(sessionId);
      await sessions.insertRefreshToken(refresh.hash, tenantId, sessionId);
      const access = await this.tokens.issueAccessToken({ userId: user.id, tenantId, roles: rolesInToken(user), sessionId });
      await this.audit.append(m, { tenantId, actorType: 'user', actorId: user.id, action: 'auth.refresh', target: sessionId, outcome: 'success', ...client });
      return {
        pair: {
          accessToken: access.token,
          tokenType: 'Bearer' as const,
          expiresIn: access.expiresIn,
          refreshToken: refresh.token,
          refreshExpiresAt: idleExpiresAt.toISOString(),
          sessionId,
          mustChangePassword: user.mustChangePassword,
        },
      };
    });
    if ('pair' in outcome && outcome.pair) return outcome.pair;
    throw new DomainException(
      ErrorCode.Unauthenticated,
      outcome.error === 'reused' ? 'the refresh token was already used; the session has been revoked' : 'the refresh token is not valid',
    );
  }

  async logout(refreshToken: string): Promise<{ revoked: boolean }> {
    const sessionId = this.tokens.sessionOf(refreshToken);
    const tenantId = sessionId ? await this.db.withoutTenant((m) => new TenantLookupRepository(m).tenantOfSession(sessionId)) : null;
    if (!sessionId || !tenantId) return { revoked: false };
    return this.db.withTenant(tenantId, async (m) => {
      const sessions = new SessionRepository(m);
      const session = await sessions.findById(sessionId);
      // Only the holder of a live refresh token of this session may end it this way.
      const consumed = session ? await sessions.consumeRefreshToken(hashToken(refreshToken), sessionId) : 'unknown';
      if (!session || consumed !== 'fresh') return { revoked: false };
      const revoked = await sessions.revoke(sessionId, 'logout');
      await this.revocations.ended(tenantId, [sessionId]);
      await this.audit.append(m, { tenantId, actorType: 'user', actorId: session.userId, action: 'auth.logout', target: sessionId, outcome: 'success' });
      return { revoked };
    });
  }

  async list(actor: ActorDto): Promise<SessionDto[]> {
    const userId = this.requireUser(actor);
    const rows = await this.db.withTenant(actor.tenantId, (m) => new SessionRepository(m).listActiveOfUser(userId));
    return rows.map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      expiresAt: new Date(Math.min(s.idleExpiresAt.getTime(), s.absoluteExpiresAt.getTime())).toISOString(),
      sourceIp: s.sourceIp,
      userAgent: s.userAgent,
      current: s.id === actor.sessionId,
    }));
  }

  async revoke(actor: ActorDto, sessionId?: string): Promise<{ revoked: number }> {
    const userId = this.requireUser(actor);
    return this.db.withTenant(actor.tenantId, async (m) => {
      const sessions = new SessionRepository(m);
      let revoked = 0;
      if (sessionId) {
        const session = await sessions.findById(sessionId);
        if (!session || session.userId !== userId) throw new DomainException(ErrorCode.NotFound, 'no such session');
        revoked = (await sessions.revoke(sessionId, 'revoked_by_user')) ? 1 : 0;
        await this.revocations.ended(actor.tenantId, [sessionId]);
      } else {
        const ended = await sessions.revokeAllOfUser(userId, 'revoked_all_by_user');
        await this.revocations.ended(actor.tenantId, ended);
        revoked = ended.length;
      }
      await this.audit.append(m, {
        tenantId: actor.tenantId,
        actorType: 'user',
        actorId: userId,
        action: sessionId ? 'auth.session_revoke' : 'auth.session_revoke_all',
        target: sessionId ?? userId,
        outcome: 'success',
        sourceIp: actor.sourceIp,
        userAgent: actor.userAgent,
        details: { revoked },
      });
      return { revoked };
    });
  }

  private requireUser(actor: ActorDto): string {
    if (actor.kind !== 'user') throw new DomainException(ErrorCode.Forbidden, 'sessions belong to users, not API keys');
    return actor.id;
  }
}
