import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { DomainException, ErrorCode, isErrorCode, type RpcErrorEnvelope } from '@clarion/contracts';
import { RequestContext } from '@clarion/observability';
import type { Logger } from 'pino';
import { throwError, type Observable } from 'rxjs';

/**
 * Turns whatever a NATS handler threw into the coded envelope the caller maps to HTTP. A DomainException keeps its
 * code and message; anything else is logged with its stack here and leaves as INTERNAL with a correlation id only.
 */
@Catch()
export class RpcErrorEnvelopeFilter implements RpcExceptionFilter<unknown> {
  constructor(
    private readonly service: string,
    private readonly logger: Logger,
  ) {}

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    let envelope: RpcErrorEnvelope;
    if (exception instanceof DomainException && isErrorCode(exception.code)) {
      envelope = { code: exception.code, message: exception.message, details: exception.details, service: this.service };
    } else {
      const correlationId = RequestContext.current()?.correlationId;
      this.logger.error({ err: exception, correlationId }, 'unhandled error in NATS handler');
      envelope = {
        code: ErrorCode.Internal,
        message: `internal error${correlationId ? ` (correlation id ${correlationId})` : ''}`,
        service: this.service,
      };
    }
    return throwError(() => envelope);
  }
}
