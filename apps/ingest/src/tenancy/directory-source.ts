import { Database, TenantRepository, type TenantRow } from '@clarion/persistence';
import { ExporterRepository } from '../data';
import type { DirectorySource, ExporterRoute, KnownTenant } from './tenant-directory';

const known = (row: Pick<TenantRow, 'id' | 'slug' | 'status'>): KnownTenant => ({ id: row.id, slug: row.slug, status: row.status });

/** The tenant directory's reads: the tenants table (platform-wide) and the registrations' definer lookup. */
export class DatabaseDirectorySource implements DirectorySource {
  constructor(private readonly db: Database) {}

  tenants(): Promise<KnownTenant[]> {
    return this.db.withoutTenant(async (m) => (await new TenantRepository(m).list(undefined, 1_000_000)).map(known));
  }

  tenantBySlug(slug: string): Promise<KnownTenant | null> {
    return this.db.withoutTenant(async (m) => {
      const row = await new TenantRepository(m).findBySlug(slug);
      return row === null ? null : known(row);
    });
  }

  tenantById(id: string): Promise<KnownTenant | null> {
    return this.db.withoutTenant(async (m) => {
      const row = await new TenantRepository(m).findRowById(id);
      return row === null ? null : known(row);
    });
  }

  routes(address?: string): Promise<ExporterRoute[]> {
    return this.db.withoutTenant((m) => new ExporterRepository(m).routes(address));
  }
}
