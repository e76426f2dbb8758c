import { Inject, Injectable } from '@nestjs/common';
import { DomainException, ErrorCode, FLOW_QUERY_MAX_LIMIT, Subjects, type ActorDto, type FlowDto, type Page } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import { ROOT_LOGGER } from '@clarion/platform';
import type { Logger } from 'pino';
import { Readable } from 'node:stream';
import { HttpAuditService, outcomeOfError, readFilters, SENSITIVE_READS } from '../audit/http-audit.service';
import { FeatureFlagService } from '../flags/feature-flag.service';
import { exportChunks, type ExportSummary } from './flow-export.format';
import { FLOW_EXPORT_MAX_ROWS, type ExportFlowsQueryDto, type FlowFilterQueryDto } from './flows-http.dto';

/** A flow page may sort a whole month of partitions: the ingest service gives it 8 s, the call a little more. */
export const FLOW_QUERY_RPC_TIMEOUT_MS = 10_000;

/** The RPC request of a flow query: the filters as given, `to` fixed (now when omitted) so every page of a walk shares it. */
export function flowQueryRequest(actor: ActorDto, query: FlowFilterQueryDto, extra: { cursor?: string; limit?: number }): Record<string, unknown> {
  const { to, ...filters } = query;
  return { actor, ...filters, to: to ?? new Date().toISOString(), ...extra };
}

export interface FlowExport {
  stream: Readable;
  maxRows: number;
}

/**
 * Streamed flow exports: pages fetched from the ingest service one after another and written as they arrive. The
 * Readable is pulled by Fastify's pipe into the socket, so the next page is fetched only once the socket has drained
 * what came before (memory stays at about one page per export), and a client that goes away destroys the stream,
 * which ends the walk.
 */
@Injectable()
export class FlowExportService {
  constructor(
    private readonly rpc: RpcClient,
    private readonly flags: FeatureFlagService,
    private readonly audit: HttpAuditService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  query(actor: ActorDto, query: FlowFilterQueryDto, extra: { cursor?: string; limit?: number }): Promise<Page<FlowDto>> {
    return this.rpc.send(Subjects.ingest.flowsQuery, flowQueryRequest(actor, query, extra), { timeoutMs: FLOW_QUERY_RPC_TIMEOUT_MS });
  }

  /**
   * Checks the tenant's `streaming-export` flag and fetches the first page, so that a refusal or a bad filter is
   * still answered as a problem document; then returns the stream of the whole export. `onEnd` runs before the stream
   * ends (trailers can still be added then). Every export is audited (flow.export): its filters and, once it ends,
   * the rows written and whether it was cut short; a refused one with its outcome.
   */
  async open(actor: ActorDto, query: ExportFlowsQueryDto, onEnd: (summary: ExportSummary) => void): Promise<FlowExport> {
    const filters = readFilters(query);
    try {
      return await this.start(actor, query, (summary) => {
        // Recording never holds the export's end back; a failure to record is counted by the audit service.
        void this.audit.recordRead(actor, SENSITIVE_READS.flowExport, summary.completed ? 'success' : 'failure', { ...filters, ...summary });
        onEnd(summary);
      });
    } catch (err) {
      await this.audit.recordRead(actor, SENSITIVE_READS.flowExport, outcomeOfError(err), filters);
      throw err;
    }
  }

  private async start(actor: ActorDto, query: ExportFlowsQueryDto, onEnd: (summary: ExportSummary) => void): Promise<FlowExport> {
    if (!(await this.flags.isEnabled(actor.tenantId, 'streaming-export'))) {
      throw new DomainException(ErrorCode.Forbidden, 'streamed export is not enabled for this tenant (feature flag streaming-export)', [
        { field: 'flag', message: 'streaming-export is off' },
      ]);
    }
    const { format, maxRows: requested, ...filters } = query;
    const maxRows = requested ?? FLOW_EXPORT_MAX_ROWS;
    // One `to` for the whole walk, even when the client gave none.
    const fixed: FlowFilterQueryDto = { ...filters, to: filters.to ?? new Date().toISOString() };
    const pageSize = FLOW_QUERY_MAX_LIMIT;
    const first = await this.query(actor, fixed, { limit: Math.min(pageSize, maxRows) });
    const started = performance.now();
    const chunks = exportChunks(first, (cursor, limit) => this.query(actor, fixed, { cursor, limit }), { format, maxRows, pageSize }, (summary) => {
      this.logger.info({ tenantId: actor.tenantId, format, ...summary, durationMs: Math.round(performance.now() - started) }, 'flow export ended');
      onEnd(summary);
    });
    return { stream: Readable.from(chunks, { objectMode: false }), maxRows };
  }
}
