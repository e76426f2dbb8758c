import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainException, ErrorCode } from '@clarion/contracts';
import { PUBLIC_ROUTE, REQUIRED_PERMISSIONS } from './access.decorators';

/**
 * Deny by default. A route is reachable only when it is declared @Public() or declares the permissions it needs.
 * Credential verification (JWT against the auth service's JWKS, API keys) plugs in here with the auth issue; until
 * then a route that needs permissions answers 401, never 200.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const permissions = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_PERMISSIONS, targets);
    if (!permissions) {
      // A route that declares neither is a programming error; refusing it keeps it from being open by accident.
      throw new DomainException(ErrorCode.Forbidden, 'this route declares no access rule');
    }
    throw new DomainException(ErrorCode.Unauthenticated, 'a valid credential is required');
  }
}
