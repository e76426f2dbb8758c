import { DomainException, ErrorCode, permissionsOfRoles, type ActorDto, type Permission } from '@clarion/contracts';
import type { UserRow } from '../data';

export function assertPermission(actor: ActorDto, permission: Permission): void {
  if (!actor.permissions.includes(permission)) throw new DomainException(ErrorCode.Forbidden, `requires the ${permission} permission`);
}

/**
 * Nobody resets, demotes, disables or unlocks a user whose permissions exceed their own (an admin cannot take over a
 * superadmin by resetting the password).
 */
export function assertOutranks(actor: ActorDto, target: Pick<UserRow, 'roles'>): void {
  const held = new Set(actor.permissions);
  if (permissionsOfRoles(target.roles).some((p) => !held.has(p))) {
    throw new DomainException(ErrorCode.Forbidden, 'cannot change a user who holds permissions you do not hold');
  }
}
