import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'clarion:public';
export const REQUIRED_PERMISSIONS = 'clarion:permissions';

/** A route anyone may call (health, login, JWKS, the status page). Every other route needs a credential. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** The permissions a route needs; checked against the caller's verified credential. */
export const RequirePermissions = (...permissions: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_PERMISSIONS, permissions);

/** Any verified credential, no particular permission (the caller's own profile and sessions). */
export const Authenticated = (): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_PERMISSIONS, []);
