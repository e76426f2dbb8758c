import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { JsonText } from '@clarion/messaging';
import type { FastifyReply } from 'fastify';
import { from, map, mergeMap, of, tap, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../http/access.guard';
import { matchesIfNoneMatch } from '../http/etag.interceptor';
import { etagOfText, type CachedAnswer } from './hot-read-cache';
import { HotReadService } from './hot-read.service';

/** The cache key's resource part: the route template, then the query parameters sorted by name. */
export function resourceOf(routeUrl: string, query: unknown): string {
  const entries = Object.entries((query ?? {}) as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${routeUrl}?${JSON.stringify(entries)}`;
}

/** What a hot read is cached under (with the tenant): the route template, its path parameters and its query. */
export const hotReadResource = (routeUrl: string, params: unknown, query: unknown): string => `${routeUrl}|${JSON.stringify(params ?? {})}|${resourceOf(routeUrl, query)}`;

/**
 * Sets a hot read's headers on the reply (ETag, revalidate-always caching, X-Cache); answers the body to send, or
 * undefined with status 304 when the request's If-None-Match names the tag.
 */
export function prepareHotRead(reply: FastifyReply, ifNoneMatch: string | string[] | undefined, answer: CachedAnswer, cache: 'hit' | 'miss'): CachedAnswer['body'] | undefined {
  void reply.header('etag', answer.etag).header('cache-control', 'private, no-cache').header('x-cache', cache);
  if (matchesIfNoneMatch(typeof ifNoneMatch === 'string' ? ifNoneMatch : undefined, answer.etag)) {
    void reply.status(304);
    return undefined;
  }
  void reply.type('application/json; charset=utf-8');
  return answer.body;
}

/**
 * A hot read (`@HotRead()` on a GET whose answer depends only on the tenant, the route and its parameters): served
 * from the tenant's Redis cache when present, else computed and stored; sends a weak ETag and answers 304 to a
 * matching If-None-Match. The cached body is sent as stored, without re-serialising it. Runs after the access guard,
 * so only an authorised caller ever reaches the cache. Hits of callers whose token the gateway already verified are
 * answered before Nest's pipeline (HotReadFastLane); a request the fast lane looked up and missed arrives here with
 * that lookup, which is reused.
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
    const ifNoneMatch = request.headers['if-none-match'];
    const admitted = request.hotReadAdmission;
    const lookup = admitted ? Promise.resolve(admitted.lookup) : this.hot.lookup(actor.tenantId, hotReadResource(routeUrl, request.params, request.query));
    return from(lookup).pipe(
      mergeMap((found) => {
        if (found?.hit) return of(prepareHotRead(reply, ifNoneMatch, found.hit, 'hit'));
        return next.handle().pipe(
          map((value: unknown) => (value instanceof JsonText ? value.toString() : (JSON.stringify(value) ?? 'null'))),
          map((body) => ({ etag: etagOfText(body), body })),
          tap((answer) => {
            if (found) this.hot.store(found, answer);
          }),
          map((answer) => prepareHotRead(reply, ifNoneMatch, answer, 'miss')),
        );
      }),
    );
  }
}
