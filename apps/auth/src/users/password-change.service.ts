import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode, type ChangePasswordRequestDto } from '@clarion/contracts';
import { Database, TenantRepository } from '@clarion/persistence';
import { SessionRepository, UserRepository } from '../data';
import { AuditService } from '../audit/audit.service';
import { PasswordHasherService } from '../passwords/password-hasher.service';
import { assertAcceptablePassword } from '../passwords/password-policy';
import { SessionRevocations } from '../sessions/session-revocations';
import { LoginThrottleService } from '../throttle/login-throttle.service';

/**
 * A user changes their own password. Checking the current one is a password guess like a login, so it is throttled
 * like one, on the same account and address counts: a stolen session cannot be used to brute-force the password, nor
 * to get around a block that sign-in set.
 */
@Injectable()
export class PasswordChangeService {
  constructor(
    private readonly db: Database,
    private readonly hasher: PasswordHasherService,
    private readonly throttle: LoginThrottleService,
    private readonly audit: AuditService,
    private readonly revocations: SessionRevocations,
  ) {}

  async changePassword(request: ChangePasswordRequestDto): Promise<{ changed: true }> {
    const { actor } = request;
    if (actor.kind !== 'user') throw new DomainException(ErrorCode.Forbidden, 'only users have passwords');
    const user = await this.db.withTenant(actor.tenantId, (m) => new UserRepository(m).findById(actor.id));
    const tenant = await this.db.withoutTenant((m) => new TenantRepository(m).findById(actor.tenantId));
    if (!user || !tenant) throw new DomainException(ErrorCode.NotFound, 'no such user');
    const client = { sourceIp: actor.sourceIp, userAgent: actor.userAgent };
    await this.throttle.assertAllowed(tenant.slug, user.email, actor.sourceIp);
    if (!(await this.hasher.verify(user.passwordHash, request.currentPassword))) {
      const lock = await this.throttle.recordFailure(tenant.slug, user.email, actor.sourceIp);
      await this.audit.record({ tenantId: actor.tenantId, actorType: 'user', actorId: user.id, action: 'user.password_change', target: user.id, outcome: 'failure', ...client });
      if (lock.locked) {
        await this.audit.record({ tenantId: actor.tenantId, actorType: 'system', action: 'auth.lockout', target: user.email, outcome: 'success', ...client, details: { lockSeconds: lock.retryAfterSeconds } });
      }
      throw new DomainException(ErrorCode.Unauthenticated, 'the current password is wrong');
    }
    await this.throttle.recordSuccess(tenant.slug, user.email, actor.sourceIp);
    if (request.newPassword === request.currentPassword) {
      throw new DomainException(ErrorCode.ValidationFailed, 'the new password must differ from the current one', [{ field: 'newPassword', message: 'must differ from the current password' }]);
    }
    assertAcceptablePassword(request.newPassword, [user.email, user.displayName]);
    const hash = await this.hasher.hash(request.newPassword);
    await this.db.withTenant(actor.tenantId, async (m) => {
      await new UserRepository(m).updatePassword(user.id, hash, false);
      // Whoever else holds a session of this user (the reason one changes a password) is signed out; the session
      // that changed it stays.
      const ended = await new SessionRepository(m).revokeOthersOfUser(user.id, actor.sessionId, 'password_changed');
      await this.revocations.ended(actor.tenantId, ended);
      await this.audit.append(m, { tenantId: actor.tenantId, actorType: 'user', actorId: user.id, action: 'user.password_change', target: user.id, outcome: 'success', ...client, details: { otherSessionsEnded: ended.length } });
    });
    return { changed: true };
  }
}
