import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode, type ActorDto, type UserDto } from '@clarion/contracts';
import { Database, TenantRepository } from '@clarion/persistence';
import { UserRepository } from '../data';
import { AuditService } from '../audit/audit.service';
import { toUserDto } from '../users/user.service';
import { assertOutranks, assertPermission } from '../users/user-permissions';
import { LoginThrottleService } from './login-throttle.service';

/** Lifts a user's sign-in throttling: by an admin on its own (the password stays), and after a password reset. */
@Injectable()
export class AccountUnlockService {
  constructor(
    private readonly db: Database,
    private readonly throttle: LoginThrottleService,
    private readonly audit: AuditService,
  ) {}

  /** An admin unlocks a user of their tenant without resetting the password; audited as `user.unlock`. */
  async unlock(request: { actor: ActorDto; userId: string }): Promise<UserDto> {
    const { actor } = request;
    assertPermission(actor, 'users:manage');
    const user = await this.db.withTenant(actor.tenantId, (m) => new UserRepository(m).findById(request.userId));
    if (!user) throw new DomainException(ErrorCode.NotFound, 'no such user');
    assertOutranks(actor, user);
    const removed = await this.release(user.tenantId, user.email);
    await this.audit.record({
      tenantId: actor.tenantId,
      actorType: actor.kind,
      actorId: actor.id,
      action: 'user.unlock',
      target: user.id,
      outcome: 'success',
      sourceIp: actor.sourceIp,
      userAgent: actor.userAgent,
      details: { removed },
    });
    return toUserDto(user);
  }

  /** Forgets every failure and block of the user's account (the throttle keys it by tenant slug and email). */
  async release(tenantId: string, email: string): Promise<number> {
    const tenant = await this.db.withoutTenant((m) => new TenantRepository(m).findById(tenantId));
    if (!tenant) throw new DomainException(ErrorCode.NotFound, 'no such tenant');
    return this.throttle.unlockAccount(tenant.slug, email);
  }
}
