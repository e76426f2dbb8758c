import { Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainException, ErrorCode, type ActorDto } from '@clarion/contracts';
import { RequestContext } from '@clarion/observability';
import type { FastifyRequest } from 'fastify';
import { HttpAuditService, STATE_CHANGING_METHODS } from '../audit/http-audit.service';
import { CredentialVerifierService } from '../auth/credential-verifier.service';
import type { HotReadLookup } from '../cache/hot-read-cache';
import { principalSubject, RateLimitService } from '../rate-limit/rate-limit.service';
import { PUBLIC_ROUTE, REQUIRED_PERMISSIONS } from './access.decorators';

export type AuthenticatedRequest = FastifyRequest & {
  actor?: ActorDto;
  /**
   * Set by the fast lane: the caller it identified (a remembered token or a cached API key), for the guard to reuse;
   * the route's permissions are still the guard's to check.
   */
  knownActor?: ActorDto;
  /** Set by the fast lane: the API key presented is not in the shared cache (already read), so `verify` asks auth. */
  apiKeyCacheMissed?: boolean;
  /** Set by the fast lane (registerHotReadFastLane): this request's address and principal limits are counted. */
  rateLimitsCounted?: boolean;
  /** Set by the fast lane on a hot read: its cache lookup is done (a miss), to be reused. */
  hotReadAdmission?: { lookup: HotReadLookup };
};

/** Who is calling from where, as the audit log and the session records keep it. */
export const clientOf = (request: FastifyRequest): { sourceIp: string; userAgent?: string } => ({
  sourceIp: request.ip,
  userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'].slice(0, 512) : undefined,
});

/**
 * Deny by default. A route is reachable only when it is declared @Public() or declares the permissions it needs and
 * the caller presents a credential holding all of them. The tenant always comes from the verified credential.
 * Once verified, the caller's own rate limit applies; a state-changing call refused for a missing permission is
 * audited as denied.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly credentials: CredentialVerifierService,
    @Optional() private readonly rateLimits?: RateLimitService,
    @Optional() private readonly audit?: HttpAuditService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const permissions = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_PERMISSIONS, targets);
    if (!permissions) {
      // A route that declares neither is a programming error; refusing it keeps it from being open by accident.
      throw new DomainException(ErrorCode.Forbidden, 'this route declares no access rule');
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const actor = request.knownActor ?? (await this.credentials.verify(request.headers, clientOf(request), { apiKeyCacheRead: request.apiKeyCacheMissed === true }));
    RequestContext.set('tenantId', actor.tenantId);
    if (!request.rateLimitsCounted) await this.rateLimits?.enforce('principal', principalSubject(actor));
    const missing = permissions.filter((p) => !(actor.permissions as string[]).includes(p));
    if (missing.length > 0) {
      if (this.audit && STATE_CHANGING_METHODS.has(request.method)) {
        await this.audit.record(actor, request.method, request.routeOptions?.url ?? '', 'denied', Object.values(request.params ?? {}).join('/') || undefined);
      }
      throw new DomainException(ErrorCode.Forbidden, `requires ${missing.join(', ')}`);
    }
    request.actor = actor;
    return true;
  }
}
