import { ErrorCode, isErrorCode } from './error-codes';

/** One violated rule, for example `{ field: 'limit', message: 'must not be greater than 500' }`. */
export interface ErrorDetail {
  field?: string;
  message: string;
}

/**
 * What crosses NATS when a handler fails: a code from ErrorCode, a message safe to show a user, optional details.
 * Never a stack trace.
 */
export interface RpcErrorEnvelope {
  code: ErrorCode;
  message: string;
  details?: ErrorDetail[];
  service?: string;
}

export class DomainException<C extends string = ErrorCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = 'DomainException';
  }
}

export const isRpcErrorEnvelope = (value: unknown): value is RpcErrorEnvelope =>
  typeof value === 'object' &&
  value !== null &&
  isErrorCode((value as RpcErrorEnvelope).code) &&
  typeof (value as RpcErrorEnvelope).message === 'string';
