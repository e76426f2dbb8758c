import { ERROR_HTTP_STATUS, ERROR_TITLES, ErrorCode, type ErrorDetail } from '@clarion/contracts';

/** An RFC 9457 problem document, the one error shape of the whole API. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  correlationId: string;
  errors?: ErrorDetail[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function problemFor(code: ErrorCode, detail: string, instance: string, correlationId: string, errors?: ErrorDetail[]): ProblemDocument {
  return {
    type: `urn:clarion:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    title: ERROR_TITLES[code],
    status: ERROR_HTTP_STATUS[code],
    detail,
    instance,
    code,
    correlationId,
    ...(errors?.length ? { errors } : {}),
  };
}

/** Maps a framework status (404 from routing, 413 from the body parser, ...) to our codes. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
    case 415:
    case 422:
      return ErrorCode.ValidationFailed;
    case 401:
      return ErrorCode.Unauthenticated;
    case 403:
      return ErrorCode.Forbidden;
    case 404:
    case 405:
      return ErrorCode.NotFound;
    case 408:
    case 504:
      return ErrorCode.UpstreamTimeout;
    case 409:
      return ErrorCode.Conflict;
    case 413:
      return ErrorCode.PayloadTooLarge;
    case 429:
      return ErrorCode.RateLimited;
    case 503:
      return ErrorCode.ServiceUnavailable;
    default:
      return ErrorCode.Internal;
  }
}
