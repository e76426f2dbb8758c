import { Injectable } from '@nestjs/common';
import {
  DomainException,
  ErrorCode,
  permissionsOfRoles,
  type ActorDto,
  type CreateUserRequestDto,
  type ResetPasswordRequestDto,
  type UpdateUserRequestDto,
  type Permission,
  type RoleName,
  type UserDto,
} from '@clarion/contracts';
import { Database, TenantRepository } from '@clarion/persistence';
import { SessionRepository, UserRepository, type UserRow } from '../data';
import { ApiKeyService } from '../api-keys/api-key.service';
import { SessionRevocations } from '../sessions/session-revocations';
import { AuditService } from '../audit/audit.service';
import { PasswordHasherService } from '../passwords/password-hasher.service';
import { assertAcceptablePassword } from '../passwords/password-policy';
import { assertOutranks, assertPermission } from './user-permissions';

export function toUserDto(u: UserRow): UserDto {
  return {
    id: u.id,
    tenantId: u.tenantId,
    email: u.email,
    displayName: u.displayName,
    roles: u.roles as RoleName[],
    status: u.status,
    mustChangePassword: u.mustChangePassword,
    lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
    createdAt: u.createdAt.toISOString(),
  };
}

export { assertOutranks, assertPermission } from './user-permissions';

/** Users of a tenant: creation by admins (and by the CLI/bootstrap), roles, status, resets, profile. */
@Injectable()
export class UserService {
  constructor(
    private readonly db: Database,
    private readonly hasher: PasswordHasherService,
    private readonly audit: AuditService,
    private readonly apiKeys: ApiKeyService,
    private readonly revocations: SessionRevocations,
  ) {}

  async create(request: CreateUserRequestDto): Promise<UserDto> {
    const { actor } = request;
    assertPermission(actor, 'users:manage');
    // Nobody grants more than they hold: only a superadmin creates superadmins.
    const granted = permissionsOfRoles(request.roles);
    if (granted.some((p) => !actor.permissions.includes(p))) {
      throw new DomainException(ErrorCode.Forbidden, 'cannot grant roles with permissions you do not hold');
    }
    const user = await this.createInTenant(actor.tenantId, request, true, { type: actor.kind, id: actor.id });
    return toUserDto(user);
  }

  /** Creates a user in a tenant (by slug), creating the tenant when asked: the CLI's `admin create` and bootstrap. */
  async createAdmin(input: { tenantSlug: string; tenantName?: string; email: string; displayName: string; password: string; roles: RoleName[] }): Promise<UserDto> {
    const tenant =
      (await this.db.withoutTenant((m) => new TenantRepository(m).findBySlug(input.tenantSlug))) ??
      (await this.db.withoutTenant((m) => new TenantRepository(m).insert(input.tenantSlug, input.tenantName ?? input.tenantSlug)));
    const user = await this.createInTenant(tenant.id, input, false, { type: 'system', id: 'cli' });
    return toUserDto(user);
  }

  private async createInTenant(
    tenantId: string,
    input: { email: string; displayName: string; password: string; roles: RoleName[] },
    mustChangePassword: boolean,
    by: { type: string; id: string },
  ): Promise<UserRow> {
    const email = input.email.trim().toLowerCase();
    assertAcceptablePassword(input.password, [email, input.displayName]);
    const passwordHash = await this.hasher.hash(input.password);
    return this.db.withTenant(tenantId, async (m) => {
      const users = new UserRepository(m);
      if (await users.findByEmail(email)) throw new DomainException(ErrorCode.Conflict, 'a user with this email already exists');
      const user = await users.insert({ tenantId, email, displayName: input.displayName, passwordHash, roles: input.roles, mustChangePassword });
      await this.audit.append(m, {
        tenantId,
        actorType: by.type === 'system' ? 'system' : (by.type as 'user' | 'api_key'),
        actorId: by.id,
        action: 'user.create',
        target: user.id,
        outcome: 'success',
        details: { email, roles: input.roles },
      });
      return user;
    });
  }

