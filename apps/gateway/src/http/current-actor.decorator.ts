import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { DomainException, ErrorCode, type ActorDto } from '@clarion/contracts';
import type { AuthenticatedRequest } from './access.guard';

/** The verified actor of a route that declares permissions (set by AccessGuard). */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): ActorDto => {
  const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  if (!actor) throw new DomainException(ErrorCode.Unauthenticated, 'a valid credential is required');
  return actor;
});

/** Source address and user agent of a public route's caller (login, refresh), for throttling and the audit log. */
export const ClientInfo = createParamDecorator((_data: unknown, context: ExecutionContext): { sourceIp?: string; userAgent?: string } => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  const ua = request.headers['user-agent'];
  return { sourceIp: request.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : undefined };
});
