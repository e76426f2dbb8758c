import type { EntityManager } from 'typeorm';

/** What one ingest instance observed of one exporter since its last flush: counters are deltas, the rest is current. */
export interface ExporterActivity {
  address: string;
  firstSeenMs: number;
  lastSeenMs: number;
  packets: number;
  records: number;
  /** May be negative: a late packet fills a gap counted before. */
  lostRecords: number;
  /** Only reasons with a non-zero count. */
  decodeErrors: Record<string, number>;
  samplingRate: number | null;
  /** Per-domain status as the decoder last reported it (replaces the stored one when non-empty). */
  domains: unknown[];
  /** Decoder sampling state to restore at boot (replaces the stored one when non-empty). */
  samplingState: unknown[];
}

export interface ExporterRow {
  address: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
  packets: string;
  records: string;
  lostRecords: string;
  decodeErrors: Record<string, number>;
  samplingRate: number | null;
  domains: unknown[];
}

const COLUMNS = `host(address) AS address, first_seen_at AS "firstSeenAt", last_seen_at AS "lastSeenAt", packets, records,
  lost_records AS "lostRecords", decode_errors AS "decodeErrors", sampling_rate AS "samplingRate", domains`;

/** The exporter registry of the tenant bound to the transaction. */
export class ExporterRepository {
  constructor(private readonly manager: EntityManager) {}

  /** Adds the deltas of each exporter to its row (creating it), in one statement. */
  async recordActivity(tenantId: string, activity: readonly ExporterActivity[]): Promise<void> {
    if (activity.length === 0) return;
    const rows = activity.map((a) => ({
      address: a.address,
      first_seen: new Date(a.firstSeenMs).toISOString(),
      last_seen: new Date(a.lastSeenMs).toISOString(),
      packets: a.packets,
      records: a.records,
      lost_records: a.lostRecords,
      decode_errors: a.decodeErrors,
      sampling_rate: a.samplingRate,
      domains: a.domains,
      sampling_state: a.samplingState,
    }));
    await this.manager.query(
      `INSERT INTO exporters AS e (tenant_id, address, first_seen_at, last_seen_at, packets, records, lost_records, decode_errors,
                                   sampling_rate, domains, sampling_state, updated_at)
       SELECT $1, r.address::inet, r.first_seen, r.last_seen, r.packets, r.records, r.lost_records, r.decode_errors,
              r.sampling_rate, r.domains, COALESCE(r.sampling_state, '[]'::jsonb), now()
       FROM jsonb_to_recordset($2::jsonb) AS r(address text, first_seen timestamptz, last_seen timestamptz, packets bigint,
            records bigint, lost_records bigint, decode_errors jsonb, sampling_rate double precision, domains jsonb, sampling_state jsonb)
       ON CONFLICT (tenant_id, address) DO UPDATE SET
         first_seen_at = LEAST(e.first_seen_at, EXCLUDED.first_seen_at),
         last_seen_at = GREATEST(e.last_seen_at, EXCLUDED.last_seen_at),
         packets = e.packets + EXCLUDED.packets,
         records = e.records + EXCLUDED.records,
         lost_records = e.lost_records + EXCLUDED.lost_records,
         decode_errors = (
           SELECT COALESCE(jsonb_object_agg(k, COALESCE((e.decode_errors ->> k)::bigint, 0) + COALESCE((EXCLUDED.decode_errors ->> k)::bigint, 0)), '{}'::jsonb)
           FROM jsonb_object_keys(e.decode_errors || EXCLUDED.decode_errors) AS k),
         sampling_rate = COALESCE(EXCLUDED.sampling_rate, e.sampling_rate),
         domains = CASE WHEN jsonb_array_length(EXCLUDED.domains) = 0 THEN e.domains ELSE EXCLUDED.domains END,
         sampling_state = CASE WHEN jsonb_array_length(EXCLUDED.sampling_state) = 0 THEN e.sampling_state ELSE EXCLUDED.sampling_state END,
         updated_at = now()`,
      [tenantId, JSON.stringify(rows)],
    );
  }

  /** One page in inet order (not text order: `e.address`, since the output column `address` is text), after `afterAddress`. */
  list(afterAddress: string | undefined, limit: number): Promise<ExporterRow[]> {
    return afterAddress === undefined
      ? this.manager.query(`SELECT ${COLUMNS} FROM exporters e ORDER BY e.address LIMIT $1`, [limit])
      : this.manager.query(`SELECT ${COLUMNS} FROM exporters e WHERE e.address > $1::inet ORDER BY e.address LIMIT $2`, [afterAddress, limit]);
  }

  async findByAddress(address: string): Promise<ExporterRow | null> {
    const rows: ExporterRow[] = await this.manager.query(`SELECT ${COLUMNS} FROM exporters WHERE address = $1::inet`, [address]);
    return rows[0] ?? null;
  }

  /** Stored decoder sampling state of every exporter (restored at boot). */
  samplingStates(): Promise<Array<{ address: string; samplingState: unknown[] }>> {
    return this.manager.query(`SELECT host(address) AS address, sampling_state AS "samplingState" FROM exporters WHERE sampling_state <> '[]'::jsonb`);
  }
}
