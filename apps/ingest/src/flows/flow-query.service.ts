import { Injectable } from '@nestjs/common';
import {
  DomainException,
  ErrorCode,
  FLOW_QUERY_DEFAULT_LIMIT,
  FLOW_QUERY_MAX_SPAN_MS,
  type FlowDto,
  type Page,
  type QueryFlowsRequestDto,
} from '@clarion/contracts';
import { Database } from '@clarion/persistence';
import { FlowQueryRepository, type FlowPosition, type FlowRow } from '../data';

/**
 * A flow page sorts every row of its range that passes the filters (flows has only a BRIN index): bound it well
 * under the gateway's RPC timeout, so a too-wide query gets a coded answer instead of a silent timeout.
 */
export const FLOW_QUERY_STATEMENT_TIMEOUT_MS = 8_000;

const CURSOR_TEXT = /^(-?\d{1,20})\.(-?\d{1,20})\.([0-9a-f]{32})\.(\d{1,9})$/;

/** Cursor: the position of the last row handed out, base64url so clients treat it as opaque. */
export function encodeFlowCursor(position: FlowPosition): string {
  return Buffer.from(`${position.endUs}.${position.startUs}.${position.digest}.${position.seen}`, 'utf8').toString('base64url');
}

export function decodeFlowCursor(cursor: string): FlowPosition {
  const [, endUs, startUs, digest, seen] = CURSOR_TEXT.exec(Buffer.from(cursor, 'base64url').toString('utf8')) ?? [];
  if (endUs === undefined || startUs === undefined || digest === undefined || seen === undefined) {
    throw new DomainException(ErrorCode.ValidationFailed, 'the cursor is not valid', [{ field: 'cursor', message: 'not a cursor from a previous page' }]);
  }
  return { endUs, startUs, digest, seen: Number(seen) };
}

function toDto(row: FlowRow): FlowDto {
  return {
    startTime: row.startTime.toISOString(),
    endTime: row.endTime.toISOString(),
    exporter: row.exporter,
    observationDomain: Number(row.observationDomain),
    version: row.version,
    srcAddress: row.srcAddress,
    dstAddress: row.dstAddress,
    srcPort: row.srcPort,
    dstPort: row.dstPort,
    protocol: row.protocol,
    tcpFlags: row.tcpFlags,
    bytes: Number(row.bytes),
    packets: Number(row.packets),
    samplingRate: row.samplingRate,
    inputInterface: Number(row.inputInterface),
    outputInterface: Number(row.outputInterface),
    srcMac: row.srcMac,
    dstMac: row.dstMac,
    srcVlan: row.srcVlan,
    dstVlan: row.dstVlan,
    direction: row.direction,
    srcSgt: row.srcSgt,
    dstSgt: row.dstSgt,
  };
}

const sameKey = (a: FlowRow, b: { endUs: string; startUs: string; digest: string }): boolean =>
  a.endUs === b.endUs && a.startUs === b.startUs && a.digest === b.digest;

/** The tenant's stored flows, one page at a time, newest first (read side of `flows`, written by the collector). */
@Injectable()
export class FlowQueryService {
  constructor(private readonly db: Database) {}

  async query(request: QueryFlowsRequestDto): Promise<Page<FlowDto>> {
    const from = new Date(request.from);
    const to = new Date(request.to);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || to.getTime() <= from.getTime()) {
      throw new DomainException(ErrorCode.ValidationFailed, 'the time range is empty', [{ field: 'to', message: 'to must be later than from' }]);
    }
    if (to.getTime() - from.getTime() > FLOW_QUERY_MAX_SPAN_MS) {
      throw new DomainException(ErrorCode.ValidationFailed, 'the time range is too long', [
        { field: 'from', message: `from and to may be at most ${FLOW_QUERY_MAX_SPAN_MS / 86_400_000} days apart` },
      ]);
    }
    const limit = request.limit ?? FLOW_QUERY_DEFAULT_LIMIT;
    const after = request.cursor === undefined ? undefined : decodeFlowCursor(request.cursor);
    const filter = {
      from,
      to,
      srcAddress: request.srcAddress,
      dstAddress: request.dstAddress,
      address: request.address,
      srcPort: request.srcPort,
      dstPort: request.dstPort,
      port: request.port,
      protocol: request.protocol,
      exporter: request.exporter,
      sgt: request.sgt,
      minBytes: request.minBytes,
    };
    let rows: FlowRow[];
    try {
      rows = await this.db.withTenant(request.actor.tenantId, async (m) => {
        const repository = new FlowQueryRepository(m);
        await repository.limitStatementTime(FLOW_QUERY_STATEMENT_TIMEOUT_MS);
        return repository.findPage(filter, after, limit + 1);
      });
    } catch (err) {
      // 57014: query_canceled, here by the statement timeout.
      if ((err as { code?: unknown }).code === '57014') {
        throw new DomainException(ErrorCode.UpstreamTimeout, 'the flow query took too long; narrow the time range or add filters');
      }
      throw err;
    }
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    if (rows.length <= limit || last === undefined) return { items: page.map(toDto), nextCursor: null };
    // Rows sharing the last row's key that this page and the earlier ones handed out; the next page skips them.
    let seen = page.filter((r) => sameKey(r, last)).length;
    if (after !== undefined && sameKey(last, after)) seen += after.seen;
    return { items: page.map(toDto), nextCursor: encodeFlowCursor({ endUs: last.endUs, startUs: last.startUs, digest: last.digest, seen }) };
  }
}
