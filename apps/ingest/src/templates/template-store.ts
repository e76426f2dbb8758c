import type { NetflowDecoder, TemplateSnapshot } from '@clarion/netflow';
import { Database } from '@clarion/persistence';
import { ExporterRepository, TemplateRepository } from '../data';
import type { Logger } from 'pino';
import type { TenantDirectory } from '../tenancy/tenant-directory';

export interface RestoreOutcome {
  templates: number;
  domains: number;
  rejected: number;
  skippedTemplates: number;
}

/**
 * Persists the decoder's NetFlow v9/IPFIX templates (and sampling state) per exporter and restores them at boot, so
 * a restarted collector decodes data at once instead of holding it until each exporter's next template refresh.
 */
export class TemplateStore {
  /** Exporters whose templates changed since they were last written, with their tenant. */
  private readonly dirty = new Map<string, string>();

  constructor(
    private readonly decoder: NetflowDecoder,
    private readonly db: Database,
    private readonly tenants: TenantDirectory,
    private readonly logger: Logger,
  ) {}

  markChanged(exporter: string, tenantId: string): void {
    this.dirty.set(exporter, tenantId);
  }

  get pending(): number {
    return this.dirty.size;
  }

  /** Writes the current templates of every changed exporter (learned, refreshed and withdrawn ones alike). */
  async flush(): Promise<void> {
    if (this.dirty.size === 0 || !this.db.ready) return;
    for (const [exporter, tenantId] of [...this.dirty]) {
      this.dirty.delete(exporter);
      const snapshot = this.decoder.exportState(exporter);
      try {
        await this.db.withTenant(tenantId, (m) => new TemplateRepository(m).replaceForExporter(tenantId, exporter, snapshot.templates));
      } catch (err) {
        if (!this.dirty.has(exporter)) this.dirty.set(exporter, tenantId);
        this.logger.warn({ err: (err as Error).message, exporter }, 'could not persist templates; retrying');
        return;
      }
    }
  }

  /**
   * Loads the stored templates and sampling state of every known tenant into the decoder, for exporters that still map
   * to that tenant and that have not already sent templates of their own since boot (those are fresher).
   */
  async restore(): Promise<RestoreOutcome> {
    const outcome: RestoreOutcome = { templates: 0, domains: 0, rejected: 0, skippedTemplates: 0 };
    const live = new Set(this.decoder.exportState().templates.map((t) => t.exporter));
    for (const { tenantId } of this.tenants.tenants()) {
      const { templates, states } = await this.db.withTenant(tenantId, async (m) => ({
        templates: await new TemplateRepository(m).listAll(),
        states: await new ExporterRepository(m).samplingStates(),
      }));
      const belongs = (exporter: string): boolean => {
        if (this.tenants.tenantIdOf(exporter) !== tenantId) return false;
        if (live.has(exporter)) {
          outcome.skippedTemplates++;
          return false;
        }
        return true;
      };
      const snapshot = {
        formatVersion: 1 as const,
        templates: templates.filter((t) => belongs(t.exporter)) as TemplateSnapshot[],
        domains: states.filter((s) => this.tenants.tenantIdOf(s.address) === tenantId && !live.has(s.address)).flatMap((s) => s.samplingState),
      };
      const result = this.decoder.importState(snapshot);
      outcome.templates += result.templates;
      outcome.domains += result.domains;
      outcome.rejected += result.rejected;
    }
    return outcome;
  }
}
