import { applyDecorators, HttpCode, type Type } from '@nestjs/common';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';

export interface ApiRouteOptions {
  summary: string;
  description?: string;
  /** Success status; 200 unless given (201 for creations, 302 for redirects). */
  status?: 200 | 201 | 204 | 302;
  /** Schema of the success body. */
  type?: Type<unknown>;
}

/**
 * Documents a route for the OpenAPI document and sets its success status. Permissions, security and the problem+json
 * error answers are added to every operation from the route table (see docs/openapi.ts), so they cannot drift.
 */
export function ApiRoute(options: ApiRouteOptions): MethodDecorator {
  const status = options.status ?? 200;
  return applyDecorators(
    HttpCode(status),
    ApiOperation({ summary: options.summary, ...(options.description ? { description: options.description } : {}) }),
    ApiResponse({ status, description: options.summary, ...(options.type ? { type: options.type } : {}) }),
  );
}
