import type { EntityManager } from 'typeorm';

/** One NetFlow v9 / IPFIX template as stored (the shape of @clarion/netflow's TemplateSnapshot). */
export interface StoredTemplate {
  exporter: string;
  version: 9 | 10;
  observationDomain: number;
  templateId: number;
  kind: 'data' | 'options';
  scopeFieldCount: number;
  fields: Array<{ id: number; length: number; enterprise: number }>;
  learnedAtMs: number;
}

/** Templates of the tenant bound to the transaction, persisted so a collector restart does not blank its exporters. */
export class TemplateRepository {
  constructor(private readonly manager: EntityManager) {}

  /** Makes the stored templates of `exporter` exactly `templates` (learned, refreshed and withdrawn ones alike). */
  async replaceForExporter(tenantId: string, exporter: string, templates: readonly StoredTemplate[]): Promise<void> {
    await this.manager.query(`DELETE FROM netflow_templates WHERE exporter = $1::inet`, [exporter]);
    if (templates.length === 0) return;
    const rows = templates.map((t) => ({
      version: t.version,
      observation_domain: t.observationDomain,
      template_id: t.templateId,
      kind: t.kind,
      scope_field_count: t.scopeFieldCount,
      fields: t.fields,
      learned_at: new Date(t.learnedAtMs).toISOString(),
    }));
    await this.manager.query(
      `INSERT INTO netflow_templates (tenant_id, exporter, version, observation_domain, template_id, kind, scope_field_count, fields, learned_at)
       SELECT $1, $2::inet, r.version, r.observation_domain, r.template_id, r.kind, r.scope_field_count, r.fields, r.learned_at
       FROM jsonb_to_recordset($3::jsonb) AS r(version smallint, observation_domain bigint, template_id integer, kind text,
            scope_field_count integer, fields jsonb, learned_at timestamptz)`,
      [tenantId, exporter, JSON.stringify(rows)],
    );
  }

  /** Every stored template of the tenant. */
  async listAll(): Promise<StoredTemplate[]> {
    const rows: Array<Omit<StoredTemplate, 'learnedAtMs' | 'observationDomain'> & { observationDomain: string; learnedAtMs: string }> =
      await this.manager.query(
        `SELECT host(exporter) AS exporter, version, observation_domain AS "observationDomain", template_id AS "templateId", kind,
                scope_field_count AS "scopeFieldCount", fields, (extract(epoch FROM learned_at) * 1000)::float8 AS "learnedAtMs"
         FROM netflow_templates ORDER BY exporter, version, observation_domain, template_id`,
      );
    return rows.map((r) => ({ ...r, observationDomain: Number(r.observationDomain), learnedAtMs: Number(r.learnedAtMs) }));
  }
}
