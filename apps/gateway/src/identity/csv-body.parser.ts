import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

/**
 * Lets POST /api/v1/identity/import take the CSV itself (`Content-Type: text/csv`): the body is read as text (within
 * HTTP_BODY_LIMIT_BYTES, the global limit; the clustering service takes at most 800,000 characters anyway, one NATS
 * message) and handed to the route as `{ format: 'csv', content }`, so the one validation of the JSON form applies.
 * On any other route such a body fails validation like any unexpected body.
 */
@Injectable()
export class CsvBodyParser implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify || fastify.hasContentTypeParser('text/csv')) return;
    fastify.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => done(null, { format: 'csv', content: body }));
  }
}
