import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { DomainException, ErrorCode, isErrorCode } from '@clarion/contracts';
import type { ServiceMetrics } from '@clarion/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { codeForStatus, PROBLEM_CONTENT_TYPE, problemFor, type ProblemDocument } from './problem';

/**
 * Every error leaves the gateway as problem+json with a code and the correlation id. Unknown errors are logged
 * with their stack here and answered 500 with no detail: a stack trace never reaches a client.
 */
@Catch()
export class ProblemJsonFilter implements ExceptionFilter {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: ServiceMetrics,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const correlationId = String(request.id);
    const instance = (request.url ?? '').split('?')[0] ?? '';
    let problem: ProblemDocument;
    if (exception instanceof DomainException && isErrorCode(exception.code)) {
      problem = problemFor(exception.code, exception.message, instance, correlationId, exception.details);
    } else if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = codeForStatus(status);
      problem = { ...problemFor(code, exception.message, instance, correlationId), status };
    } else if ((exception as { statusCode?: number })?.statusCode && (exception as { statusCode: number }).statusCode < 500) {
      // Fastify's own errors (body too large, bad JSON, wrong content type) carry a 4xx statusCode.
      const status = (exception as { statusCode: number }).statusCode;
      problem = { ...problemFor(codeForStatus(status), (exception as Error).message, instance, correlationId), status };
    } else {
      this.logger.error({ err: exception, correlationId, url: instance }, 'unhandled error');
      problem = problemFor(ErrorCode.Internal, `internal error; quote correlation id ${correlationId}`, instance, correlationId);
    }
    this.metrics.httpErrors.inc({ route: request.routeOptions?.url ?? 'unmatched', status_code: String(problem.status), code: problem.code });
    const retryAfter = (exception as { retryAfterSeconds?: unknown })?.retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    sendProblem(reply, problem);
  }
}

/** Answers with a problem document (also used by Fastify hooks, which run outside Nest's exception filters). */
export function sendProblem(reply: FastifyReply, problem: ProblemDocument): FastifyReply {
  return reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).header('cache-control', 'no-store').send(problem);
}
