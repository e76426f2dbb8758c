import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainException, ErrorCode } from '@clarion/contracts';
import { Public, RequirePermissions } from './access.decorators';
import { AccessGuard } from './access.guard';

class Routes {
  @Public()
  open(): string {
    return 'open';
  }

  @RequirePermissions('clusters:read')
  guarded(): string {
    return 'guarded';
  }

  undeclared(): string {
    return 'undeclared';
  }
}

const contextFor = (name: keyof Routes): ExecutionContext =>
  ({ getHandler: () => Routes.prototype[name], getClass: () => Routes }) as unknown as ExecutionContext;

describe('AccessGuard (deny by default)', () => {
  const guard = new AccessGuard(new Reflector());

  it('lets a public route through', () => {
    expect(guard.canActivate(contextFor('open'))).toBe(true);
  });

  it('refuses a route that needs permissions when no credential is verified', () => {
    expect(() => guard.canActivate(contextFor('guarded'))).toThrow(expect.objectContaining({ code: ErrorCode.Unauthenticated }));
  });

  it('refuses a route that declares no access rule at all', () => {
    try {
      guard.canActivate(contextFor('undeclared'));
      throw new Error('expected a refusal');
    } catch (err) {
      expect(err).toBeInstanceOf(DomainException);
      expect((err as DomainException).code).toBe(ErrorCode.Forbidden);
    }
  });
});
