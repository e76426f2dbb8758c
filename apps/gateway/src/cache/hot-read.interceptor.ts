import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { from, map, mergeMap, of, tap, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../http/access.guard';
import { matchesIfNoneMatch } from '../http/etag.interceptor';
import { etagOfText } from './hot-read-cache';
import { HotReadService } from './hot-read.service';

/** The cache key's resource part: the route template, then the query parameters sorted by name. */
export function resourceOf(routeUrl: string, query: unknown): string {
  const entries = Object.entries((query ?? {}) as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${routeUrl}?${JSON.stringify(entries)}`;
}

/**
 * A hot read (`@UseInterceptors(HotReadInterceptor)` on a GET whose answer depends only on the tenant, the route and
 * its parameters): served from the tenant's Redis cache when present, else computed and stored; sends a weak ETag
 * and answers 304 to a matching If-None-Match. The cached body is sent as stored, without re-serialising it. Runs
 * after the access guard, so only an authorised caller ever reaches the cache.
 */
@Injectable()
export class HotReadInterceptor implements NestInterceptor {
  constructor(private readonly hot: HotReadService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const reply = http.getResponse<FastifyReply>();
    const actor = request.actor;
    if (request.method !== 'GET' || !actor) return next.handle();
    const routeUrl = request.routeOptions?.url ?? request.url;
    const resource = `${routeUrl}|${JSON.stringify(request.params ?? {})}|${resourceOf(routeUrl, request.query)}`;
    const ifNoneMatch = typeof request.headers['if-none-match'] === 'string' ? request.headers['if-none-match'] : undefined;
    const answer = (etag: string, body: string, cache: 'hit' | 'miss'): string | undefined => {
      void reply.header('etag', etag).header('cache-control', 'private, no-cache').header('x-cache', cache);
      if (matchesIfNoneMatch(ifNoneMatch, etag)) {
        void reply.status(304);
        return undefined;
      }
      void reply.type('application/json; charset=utf-8');
      return body;
    };
    return from(this.hot.lookup(actor.tenantId, resource)).pipe(
      mergeMap((found) => {
        if (found?.hit) return of(answer(found.hit.etag, found.hit.body, 'hit'));
        return next.handle().pipe(
          map((value: unknown) => JSON.stringify(value) ?? 'null'),
          tap((body) => {
            if (found) this.hot.store(found.key, { etag: etagOfText(body), body });
          }),
          map((body) => answer(etagOfText(body), body, 'miss')),
        );
      }),
    );
  }
}
