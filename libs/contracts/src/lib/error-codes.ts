/**
 * Error codes shared by every service. Tests assert codes, never messages. The gateway maps each code to an HTTP
 * status for its problem+json answers (RFC 9457); services send them inside the RPC error envelope.
 */
export enum ErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  RateLimited = 'RATE_LIMITED',
  TenantContextMissing = 'TENANT_CONTEXT_MISSING',
  /** A service refused a bus message whose caller assertion is missing, forged, expired or not for it. */
  CallerUnverified = 'CALLER_UNVERIFIED',
  DependencyUnavailable = 'DEPENDENCY_UNAVAILABLE',
  UpstreamTimeout = 'UPSTREAM_TIMEOUT',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  Internal = 'INTERNAL',
}

export const ERROR_HTTP_STATUS: Record<ErrorCode, number> = {
  [ErrorCode.ValidationFailed]: 400,
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.TenantContextMissing]: 500,
  // The gateway's own requests are refused only when the deployment's keys disagree: nothing the client can fix.
  [ErrorCode.CallerUnverified]: 503,
  [ErrorCode.DependencyUnavailable]: 503,
  [ErrorCode.ServiceUnavailable]: 503,
  [ErrorCode.UpstreamTimeout]: 504,
  [ErrorCode.Internal]: 500,
};

export const ERROR_TITLES: Record<ErrorCode, string> = {
  [ErrorCode.ValidationFailed]: 'The request is not valid',
  [ErrorCode.Unauthenticated]: 'Authentication is required',
  [ErrorCode.Forbidden]: 'Not allowed',
  [ErrorCode.NotFound]: 'Not found',
  [ErrorCode.Conflict]: 'Conflict with the current state',
  [ErrorCode.PayloadTooLarge]: 'The request body is too large',
  [ErrorCode.RateLimited]: 'Too many requests',
  [ErrorCode.TenantContextMissing]: 'Tenant context missing',
  [ErrorCode.CallerUnverified]: 'A service could not verify its caller',
  [ErrorCode.DependencyUnavailable]: 'A dependency is unavailable',
  [ErrorCode.ServiceUnavailable]: 'The service is unavailable',
  [ErrorCode.UpstreamTimeout]: 'A service did not answer in time',
  [ErrorCode.Internal]: 'Internal error',
};

export const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === 'string' && (Object.values(ErrorCode) as string[]).includes(value);
