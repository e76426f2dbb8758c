import { Inject, Injectable } from '@nestjs/common';
import {
  DomainException,
  ErrorCode,
  EventSubjects,
  INVENTORY_IMPORT_MAX_RECORDS,
  type ActorDto,
  type ExporterChangedEvent,
  type ExporterDto,
  type ExporterExportRequestDto,
  type ExporterImportRequestDto,
  type InventoryExportDto,
  type InventoryImportResultDto,
  type RegisterExporterRequestDto,
  type UnregisterExporterRequestDto,
  type UpdateExporterRequestDto,
} from '@clarion/contracts';
import { NatsConnectionHolder, publishEvent } from '@clarion/messaging';
import { Database, TenantRepository } from '@clarion/persistence';
import { firstReason, readImportRecords, valueOr, writeImportRecords, ROOT_LOGGER, type ImportRecord } from '@clarion/platform';
import type { Logger } from 'pino';
import { ExporterRepository, type ExporterRegistrationFields } from '../data';
import { IngestEnv } from '../ingest.env';
import { ExporterTenantMap, parseExporterTenantMap } from '../tenancy/exporter-tenant-map';
import { EXPORTER_COLUMNS, canonicalExporterAddress, exporterFields } from './exporter-records';
import { toExporterDto } from './exporter-query.service';

const MAX_LISTED_REJECTIONS = 100;

function requireExportersWrite(actor: ActorDto, permission: 'exporters:write' | 'exporters:read' = 'exporters:write'): void {
  if (!actor.permissions.includes(permission)) throw new DomainException(ErrorCode.Forbidden, `requires the ${permission} permission`);
}

const isUniqueViolation = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === '23505';
const isSiteMissing = (err: unknown): boolean => (err as { code?: unknown; constraint?: unknown } | null)?.code === '23503';

const takenByAnother = () =>
  new DomainException(ErrorCode.Conflict, 'another tenant has registered this exporter address', [{ field: 'address', message: 'registered by another tenant' }]);
const noSuchSite = () => new DomainException(ErrorCode.NotFound, 'no such site', [{ field: 'siteId', message: 'the tenant has no such site' }]);

/**
 * Tenants register their exporters (`exporters:write`): an address (one tenant's across the platform), a name, a
 * site of their inventory, a sampling override, enabled or not. Every change is written, then announced on
 * clarion.ingest.exporters.changed.v1, which every ingest instance (this one included) applies to its routing at once.
 * INGEST_EXPORTER_TENANTS stays the operator's word: an address one of its rules gives to another tenant cannot be
 * registered.
 */
@Injectable()
export class ExporterAdminService {
  private readonly configured: ExporterTenantMap;

  constructor(
    private readonly db: Database,
    env: IngestEnv,
    private readonly nats: NatsConnectionHolder,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.configured = new ExporterTenantMap(parseExporterTenantMap(env.INGEST_EXPORTER_TENANTS ?? ''), undefined);
  }

  async register(request: RegisterExporterRequestDto): Promise<ExporterDto> {
    requireExportersWrite(request.actor);
    const address = this.addressOf(request.address);
    const { tenantId } = request.actor;
    await this.assertConfigurationAllows(tenantId, address);
    const fields: ExporterRegistrationFields = {
      name: request.name ?? null,
      siteId: request.siteId ?? null,
      samplingOverride: request.samplingOverride ?? null,
      enabled: request.enabled ?? true,
    };
    return this.write(tenantId, address, fields);
  }

  async update(request: UpdateExporterRequestDto): Promise<ExporterDto> {
    requireExportersWrite(request.actor);
    const address = this.addressOf(request.address);
    const { tenantId } = request.actor;
    const current = await this.db.withTenant(tenantId, (m) => new ExporterRepository(m).findByAddress(address));
    if (current?.registeredAt == null) throw new DomainException(ErrorCode.NotFound, 'no such registered exporter');
    return this.write(tenantId, address, {
      name: request.name === undefined ? current.name : request.name,
      siteId: request.siteId === undefined ? current.siteId : request.siteId,
      samplingOverride: request.samplingOverride === undefined ? current.samplingOverride : request.samplingOverride,
      enabled: request.enabled ?? current.enabled,
    });
  }

