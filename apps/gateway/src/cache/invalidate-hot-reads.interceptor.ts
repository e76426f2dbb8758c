import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { from, mergeMap, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../http/access.guard';
import { HotReadService } from './hot-read.service';

/**
 * On a state-changing route whose change the hot reads show (SGTs, memberships): drops the tenant's cached reads as
 * soon as the change succeeded, so the caller's next read sees it. The clustering service's clarion.clusters.updated.v1
 * event does the same for every gateway instance a moment later.
 */
@Injectable()
export class InvalidateHotReadsInterceptor implements NestInterceptor {
  constructor(private readonly hot: HotReadService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
    return next.handle().pipe(
      mergeMap((result: unknown) =>
        from(
          (async () => {
            if (actor) await this.hot.invalidate(actor.tenantId);
            return result;
          })(),
        ),
      ),
    );
  }
}
