import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { map, type Observable } from 'rxjs';

/** A weak validator of a JSON answer: equal bodies, equal tags, on every gateway instance. */
export const etagOf = (body: unknown): string => `W/"${createHash('sha256').update(JSON.stringify(body) ?? '').digest('base64url').slice(0, 27)}"`;

/** True when an If-None-Match header names the tag (or is `*`); weak comparison, as RFC 9110 section 13.1.2 asks. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const strip = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || strip(tag) === strip(etag));
}

/**
 * ETag and If-None-Match for hot reads (`@UseInterceptors(EtagInterceptor)` on a GET): the answer carries a weak ETag
 * of its body; a client that sends it back gets 304 with no body. The body is still computed (the saving is the
 * transfer and the client's parsing); answers are private to the caller and revalidated each time.
 */
@Injectable()
export class EtagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    return next.handle().pipe(
      map((body: unknown) => {
        const etag = etagOf(body);
        void reply.header('etag', etag).header('cache-control', 'private, no-cache');
        const header = request.headers['if-none-match'];
        if (request.method === 'GET' && matchesIfNoneMatch(typeof header === 'string' ? header : undefined, etag)) {
          void reply.status(304);
          return undefined;
        }
        return body;
      }),
    );
  }
}
