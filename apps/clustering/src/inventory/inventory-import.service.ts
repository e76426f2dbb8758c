import { Injectable } from '@nestjs/common';
import {
  formatNetwork,
  parseCidr,
  type InventoryExportDto,
  type InventoryExportRequestDto,
  type InventoryImportRequestDto,
  type InventoryImportResultDto,
  type InventoryKind,
  type SiteKind,
} from '@clarion/contracts';
import { Database } from '@clarion/persistence';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AddressSpaceRepository, SiteRepository, SubnetRepository, type AddressSpaceRecord, type SiteRecord, type SubnetRecord } from '../data';
import { requirePermission } from '../query/shared/query-access';
import {
  addressSpaceFields,
  firstReason,
  readInventoryRecords,
  siteFields,
  subnetFields,
  valueOr,
  writeInventoryRecords,
  type RawRecord,
} from './inventory-records';
import { SITE_RANK, siteParentDefect } from './inventory-rules';

/** Rejections listed in an answer (the count covers all). */
const MAX_LISTED_REJECTIONS = 100;

interface ImportPlan {
  rejected: Array<{ at: number; reason: string }>;
  created: number;
  updated: number;
  unchanged: number;
  apply(): Promise<void>;
}

/** A stored or imported record in the final state of an import, keyed by its key (site name or CIDR). */
interface Entry<R> {
  id: string;
  record: R;
  /** The line or index of the import that gave it; undefined when the import leaves it as stored. */
  at?: number;
  state: 'stored' | 'created' | 'updated' | 'unchanged';
}

/** How an answer names a record: its CSV line or JSON index. */
type Where = (at: number) => string;

/** A site whose parent is named, not referenced (an import names parents). */
type NamedSite = Omit<SiteRecord, 'parentId'> & { parent: string | null };

const sameRecord = (a: object, b: object): boolean => JSON.stringify(a) === JSON.stringify(b);
const canonical = (cidr: string): string => {
  const verdict = parseCidr(cidr);
  return 'network' in verdict ? formatNetwork(verdict.network) : cidr;
};

/**
 * Bulk import and export of the inventory (CSV or JSON, inventory-records.ts). An import is an upsert by key under
 * the tenant's inventory lock, all or nothing: every record is checked (its fields, duplicates, references, the site
 * hierarchy of the result as a whole) and only when none is rejected, and it is not a dry run, is anything written.
 * Importing the same content twice changes nothing the second time. Records the import does not name are kept.
 */
@Injectable()
export class InventoryImportService {
  constructor(private readonly db: Database) {}

  async import(request: InventoryImportRequestDto): Promise<InventoryImportResultDto> {
    requirePermission(request.actor, 'inventory:write');
    const { tenantId } = request.actor;
    const records = readInventoryRecords(request.kind, request.format, request.content);
    const dryRun = request.dryRun === true;
    return this.db.withTenant(tenantId, async (m) => {
      await new SiteRepository(m).lockInventory(tenantId);
      const where = (at: number) => (request.format === 'csv' ? `on line ${at}` : `at index ${at}`);
      const plan = await this.plan(m, tenantId, request.kind, records, where);
      const applied = plan.rejected.length === 0 && !dryRun;
      if (applied) await plan.apply();
      plan.rejected.sort((a, b) => a.at - b.at);
      return {
        kind: request.kind,
        dryRun,
        applied,
        records: records.length,
        created: plan.created,
        updated: plan.updated,
        unchanged: plan.unchanged,
        rejected: plan.rejected.slice(0, MAX_LISTED_REJECTIONS),
        rejectedCount: plan.rejected.length,
      };
    });
  }

  async export(request: InventoryExportRequestDto): Promise<InventoryExportDto> {
    requirePermission(request.actor, 'inventory:read');
    const records = await this.db.withTenant(request.actor.tenantId, (m) => this.exportRecords(m, request.kind));
    return { kind: request.kind, format: request.format, records: records.length, content: writeInventoryRecords(request.kind, request.format, records) };
  }

  private plan(m: EntityManager, tenantId: string, kind: InventoryKind, records: RawRecord[], where: Where): Promise<ImportPlan> {
    if (kind === 'sites') return this.planSites(m, tenantId, records, where);
    if (kind === 'address-spaces') return this.planAddressSpaces(m, tenantId, records, where);
    return this.planSubnets(m, tenantId, records, where);
  }

