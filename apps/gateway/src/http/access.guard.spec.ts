import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainException, ErrorCode, type ActorDto } from '@clarion/contracts';
import type { CredentialVerifierService } from '../auth/credential-verifier.service';
import { Authenticated, Public, RequirePermissions } from './access.decorators';
import { AccessGuard } from './access.guard';

class Routes {
  @Public()
  open(): string {
    return 'open';
  }

  @RequirePermissions('clusters:write')
  guarded(): string {
    return 'guarded';
  }

  @Authenticated()
  anyUser(): string {
    return 'any';
  }

  undeclared(): string {
    return 'undeclared';
  }
}

const viewer: ActorDto = { kind: 'user', tenantId: '11111111-1111-4111-8111-111111111111', id: 'u1', permissions: ['clusters:read'] };

function setup(verified: ActorDto | DomainException) {
  const request: Record<string, unknown> = { headers: { authorization: 'Bearer x' }, ip: '127.0.0.1' };
  const credentials = {
    verify: async () => {
      if (verified instanceof DomainException) throw verified;
      return verified;
    },
  } as unknown as CredentialVerifierService;
  const guard = new AccessGuard(new Reflector(), credentials);
  const contextFor = (name: keyof Routes): ExecutionContext =>
    ({ getHandler: () => Routes.prototype[name], getClass: () => Routes, switchToHttp: () => ({ getRequest: () => request }) }) as unknown as ExecutionContext;
  return { guard, contextFor, request };
}

describe('AccessGuard (deny by default)', () => {
  it('lets a public route through without a credential', async () => {
    const { guard, contextFor } = setup(new DomainException(ErrorCode.Unauthenticated, 'none'));
    await expect(guard.canActivate(contextFor('open'))).resolves.toBe(true);
  });

  it('refuses a route that needs permissions when the credential does not verify', async () => {
    const { guard, contextFor } = setup(new DomainException(ErrorCode.Unauthenticated, 'bad token'));
    await expect(guard.canActivate(contextFor('guarded'))).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
  });

  it('refuses a verified caller without the permission with FORBIDDEN', async () => {
    const { guard, contextFor } = setup(viewer);
    await expect(guard.canActivate(contextFor('guarded'))).rejects.toMatchObject({ code: ErrorCode.Forbidden });
  });

  it('admits any verified caller on an @Authenticated route and attaches the actor', async () => {
    const { guard, contextFor, request } = setup(viewer);
    await expect(guard.canActivate(contextFor('anyUser'))).resolves.toBe(true);
    expect(request['actor']).toEqual(viewer);
  });

  it('refuses a route that declares no access rule at all', async () => {
    const { guard, contextFor } = setup(viewer);
    await expect(guard.canActivate(contextFor('undeclared'))).rejects.toMatchObject({ code: ErrorCode.Forbidden });
  });
});
