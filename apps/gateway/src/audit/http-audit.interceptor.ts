import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, mergeMap, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../http/access.guard';
import { HttpAuditService, outcomeOfError, STATE_CHANGING_METHODS } from './http-audit.service';

/** What a call acted on: its path parameters (`/users/:id` -> the id), else the id of what it created. */
export function auditTarget(params: unknown, result?: unknown): string | undefined {
  const fromPath = Object.values((params ?? {}) as Record<string, unknown>)
    .filter((v): v is string => typeof v === 'string' && v.length > 0)
    .join('/');
  if (fromPath) return fromPath;
  // The created resource: most have a string id; an SGT is named by its numeric value, an exporter by its address.
  const created = result as { id?: unknown; value?: unknown; address?: unknown } | undefined;
  if (typeof created?.id === 'string') return created.id;
  if (typeof created?.address === 'string') return created.address;
  return typeof created?.value === 'number' ? String(created.value) : undefined;
}

/**
 * Records every state-changing call (POST/PUT/PATCH/DELETE) of a verified actor in the audit log once it is answered:
 * success or failure here, denial by the access guard there. Calls without a verified actor (login, refresh, SSO
 * callback) have no tenant to record into; the auth service audits those itself.
 */
@Injectable()
export class HttpAuditInterceptor implements NestInterceptor {
  constructor(private readonly audit: HttpAuditService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const actor = request.actor;
    if (!actor || !STATE_CHANGING_METHODS.has(request.method)) return next.handle();
    const route = request.routeOptions?.url ?? (request.url ?? '').split('?')[0] ?? '';
    return next.handle().pipe(
      mergeMap(async (result: unknown) => {
        await this.audit.record(actor, request.method, route, 'success', auditTarget(request.params, result));
        return result;
      }),
      catchError(async (err: unknown) => {
        await this.audit.record(actor, request.method, route, outcomeOfError(err), auditTarget(request.params));
        throw err;
      }),
    );
  }
}