  private async exportRecords(m: EntityManager, kind: InventoryKind): Promise<Array<Record<string, string | number | null>>> {
    if (kind === 'address-spaces') {
      return (await new AddressSpaceRepository(m).all()).map((s) => ({ cidr: s.cidr, name: s.name, kind: s.kind, description: s.description }));
    }
    const sites = await new SiteRepository(m).all();
    const nameOf = new Map(sites.map((s) => [s.id, s.name]));
    if (kind === 'subnets') {
      return (await new SubnetRepository(m).all()).map((s) => ({
        cidr: s.cidr,
        name: s.name,
        site: s.siteId === null ? null : (nameOf.get(s.siteId) ?? null),
        vlan: s.vlan,
        purpose: s.purpose,
        description: s.description,
      }));
    }
    // Parents before children, so the file reads top-down (the import orders by itself anyway).
    return [...sites]
      .sort((a, b) => SITE_RANK[a.kind as SiteKind] - SITE_RANK[b.kind as SiteKind])
      .map((s) => ({ name: s.name, kind: s.kind, parent: s.parentId === null ? null : (nameOf.get(s.parentId) ?? null), timeZone: s.timeZone, description: s.description }));
  }

  private async planSites(m: EntityManager, tenantId: string, records: RawRecord[], where: Where): Promise<ImportPlan> {
    const repo = new SiteRepository(m);
    const stored = await repo.all();
    const nameOf = new Map(stored.map((s) => [s.id, s.name]));
    const state = new Map<string, Entry<NamedSite>>(
      stored.map((s) => [
        s.name,
        { id: s.id, state: 'stored', record: { name: s.name, kind: s.kind, parent: s.parentId === null ? null : (nameOf.get(s.parentId) ?? null), timeZone: s.timeZone, description: s.description } },
      ]),
    );
    const rejected: ImportPlan['rejected'] = [];
    const seen = new Map<string, number>();
    for (const record of records) {
      if (record.defect !== undefined) {
        rejected.push({ at: record.at, reason: record.defect });
        continue;
      }
      const fields = siteFields(record);
      const reason = firstReason(fields);
      if (reason !== undefined) {
        rejected.push({ at: record.at, reason });
        continue;
      }
      const name = valueOr(fields.name, null);
      if (name === null) {
        rejected.push({ at: record.at, reason: 'name is required' });
        continue;
      }
      const earlier = seen.get(name);
      if (earlier !== undefined) {
        rejected.push({ at: record.at, reason: `the site ${name} is also ${where(earlier)}` });
        continue;
      }
      seen.set(name, record.at);
      const current = state.get(name);
      const kind = valueOr(fields.kind, current?.record.kind ?? null);
      if (kind === null) {
        rejected.push({ at: record.at, reason: current ? 'kind cannot be cleared' : `kind is required for a new site (${name})` });
        continue;
      }
      const next: NamedSite = {
        name,
        kind,
        parent: valueOr(fields.parent, current?.record.parent ?? null),
        timeZone: valueOr(fields.timeZone, current?.record.timeZone ?? null),
        description: valueOr(fields.description, current?.record.description ?? null),
      };
      if (current === undefined) state.set(name, { id: randomUUID(), record: next, at: record.at, state: 'created' });
      else state.set(name, { ...current, record: next, at: record.at, state: sameRecord(next, current.record) ? 'unchanged' : 'updated' });
    }
    // The hierarchy of the result as a whole: every parent exists and ranks above its child.
    for (const entry of state.values()) {
      const { name, kind, parent } = entry.record;
      if (parent === null) continue;
      const parentEntry = state.get(parent);
      const at = entry.at ?? parentEntry?.at;
      if (at === undefined) continue;
      if (parentEntry === undefined) {
        rejected.push({ at, reason: `no site named ${parent} (in the inventory or in this import)` });
        continue;
      }
      if (parent === name) {
        rejected.push({ at, reason: `${name} cannot be its own parent` });
        continue;
      }
      const defect = siteParentDefect(name, kind as SiteKind, { name: parent, kind: parentEntry.record.kind as SiteKind });
      if (defect !== undefined) rejected.push({ at, reason: defect });
    }
    const entries = [...state.values()];
    const idOf = (name: string | null) => (name === null ? null : (state.get(name)?.id ?? null));
    const toRow = (e: Entry<NamedSite>) => ({ id: e.id, name: e.record.name, kind: e.record.kind, parentId: idOf(e.record.parent), timeZone: e.record.timeZone, description: e.record.description });
    return {
      rejected,
      ...counts(entries),
      apply: async () => {
        await repo.insertMany(tenantId, entries.filter((e) => e.state === 'created').map(toRow));
        await repo.updateMany(entries.filter((e) => e.state === 'updated').map(toRow));
      },
    };
  }

