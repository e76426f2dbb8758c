import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import type { ActorDto, FlowDto, Page } from '@clarion/contracts';
import type { FastifyReply } from 'fastify';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { FLOW_EXPORT_CONTENT_TYPES } from './flow-export.format';
import { FlowExportService } from './flow-export.service';
import { ExportFlowsQueryDto, FlowPage, ListFlowsQueryDto } from './flows-http.dto';

export const EXPORT_ROWS_TRAILER = 'Clarion-Export-Rows';
export const EXPORT_TRUNCATED_TRAILER = 'Clarion-Export-Truncated';
export const EXPORT_MAX_ROWS_HEADER = 'Clarion-Export-Max-Rows';

/** Stored flow records of the tenant; read from the ingest service over NATS. */
@ApiTags('flows')
@Controller('api/v1/flows')
export class FlowsController {
  constructor(private readonly flows: FlowExportService) {}

  @Get()
  @RequirePermissions('flows:read')
  @ApiRoute({
    summary: 'Query stored flows',
    description:
      'Newest first (by end time), `limit` per page, filters combined with AND, over at most 31 days. A narrow range and filters answer fastest: ' +
      'each page scans the flows of its time range.',
    type: FlowPage,
  })
  list(@CurrentActor() actor: ActorDto, @Query() query: ListFlowsQueryDto): Promise<Page<FlowDto>> {
    const { cursor, limit, ...filters } = query;
    return this.flows.query(actor, filters, { cursor, limit });
  }

  @Get('export')
  @RequirePermissions('flows:read')
  @ApiResponse({
    status: 200,
    description:
      'The export, streamed (chunked). Trailers `Clarion-Export-Rows` and `Clarion-Export-Truncated` (true when more rows matched than ' +
      '`maxRows`); the header `Clarion-Export-Max-Rows` states the cap. A transfer that ends without its last chunk failed midway.',
    content: { 'text/csv': { schema: { type: 'string' } }, 'application/x-ndjson': { schema: { type: 'string' } } },
  })
  @ApiRoute({
    summary: 'Export flows as CSV or NDJSON',
    description:
      'The same filters as the query, every matching flow (newest first) up to `maxRows`, written as it is read. Needs the tenant feature ' +
      'flag `streaming-export` (403 FORBIDDEN while it is off). CSV cells that a spreadsheet would run as a formula start with `\'`.',
  })
  async export(@CurrentActor() actor: ActorDto, @Query() query: ExportFlowsQueryDto, @Res() reply: FastifyReply): Promise<void> {
    const exported = await this.flows.open(actor, query, (summary) => {
      if (summary.completed) reply.raw.addTrailers({ [EXPORT_ROWS_TRAILER]: String(summary.rows), [EXPORT_TRUNCATED_TRAILER]: String(summary.truncated) });
    });
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, 'Z');
    // Not awaited: the reply settles when the whole export is written, which the request timeout must not bound.
    void reply
      .header('content-type', FLOW_EXPORT_CONTENT_TYPES[query.format])
      .header('content-disposition', `attachment; filename="clarion-flows-${stamp}.${query.format}"`)
      .header('cache-control', 'no-store')
      .header(EXPORT_MAX_ROWS_HEADER, String(exported.maxRows))
      .header('trailer', `${EXPORT_ROWS_TRAILER}, ${EXPORT_TRUNCATED_TRAILER}`)
      .send(exported.stream);
  }
}
