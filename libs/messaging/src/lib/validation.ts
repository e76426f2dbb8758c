import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { DomainException, ErrorCode, type ErrorDetail } from '@clarion/contracts';

export function validationDetails(errors: ValidationError[], prefix = ''): ErrorDetail[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((message) => ({ field: prefix + e.property, message })),
    ...validationDetails(e.children ?? [], `${prefix}${e.property}.`),
  ]);
}

/**
 * The one validation pipe used at each trust boundary (HTTP at the gateway, NATS payloads in each service):
 * unknown fields are refused, types are converted, and a failure is a VALIDATION_FAILED DomainException listing
 * every violated rule.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new DomainException(ErrorCode.ValidationFailed, 'the request is not valid', validationDetails(errors)),
  });
}