  private async planAddressSpaces(m: EntityManager, tenantId: string, records: RawRecord[], where: Where): Promise<ImportPlan> {
    const repo = new AddressSpaceRepository(m);
    const state = new Map<string, Entry<AddressSpaceRecord>>(
      (await repo.all()).map((s) => [canonical(s.cidr), { id: s.id, state: 'stored', record: { cidr: canonical(s.cidr), name: s.name, kind: s.kind, description: s.description } }]),
    );
    const rejected: ImportPlan['rejected'] = [];
    const seen = new Map<string, number>();
    for (const record of records) {
      const fields = record.defect === undefined ? addressSpaceFields(record) : undefined;
      const cidr = fields === undefined ? null : valueOr(fields.cidr, null);
      const earlier = cidr === null ? undefined : seen.get(cidr);
      const problem =
        record.defect ??
        (fields && firstReason(fields)) ??
        (cidr === null ? 'cidr is required' : earlier !== undefined ? `the address space ${cidr} is also ${where(earlier)}` : undefined);
      if (problem !== undefined || fields === undefined || cidr === null) {
        rejected.push({ at: record.at, reason: problem ?? 'cidr is required' });
        continue;
      }
      seen.set(cidr, record.at);
      const current = state.get(cidr);
      const name = valueOr(fields.name, current?.record.name ?? null);
      const kind = valueOr(fields.kind, current?.record.kind ?? null);
      if (name === null || kind === null) {
        rejected.push({ at: record.at, reason: current ? `${name === null ? 'name' : 'kind'} cannot be cleared` : `name and kind are required for a new address space (${cidr})` });
        continue;
      }
      const next: AddressSpaceRecord = { cidr, name, kind, description: valueOr(fields.description, current?.record.description ?? null) };
      if (current === undefined) state.set(cidr, { id: randomUUID(), record: next, at: record.at, state: 'created' });
      else state.set(cidr, { ...current, record: next, at: record.at, state: sameRecord(next, current.record) ? 'unchanged' : 'updated' });
    }
    const entries = [...state.values()];
    const toRow = (e: Entry<AddressSpaceRecord>) => ({ id: e.id, ...e.record });
    return {
      rejected,
      ...counts(entries),
      apply: async () => {
        await repo.insertMany(tenantId, entries.filter((e) => e.state === 'created').map(toRow));
        await repo.updateMany(entries.filter((e) => e.state === 'updated').map(toRow));
      },
    };
  }

  private async planSubnets(m: EntityManager, tenantId: string, records: RawRecord[], where: Where): Promise<ImportPlan> {
    const repo = new SubnetRepository(m);
    const siteIds = new Map((await new SiteRepository(m).all()).map((s) => [s.name, s.id]));
    const state = new Map<string, Entry<SubnetRecord>>(
      (await repo.all()).map((s) => [canonical(s.cidr), { id: s.id, state: 'stored', record: { cidr: canonical(s.cidr), name: s.name, siteId: s.siteId, vlan: s.vlan, purpose: s.purpose, description: s.description } }]),
    );
    const rejected: ImportPlan['rejected'] = [];
    const seen = new Map<string, number>();
    for (const record of records) {
      const fields = record.defect === undefined ? subnetFields(record) : undefined;
      const cidr = fields === undefined ? null : valueOr(fields.cidr, null);
      const earlier = cidr === null ? undefined : seen.get(cidr);
      const problem =
        record.defect ??
        (fields && firstReason(fields)) ??
        (cidr === null ? 'cidr is required' : earlier !== undefined ? `the subnet ${cidr} is also ${where(earlier)}` : undefined);
      if (problem !== undefined || fields === undefined || cidr === null) {
        rejected.push({ at: record.at, reason: problem ?? 'cidr is required' });
        continue;
      }
      seen.set(cidr, record.at);
      const current = state.get(cidr);
      let siteId = current?.record.siteId ?? null;
      if ('value' in fields.site) {
        const site = fields.site.value;
        siteId = site === null ? null : (siteIds.get(site) ?? null);
        if (site !== null && siteId === null) {
          rejected.push({ at: record.at, reason: `no site named ${site} (import sites first)` });
          continue;
        }
      }
      const next: SubnetRecord = {
        cidr,
        name: valueOr(fields.name, current?.record.name ?? null),
        siteId,
        vlan: valueOr(fields.vlan, current?.record.vlan ?? null),
        purpose: valueOr(fields.purpose, current?.record.purpose ?? null),
        description: valueOr(fields.description, current?.record.description ?? null),
      };
      if (current === undefined) state.set(cidr, { id: randomUUID(), record: next, at: record.at, state: 'created' });
      else state.set(cidr, { ...current, record: next, at: record.at, state: sameRecord(next, current.record) ? 'unchanged' : 'updated' });
    }
    const entries = [...state.values()];
    const toRow = (e: Entry<SubnetRecord>) => ({ id: e.id, ...e.record });
    return {
      rejected,
      ...counts(entries),
      apply: async () => {
        await repo.insertMany(tenantId, entries.filter((e) => e.state === 'created').map(toRow));
        await repo.updateMany(entries.filter((e) => e.state === 'updated').map(toRow));
      },
    };
  }
}

function counts(entries: ReadonlyArray<Entry<unknown>>): Pick<ImportPlan, 'created' | 'updated' | 'unchanged'> {
  let created = 0;
  let updated = 0;
  let unchanged = 0;
  for (const e of entries) {
    if (e.state === 'created') created++;
    else if (e.state === 'updated') updated++;
    else if (e.state === 'unchanged') unchanged++;
  }
  return { created, updated, unchanged };
}
