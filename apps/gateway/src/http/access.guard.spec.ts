import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainException, ErrorCode, type ActorDto } from '@clarion/contracts';
import type { CredentialVerifierService } from '../auth/credential-verifier.service';
import { Authenticated, Public, RequirePermissions } from './access.decorators';
import { AccessGuard } from './access.guard';
import type { HttpAuditService } from '../audit/http-audit.service';
import { RateLimitedException, type RateLimitService } from '../rate-limit/rate-limit.service';

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

function setup(verified: ActorDto | DomainException, extras: { method?: string; rateLimited?: boolean } = {}) {
  const request: Record<string, unknown> = { headers: { authorization: 'Bearer x' }, ip: '127.0.0.1', method: extras.method ?? 'GET', routeOptions: { url: '/api/v1/things' }, params: {} };
  const recorded: Array<{ outcome: string; action: string }> = [];
  const limited: string[] = [];
  const verifyOptions: unknown[] = [];
  const rateLimits = {
    enforce: async (bucket: string, subject: string) => {
      limited.push(`${bucket}:${subject}`);
      if (extras.rateLimited) throw new RateLimitedException(7);
    },
  } as unknown as RateLimitService;
  const audit = {
    record: async (_actor: ActorDto, method: string, path: string, outcome: string) => {
      recorded.push({ outcome, action: `${method} ${path}` });
    },
  } as unknown as HttpAuditService;
  const credentials = {
    verify: async (_headers: unknown, _client: unknown, options: unknown) => {
      verifyOptions.push(options);
      if (verified instanceof DomainException) throw verified;
      return verified;
    },
  } as unknown as CredentialVerifierService;
  const guard = new AccessGuard(new Reflector(), credentials, rateLimits, audit);
  const contextFor = (name: keyof Routes): ExecutionContext =>
    ({ getHandler: () => Routes.prototype[name], getClass: () => Routes, switchToHttp: () => ({ getRequest: () => request }) }) as unknown as ExecutionContext;
  return { guard, contextFor, request, recorded, limited, verifyOptions };
}

describe('AccessGuard (deny by default)', () => {
  it('reuses the caller and the counts of the fast lane instead of verifying and counting again, permissions still checked', async () => {
    const writer: ActorDto = { ...viewer, permissions: ['clusters:write'] };
    const { guard, contextFor, request, limited } = setup(new DomainException(ErrorCode.Unauthenticated, 'not asked'));
    Object.assign(request, { knownActor: writer, rateLimitsCounted: true });
    await expect(guard.canActivate(contextFor('guarded'))).resolves.toBe(true);
    expect(request['actor']).toBe(writer);
    expect(limited).toEqual([]);
    Object.assign(request, { knownActor: viewer });
    await expect(guard.canActivate(contextFor('guarded'))).rejects.toMatchObject({ code: ErrorCode.Forbidden });
  });

  it('tells verify when the fast lane already read the API-key cache (a miss), so it asks auth instead of reading again', async () => {
    const writer: ActorDto = { ...viewer, kind: 'api_key', permissions: ['clusters:write'] };
    const missed = setup(writer);
    Object.assign(missed.request, { apiKeyCacheMissed: true });
    await expect(missed.guard.canActivate(missed.contextFor('guarded'))).resolves.toBe(true);
    expect(missed.verifyOptions).toEqual([{ apiKeyCacheRead: true }]);
    const fresh = setup(writer);
    await expect(fresh.guard.canActivate(fresh.contextFor('guarded'))).resolves.toBe(true);
    expect(fresh.verifyOptions).toEqual([{ apiKeyCacheRead: false }]);
  });

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

  it('counts the verified caller against its own rate limit and refuses it with 429 when it is spent', async () => {
    const ok = setup(viewer);
    await ok.guard.canActivate(ok.contextFor('anyUser'));
    expect(ok.limited).toEqual([`principal:${viewer.tenantId}:user:u1`]);
    const spent = setup(viewer, { rateLimited: true });
    await expect(spent.guard.canActivate(spent.contextFor('anyUser'))).rejects.toMatchObject({ code: ErrorCode.RateLimited, retryAfterSeconds: 7 });
  });

  it('audits a state-changing call refused for a missing permission as denied, but not a refused read', async () => {
    const write = setup(viewer, { method: 'POST' });
    await expect(write.guard.canActivate(write.contextFor('guarded'))).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    expect(write.recorded).toEqual([{ outcome: 'denied', action: 'POST /api/v1/things' }]);
    const read = setup(viewer);
    await expect(read.guard.canActivate(read.contextFor('guarded'))).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    expect(read.recorded).toEqual([]);
  });
});
