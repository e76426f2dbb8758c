import { DomainException, ErrorCode, type ActorDto, type Permission } from '@clarion/contracts';

/**
 * The gateway checked the route's permission already; every service method checks again, so a request published on
 * NATS by anything else is held to the same rule.
 */
export function requirePermission(actor: ActorDto, permission: Permission): void {
  if (!actor.permissions.includes(permission)) throw new DomainException(ErrorCode.Forbidden, `requires the ${permission} permission`);
}
