import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorCode } from '@clarion/contracts';
import type { ProblemDocument } from './problem';

export class ProblemFieldErrorDto {
  @ApiPropertyOptional({ description: 'The field, dotted for nested ones (`scopes.0`).', example: 'email' })
  field?: string;

  @ApiProperty({ example: 'email must be an email' })
  message: string;
}

/** The schema of every error answer (RFC 9457 problem details, `application/problem+json`). */
export class ProblemDocumentDto implements ProblemDocument {
  @ApiProperty({ description: 'A URN naming the kind of problem.', example: 'urn:clarion:problem:validation-failed' })
  type: string;

  @ApiProperty({ example: 'The request is not valid' })
  title: string;

  @ApiProperty({ description: 'The HTTP status, repeated.', example: 400 })
  status: number;

  @ApiProperty({ description: 'What went wrong, safe to show a user. Never a stack trace.' })
  detail: string;

  @ApiProperty({ description: 'The request path (without the query).', example: '/api/v1/users' })
  instance: string;

  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode', description: 'Stable error code; clients branch on it, never on `detail`.' })
  code: ErrorCode;

  @ApiProperty({ description: 'Also in the X-Correlation-Id header; quote it when reporting a problem.' })
  correlationId: string;

  @ApiPropertyOptional({ type: [ProblemFieldErrorDto], description: 'Every violated rule, for VALIDATION_FAILED.' })
  errors?: ProblemFieldErrorDto[];
}
