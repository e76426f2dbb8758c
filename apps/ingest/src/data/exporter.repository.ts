import type { EntityManager } from 'typeorm';
import { returnedRows } from '@clarion/persistence';

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
  firstSeenAt: Date | null;
  lastSeenAt: Date | null;
  packets: string;
  records: string;
  lostRecords: string;
  decodeErrors: Record<string, number>;
  samplingRate: number | null;
  domains: unknown[];
  registeredAt: Date | null;
  name: string | null;
  siteId: string | null;
  samplingOverride: number | null;
  enabled: boolean;
}

/** What a tenant says about one of its exporters. */
export interface ExporterRegistrationFields {
  name: string | null;
  siteId: string | null;
  samplingOverride: number | null;
  enabled: boolean;
}

/** A registration as routing needs it, across tenants (clarion_exporter_registrations). */
export interface ExporterRoute {
  tenantId: string;
  address: string;
  enabled: boolean;
  samplingOverride: number | null;
}

const COLUMNS = `host(address) AS address, first_seen_at AS "firstSeenAt", last_seen_at AS "lastSeenAt", packets, records,
  lost_records AS "lostRecords", decode_errors AS "decodeErrors", sampling_rate AS "samplingRate", domains,
  registered_at AS "registeredAt", name, site_id AS "siteId", sampling_override AS "samplingOverride", enabled`;

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

  /** Every registered exporter of the tenant, in address order. */
  registered(): Promise<ExporterRow[]> {
    return this.manager.query(`SELECT ${COLUMNS} FROM exporters e WHERE e.registered_at IS NOT NULL ORDER BY e.address`);
  }

  /**
   * Registers the address for the tenant (or replaces the registration it has), keeping the counters of an exporter
   * already seen. Another tenant's registration of the address fails the unique index (23505).
   */
  async register(tenantId: string, address: string, fields: ExporterRegistrationFields): Promise<void> {
    await this.registerMany(tenantId, [{ address, ...fields }]);
  }

  async registerMany(tenantId: string, registrations: ReadonlyArray<ExporterRegistrationFields & { address: string }>): Promise<void> {
    if (registrations.length === 0) return;
    await this.manager.query(
      `INSERT INTO exporters AS e (tenant_id, address, registered_at, name, site_id, sampling_override, enabled, updated_at)
       SELECT $1, r.address::inet, now(), r.name, r."siteId", r."samplingOverride", r.enabled, now()
       FROM jsonb_to_recordset($2::jsonb) AS r(address text, name text, "siteId" uuid, "samplingOverride" integer, enabled boolean)
       ON CONFLICT (tenant_id, address) DO UPDATE SET
         registered_at = COALESCE(e.registered_at, now()),
         name = EXCLUDED.name,
         site_id = EXCLUDED.site_id,
         sampling_override = EXCLUDED.sampling_override,
         enabled = EXCLUDED.enabled,
         updated_at = now()`,
      [tenantId, JSON.stringify(registrations)],
    );
  }

  /**
   * The site ids among `siteIds` that name no site of the tenant. The sites table is the clustering service's and
   * ingest may not read it, so each id is tried against the foreign key of `exporters.site_id` on a probe row (the
   * unspecified address, never an exporter's) in a savepoint that is always rolled back; PostgreSQL does not show this
   * role the key in the error, hence one try per id.
   */
  async missingSites(tenantId: string, siteIds: readonly string[]): Promise<string[]> {
    const missing: string[] = [];
    for (const siteId of new Set(siteIds)) {
      await this.manager.query('SAVEPOINT site_probe');
      try {
        await this.manager.query(
          `INSERT INTO exporters (tenant_id, address, first_seen_at, last_seen_at, site_id) VALUES ($1, '::', now(), now(), $2)
           ON CONFLICT (tenant_id, address) DO UPDATE SET site_id = EXCLUDED.site_id`,
          [tenantId, siteId],
        );
      } catch (err) {
        if ((err as { code?: unknown }).code !== '23503') {
          await this.manager.query('ROLLBACK TO SAVEPOINT site_probe');
          throw err;
        }
        missing.push(siteId);
      }
      await this.manager.query('ROLLBACK TO SAVEPOINT site_probe');
      await this.manager.query('RELEASE SAVEPOINT site_probe');
    }
    return missing;
  }

  /** Removes the registration: a row never seen goes, a seen one keeps its counters. False when none was registered. */
  async unregister(address: string): Promise<boolean> {
    const deleted = returnedRows(await this.manager.query(`DELETE FROM exporters WHERE address = $1::inet AND registered_at IS NOT NULL AND first_seen_at IS NULL RETURNING address`, [address]));
    if (deleted.length > 0) return true;
    const cleared = returnedRows(
      await this.manager.query(
        `UPDATE exporters SET registered_at = NULL, name = NULL, site_id = NULL, sampling_override = NULL, enabled = true, updated_at = now()
         WHERE address = $1::inet AND registered_at IS NOT NULL RETURNING address`,
        [address],
      ),
    );
    return cleared.length > 0;
  }

  /** Registrations of every tenant (or of one address), for routing: a SECURITY DEFINER lookup that needs no tenant context. */
  routes(address?: string): Promise<ExporterRoute[]> {
    return this.manager.query(
      `SELECT tenant_id AS "tenantId", address, enabled, sampling_override AS "samplingOverride" FROM clarion_exporter_registrations($1::inet)`,
      [address ?? null],
    );
  }

  /** Stored decoder sampling state of every exporter (restored at boot). */
  samplingStates(): Promise<Array<{ address: string; samplingState: unknown[] }>> {
    return this.manager.query(`SELECT host(address) AS address, sampling_state AS "samplingState" FROM exporters WHERE sampling_state <> '[]'::jsonb`);
  }
}