  /** Answers the exporter as it was registered. */
  async unregister(request: UnregisterExporterRequestDto): Promise<ExporterDto> {
    requireExportersWrite(request.actor);
    const address = this.addressOf(request.address);
    const { tenantId } = request.actor;
    const before = await this.db.withTenant(tenantId, async (m) => {
      const repo = new ExporterRepository(m);
      const row = await repo.findByAddress(address);
      if (row?.registeredAt == null || !(await repo.unregister(address))) throw new DomainException(ErrorCode.NotFound, 'no such registered exporter');
      return row;
    });
    this.announce({ tenantId, address, registration: null, at: new Date().toISOString() });
    return toExporterDto(before);
  }

  /** Registrations by address, all or nothing; another tenant's address, a rule of the configuration or a missing site reject the record. */
  async import(request: ExporterImportRequestDto): Promise<InventoryImportResultDto> {
    requireExportersWrite(request.actor);
    const { tenantId } = request.actor;
    const records = readImportRecords(request.format, request.content, EXPORTER_COLUMNS, INVENTORY_IMPORT_MAX_RECORDS);
    const dryRun = request.dryRun === true;
    const where = (at: number) => (request.format === 'csv' ? `on line ${at}` : `at index ${at}`);
    const slug = await this.slugOf(tenantId);
    const outcome = await this.importRecords(tenantId, slug, records, dryRun, where);
    const applied = outcome.rejected.length === 0 && !dryRun;
    if (applied) {
      const at = new Date().toISOString();
      for (const c of outcome.changes) this.announce({ tenantId, address: c.address, registration: { enabled: c.enabled, samplingOverride: c.samplingOverride }, at });
    }
    outcome.rejected.sort((a, b) => a.at - b.at);
    return {
      kind: 'exporters',
      dryRun,
      applied,
      records: records.length,
      created: outcome.created,
      updated: outcome.updated,
      unchanged: outcome.unchanged,
      rejected: outcome.rejected.slice(0, MAX_LISTED_REJECTIONS),
      rejectedCount: outcome.rejected.length,
    };
  }