  /** Roles and status by an admin; every change is audited, and disabling a user ends their sessions. */
  async update(request: UpdateUserRequestDto): Promise<UserDto> {
    const { actor } = request;
    assertPermission(actor, 'users:manage');
    if (request.roles && permissionsOfRoles(request.roles).some((p) => !actor.permissions.includes(p))) {
      throw new DomainException(ErrorCode.Forbidden, 'cannot grant roles with permissions you do not hold');
    }
    if (request.userId === actor.id && (request.status === 'disabled' || (request.roles && !request.roles.includes('admin')))) {
      throw new DomainException(ErrorCode.Conflict, 'an admin cannot disable or demote themselves; ask another admin');
    }
    return this.db.withTenant(actor.tenantId, async (m) => {
      const users = new UserRepository(m);
      const user = await users.findById(request.userId);
      if (!user) throw new DomainException(ErrorCode.NotFound, 'no such user');
      assertOutranks(actor, user);
      const audit = { tenantId: actor.tenantId, actorType: actor.kind, actorId: actor.id, target: user.id, outcome: 'success' as const, sourceIp: actor.sourceIp, userAgent: actor.userAgent };
      if (request.roles && [...request.roles].sort().join() !== [...user.roles].sort().join()) {
        await users.updateRoles(user.id, request.roles);
        // The user's API keys are bounded by the new roles from their next verification: none stays cached wider.
        const keysNarrowed = await this.apiKeys.clearCachedKeysOf(m, user.id);
        await this.audit.append(m, { ...audit, action: 'user.role_change', details: { from: user.roles, to: request.roles, keysNarrowed } });
      }
      if (request.status && request.status !== user.status) {
        await users.updateStatus(user.id, request.status);
        let keysRevoked = 0;
        if (request.status === 'disabled') {
          await this.revocations.ended(actor.tenantId, await new SessionRepository(m).revokeAllOfUser(user.id, 'user_disabled'));
          keysRevoked = await this.apiKeys.revokeKeysOf(m, user.id);
        }
        await this.audit.append(m, { ...audit, action: 'user.status_change', details: { from: user.status, to: request.status, keysRevoked } });
      }
      const updated = await users.findById(user.id);
      return toUserDto(updated ?? user);
    });
  }

  /**
   * An admin sets a temporary password: the user must change it at the next login, their sessions end, and a
   * lockout is released by the caller (AccountUnlockService) so the user can sign in.
   */
  async resetPassword(request: ResetPasswordRequestDto): Promise<UserDto> {
    const { actor } = request;
    assertPermission(actor, 'users:manage');
    const user = await this.db.withTenant(actor.tenantId, (m) => new UserRepository(m).findById(request.userId));
    if (!user) throw new DomainException(ErrorCode.NotFound, 'no such user');
    assertOutranks(actor, user);
    if (user.externalIssuer) throw new DomainException(ErrorCode.Conflict, 'this user signs in through SSO and has no local password');
    assertAcceptablePassword(request.temporaryPassword, [user.email, user.displayName]);
    const hash = await this.hasher.hash(request.temporaryPassword);
    return this.db.withTenant(actor.tenantId, async (m) => {
      await new UserRepository(m).updatePassword(user.id, hash, true);
      await this.revocations.ended(actor.tenantId, await new SessionRepository(m).revokeAllOfUser(user.id, 'password_reset'));
      await this.audit.append(m, { tenantId: actor.tenantId, actorType: actor.kind, actorId: actor.id, action: 'user.password_reset', target: user.id, outcome: 'success', sourceIp: actor.sourceIp, userAgent: actor.userAgent });
      return toUserDto({ ...user, mustChangePassword: true });
    });
  }

  async me(actor: ActorDto): Promise<UserDto & { permissions: Permission[] }> {
    if (actor.kind !== 'user') throw new DomainException(ErrorCode.Forbidden, 'an API key has no user profile');
    const user = await this.db.withTenant(actor.tenantId, (m) => new UserRepository(m).findById(actor.id));
    if (!user) throw new DomainException(ErrorCode.NotFound, 'no such user');
    return { ...toUserDto(user), permissions: permissionsOfRoles(user.roles) };
  }

  async list(actor: ActorDto): Promise<UserDto[]> {
    assertPermission(actor, 'users:read');
    const rows = await this.db.withTenant(actor.tenantId, (m) => new UserRepository(m).listPage(null, 500));
    return rows.map(toUserDto);
  }
}
