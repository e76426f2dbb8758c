import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { JsonText } from '@clarion/messaging';
import type { FastifyReply } from 'fastify';
import { map, type Observable } from 'rxjs';

/**
 * Sends an answer that is already JSON text (a JsonText a service returned, forwarded with `jsonText: true`) as its
 * bytes, typed application/json: the gateway neither parses nor re-serialises a page it only passes on. Every other
 * answer goes on unchanged.
 */
@Injectable()
export class JsonTextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((value: unknown) => {
        if (!(value instanceof JsonText)) return value;
        void context.switchToHttp().getResponse<FastifyReply>().type('application/json; charset=utf-8');
        return value.text;
      }),
    );
  }
}
