import type { EntityManager } from 'typeorm';

/** Filters of a flow query; every value is sent as a bind parameter. Address filters are an address or a CIDR block. */
export interface FlowQueryFilter {
  /** Inclusive lower bound of end_time. */
  from: Date;
  /** Exclusive upper bound of end_time. */
  to: Date;
  srcAddress?: string;
  dstAddress?: string;
  /** Either side. */
  address?: string;
  srcPort?: number;
  dstPort?: number;
  /** Either side. */
  port?: number;
  protocol?: number;
  exporter?: string;
  /** Either side. */
  sgt?: number;
  minBytes?: number;
}

/**
 * A position in the newest-first order of flows: the sort key of the last row handed out and how many rows with
 * exactly that key were handed out so far (see FlowQueryRepository).
 */
export interface FlowPosition {
  /** end_time in microseconds since the epoch (exact: timestamptz has microsecond resolution). */
  endUs: string;
  startUs: string;
  /** Hex md5 of the row's other columns. */
  digest: string;
  /** Rows with this exact key already returned. */
  seen: number;
}

export interface FlowRow {
  endTime: Date;
  startTime: Date;
  endUs: string;
  startUs: string;
  digest: string;
  exporter: string;
  observationDomain: string;
  version: number;
  srcAddress: string | null;
  dstAddress: string | null;
  srcPort: number;
  dstPort: number;
  protocol: number;
  tcpFlags: number;
  bytes: string;
  packets: string;
  samplingRate: number;
  inputInterface: string;
  outputInterface: string;
  srcMac: string | null;
  dstMac: string | null;
  srcVlan: number | null;
  dstVlan: number | null;
  direction: number | null;
  srcSgt: number | null;
  dstSgt: number | null;
}

const DIGEST_SOURCE = `ROW(f.exporter, f.observation_domain, f.version, f.src_address, f.dst_address, f.src_port, f.dst_port, f.protocol,
  f.tcp_flags, f.bytes, f.packets, f.sampling_rate, f.input_interface, f.output_interface, f.src_mac, f.dst_mac, f.src_vlan,
  f.dst_vlan, f.direction, f.src_sgt, f.dst_sgt)::text`;

const MICROS = (column: string) => `(extract(epoch FROM ${column}) * 1000000)::bigint::text`;
const FROM_MICROS = (param: string) => `('epoch'::timestamptz + ${param}::bigint * interval '1 microsecond')`;

/**
 * Reads stored flows of the tenant bound to the transaction, through the parent table `flows` (the application role
 * has no SELECT on the partitions, so row-level security always applies).
 *
 * `flows` has no key, and identical rows are legal (an exporter may report two identical records). Pages are ordered
 * newest first by (end_time, start_time, md5 of every other column): rows with equal keys are equal in every column,
 * so which of them a page takes does not matter, and the cursor counts how many rows with its key were already
 * handed out (`seen`), which the next page skips with OFFSET. A walk therefore returns every row exactly once, as
 * long as no row with exactly the cursor's key arrives in between. No ctid: a row's ctid changes when
 * clarion_ensure_flow_partition moves it out of the default partition. There is no B-tree on flows (COPY throughput,
 * see the ingest migration), so each page sorts the rows of its time range that pass the filters; callers bound the
 * range and set a statement timeout.
 */
export class FlowQueryRepository {
  constructor(private readonly manager: EntityManager) {}

  /** Limits every following statement of this transaction (a flow query scans whole partitions). */
  async limitStatementTime(timeoutMs: number): Promise<void> {
    await this.manager.query(`SELECT set_config('statement_timeout', $1, true)`, [String(Math.max(1, Math.floor(timeoutMs)))]);
  }

  /** Up to `limit` rows after `after` (or from the newest), newest first. */
  findPage(filter: FlowQueryFilter, after: FlowPosition | undefined, limit: number): Promise<FlowRow[]> {
    const params: unknown[] = [filter.from.toISOString(), filter.to.toISOString()];
    const bind = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const where = ['f.end_time >= $1::timestamptz', 'f.end_time < $2::timestamptz'];
    if (filter.srcAddress !== undefined) where.push(`f.src_address <<= ${bind(filter.srcAddress)}::inet`);
    if (filter.dstAddress !== undefined) where.push(`f.dst_address <<= ${bind(filter.dstAddress)}::inet`);
    if (filter.address !== undefined) {
      const p = bind(filter.address);
      where.push(`(f.src_address <<= ${p}::inet OR f.dst_address <<= ${p}::inet)`);
    }
    if (filter.srcPort !== undefined) where.push(`f.src_port = ${bind(filter.srcPort)}::int`);
    if (filter.dstPort !== undefined) where.push(`f.dst_port = ${bind(filter.dstPort)}::int`);
    if (filter.port !== undefined) {
      const p = bind(filter.port);
      where.push(`(f.src_port = ${p}::int OR f.dst_port = ${p}::int)`);
    }
    if (filter.protocol !== undefined) where.push(`f.protocol = ${bind(filter.protocol)}::smallint`);
    if (filter.exporter !== undefined) where.push(`f.exporter = ${bind(filter.exporter)}::inet`);
    if (filter.sgt !== undefined) {
      const p = bind(filter.sgt);
      where.push(`(f.src_sgt = ${p}::int OR f.dst_sgt = ${p}::int)`);
    }
    if (filter.minBytes !== undefined) where.push(`f.bytes >= ${bind(filter.minBytes)}::bigint`);
    let keyset = '';
    let offset = '0';
    if (after !== undefined) {
      const end = bind(after.endUs);
      // The bound on end_time alone lets the planner prune newer partitions and BRIN ranges.
      where.push(`f.end_time <= ${FROM_MICROS(end)}`);
      keyset = `WHERE (q.end_time, q.start_time, q.digest) <= (${FROM_MICROS(end)}, ${FROM_MICROS(bind(after.startUs))}, ${bind(after.digest)}::text)`;
      offset = bind(after.seen);
    }
    const limitParam = bind(limit);
    return this.manager.query(
      `SELECT q.end_time AS "endTime", q.start_time AS "startTime", ${MICROS('q.end_time')} AS "endUs", ${MICROS('q.start_time')} AS "startUs",
              q.digest, host(q.exporter) AS exporter, q.observation_domain AS "observationDomain", q.version,
              host(q.src_address) AS "srcAddress", host(q.dst_address) AS "dstAddress", q.src_port AS "srcPort", q.dst_port AS "dstPort",
              q.protocol, q.tcp_flags AS "tcpFlags", q.bytes, q.packets, q.sampling_rate AS "samplingRate",
              q.input_interface AS "inputInterface", q.output_interface AS "outputInterface", q.src_mac::text AS "srcMac",
              q.dst_mac::text AS "dstMac", q.src_vlan AS "srcVlan", q.dst_vlan AS "dstVlan", q.direction, q.src_sgt AS "srcSgt",
              q.dst_sgt AS "dstSgt"
         FROM (SELECT f.*, md5(${DIGEST_SOURCE}) AS digest FROM flows f WHERE ${where.join(' AND ')}) q
         ${keyset}
        ORDER BY q.end_time DESC, q.start_time DESC, q.digest DESC
        OFFSET ${offset}::bigint LIMIT ${limitParam}::int`,
      params,
    );
  }
}