  private async importRecords(tenantId: string, slug: string | undefined, records: ImportRecord[], dryRun: boolean, where: (at: number) => string) {
    try {
      return await this.db.withTenant(tenantId, async (m) => {
        const repo = new ExporterRepository(m);
        const mine = new Map((await repo.registered()).map((r) => [r.address, r]));
        const elsewhere = new Set((await repo.routes()).filter((r) => r.tenantId !== tenantId).map((r) => r.address));
        const rejected: Array<{ at: number; reason: string }> = [];
        const seen = new Map<string, number>();
        const changes: Array<ExporterRegistrationFields & { address: string; at: number }> = [];
        let created = 0;
        let updated = 0;
        let unchanged = 0;
        for (const record of records) {
          const fields = record.defect === undefined ? exporterFields(record) : undefined;
          const address = fields === undefined ? null : valueOr(fields.address, null);
          const earlier = address === null ? undefined : seen.get(address);
          const ruled = address === null ? undefined : this.configured.ruleSlugOf(address);
          const problem =
            record.defect ??
            (fields && firstReason(fields)) ??
            (address === null
              ? 'address is required'
              : earlier !== undefined
                ? `the exporter ${address} is also ${where(earlier)}`
                : elsewhere.has(address)
                  ? `another tenant has registered ${address}`
                  : ruled !== undefined && ruled !== slug
                    ? `INGEST_EXPORTER_TENANTS gives ${address} to another tenant`
                    : undefined);
          if (problem !== undefined || fields === undefined || address === null) {
            rejected.push({ at: record.at, reason: problem ?? 'address is required' });
            continue;
          }
          seen.set(address, record.at);
          const current = mine.get(address);
          const next: ExporterRegistrationFields = {
            name: valueOr(fields.name, current?.name ?? null),
            siteId: valueOr(fields.siteId, current?.siteId ?? null),
            samplingOverride: valueOr(fields.samplingOverride, current?.samplingOverride ?? null),
            enabled: valueOr(fields.enabled, current?.enabled ?? true) ?? true,
          };
          if (current === undefined) created++;
          else if (current.name === next.name && current.siteId === next.siteId && current.samplingOverride === next.samplingOverride && current.enabled === next.enabled) {
            unchanged++;
            continue;
          } else updated++;
          changes.push({ address, at: record.at, ...next });
        }
        // Sites are checked by the database (they are not ingest's to read): a missing one rejects its records.
        const missing = new Set(await repo.missingSites(tenantId, changes.flatMap((c) => (c.siteId === null ? [] : [c.siteId]))));
        for (const change of changes) if (change.siteId !== null && missing.has(change.siteId)) rejected.push({ at: change.at, reason: `the tenant has no site ${change.siteId}` });
        if (rejected.length === 0 && !dryRun) await repo.registerMany(tenantId, changes.map(({ at: _at, ...registration }) => registration));
        return { rejected, created, updated, unchanged, changes };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw takenByAnother();
      throw err;
    }
  }

  async export(request: ExporterExportRequestDto): Promise<InventoryExportDto> {
    requireExportersWrite(request.actor, 'exporters:read');
    const rows = await this.db.withTenant(request.actor.tenantId, (m) => new ExporterRepository(m).registered());
    const records = rows.map((r) => ({ address: r.address, name: r.name, siteId: r.siteId, samplingOverride: r.samplingOverride, enabled: r.enabled }));
    return { kind: 'exporters', format: request.format, records: records.length, content: writeImportRecords(request.format, EXPORTER_COLUMNS, records) };
  }

  private async write(tenantId: string, address: string, fields: ExporterRegistrationFields): Promise<ExporterDto> {
    let row;
    try {
      row = await this.db.withTenant(tenantId, async (m) => {
        const repo = new ExporterRepository(m);
        await repo.register(tenantId, address, fields);
        return repo.findByAddress(address);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw takenByAnother();
      if (isSiteMissing(err)) throw noSuchSite();
      throw err;
    }
    if (row === null) throw new DomainException(ErrorCode.Internal, 'the exporter vanished during its own registration');
    this.announce({ tenantId, address, registration: { enabled: fields.enabled, samplingOverride: fields.samplingOverride }, at: new Date().toISOString() });
    return toExporterDto(row);
  }

  /** Refuses an address that a rule of INGEST_EXPORTER_TENANTS gives to another tenant. */
  private async assertConfigurationAllows(tenantId: string, address: string): Promise<void> {
    const ruled = this.configured.ruleSlugOf(address);
    if (ruled === undefined || ruled === (await this.slugOf(tenantId))) return;
    throw new DomainException(ErrorCode.Conflict, 'the configuration (INGEST_EXPORTER_TENANTS) gives this exporter address to another tenant', [
      { field: 'address', message: 'configured for another tenant' },
    ]);
  }

  private async slugOf(tenantId: string): Promise<string | undefined> {
    return (await this.db.withoutTenant((m) => new TenantRepository(m).findRowById(tenantId)))?.slug;
  }

  private addressOf(text: string): string {
    const address = canonicalExporterAddress(text);
    if (address === undefined) throw new DomainException(ErrorCode.ValidationFailed, 'not an IP address', [{ field: 'address', message: 'must be an IPv4 or IPv6 address' }]);
    return address;
  }

  private announce(event: ExporterChangedEvent): void {
    const outcome = publishEvent(this.nats, EventSubjects.exportersChanged, event);
    // Every instance also looks an address it has not seen up on first sight and reloads every 30 s: the event makes it immediate.
    if (!outcome.published) this.logger.warn({ address: event.address, reason: outcome.reason }, 'exporter change event not published');
  }
}
