import { Database, TenantRepository } from '@clarion/persistence';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { ExporterTenantMap } from './exporter-tenant-map';

export type TenantLookup = { tenantId: string; slug: string } | { refused: 'no_tenant' | 'tenant_unresolved'; slug?: string };

/**
 * Which tenant an exporter's flows belong to: the exporter map gives a slug, PostgreSQL turns slugs into tenant ids.
 * Ids are refreshed periodically (a tenant created after boot is picked up) and cached in a file next to the spool, so
 * a collector that boots while PostgreSQL is down still knows its tenants and can spool their flows.
 */
export class TenantDirectory {
  private ids = new Map<string, string>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly map: ExporterTenantMap,
    private readonly db: Database,
    private readonly cacheFile: string,
    private readonly logger: Logger,
  ) {}

  lookup(exporter: string): TenantLookup {
    const slug = this.map.slugOf(exporter);
    if (slug === undefined) {
      this.warnOnce(`no:${exporter}`, { exporter }, 'exporter refused: no tenant maps to it (set INGEST_DEFAULT_TENANT or INGEST_EXPORTER_TENANTS)');
      return { refused: 'no_tenant' };
    }
    const tenantId = this.ids.get(slug);
    if (tenantId === undefined) {
      this.warnOnce(`unresolved:${slug}`, { exporter, tenant: slug }, 'exporter refused: its tenant does not exist (yet)');
      return { refused: 'tenant_unresolved', slug };
    }
    return { tenantId, slug };
  }

  /** Slug of each tenant id known (for restoring templates per tenant). */
  tenants(): Array<{ slug: string; tenantId: string }> {
    return [...this.ids].map(([slug, tenantId]) => ({ slug, tenantId }));
  }

  slugOf(exporter: string): string | undefined {
    return this.map.slugOf(exporter);
  }

  async loadCache(): Promise<void> {
    try {
      const cached = JSON.parse(await readFile(this.cacheFile, 'utf8')) as Record<string, string>;
      for (const slug of this.map.slugs()) if (typeof cached[slug] === 'string') this.ids.set(slug, cached[slug]);
    } catch {
      // no cache yet
    }
  }

  /** Resolves every slug the map can answer with; keeps earlier answers for slugs the database does not answer now. */
  async refresh(): Promise<void> {
    const next = new Map(this.ids);
    await this.db.withoutTenant(async (manager) => {
      const repo = new TenantRepository(manager);
      for (const slug of this.map.slugs()) {
        const tenant = await repo.findBySlug(slug);
        if (tenant) {
          if (!this.ids.has(slug)) this.logger.info({ tenant: slug, tenantId: tenant.id }, 'tenant resolved');
          next.set(slug, tenant.id);
          this.warned.delete(`unresolved:${slug}`);
        } else {
          next.delete(slug);
        }
      }
    });
    const changed = JSON.stringify([...next].sort()) !== JSON.stringify([...this.ids].sort());
    this.ids = next;
    if (changed) {
      const temporary = `${this.cacheFile}.tmp`;
      await writeFile(temporary, JSON.stringify(Object.fromEntries(next)));
      await rename(temporary, this.cacheFile);
    }
  }

  private warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.has(key) || this.warned.size > 10_000) return;
    this.warned.add(key);
    this.logger.warn(fields, message);
  }
}
