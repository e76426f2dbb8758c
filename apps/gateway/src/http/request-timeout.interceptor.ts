import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { DomainException, ErrorCode } from '@clarion/contracts';
import { catchError, throwError, timeout, TimeoutError, type Observable } from 'rxjs';
import { GatewayEnv } from '../gateway.env';

/**
 * Answers 504 when a handler is still running after HTTP_REQUEST_TIMEOUT_MS (each NATS call has its own, shorter
 * RPC_TIMEOUT_MS; this bounds a handler that makes several). Fastify's own requestTimeout covers reading the request.
 */
@Injectable()
export class RequestTimeoutInterceptor implements NestInterceptor {
  constructor(private readonly env: GatewayEnv) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      timeout(this.env.HTTP_REQUEST_TIMEOUT_MS),
      catchError((err: unknown) =>
        throwError(() => (err instanceof TimeoutError ? new DomainException(ErrorCode.UpstreamTimeout, `the request took longer than ${this.env.HTTP_REQUEST_TIMEOUT_MS} ms`) : err)),
      ),
    );
  }
}
