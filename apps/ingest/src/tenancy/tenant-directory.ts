import type { ExporterChangedEvent, TenantChangedEvent } from '@clarion/contracts';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { ExporterTenantMap } from './exporter-tenant-map';

export type RefusalReason = 'no_tenant' | 'tenant_unresolved' | 'tenant_suspended' | 'exporter_disabled';

/**
 * Where an exporter's flows go: a tenant, a refusal, or "being looked up" (the promise settles when the answer is
 * known, or after `maxWaitMs`, whichever is first; the caller holds the packet until then and asks again).
 */
export type TenantLookup = { tenantId: string; slug?: string } | { refused: RefusalReason; slug?: string } | { pending: Promise<void> };

export interface KnownTenant {
  id: string;
  slug: string;
  status: string;
}

/** A registered exporter as routing needs it. */
export interface ExporterRoute {
  tenantId: string;
  address: string;
  enabled: boolean;
  samplingOverride: number | null;
}

/** What the directory reads from PostgreSQL (an interface, so that its rules are tested without a database). */
export interface DirectorySource {
  tenants(): Promise<KnownTenant[]>;
  tenantBySlug(slug: string): Promise<KnownTenant | null>;
  tenantById(id: string): Promise<KnownTenant | null>;
  /** Every registration, or the one of `address`. */
  routes(address?: string): Promise<ExporterRoute[]>;
}

export interface DirectoryOptions {
  /** Lookups of unknown addresses and slugs per second: a flood from spoofed source addresses costs at most this many queries. */
  lookupsPerSecond: number;
  /** How long an address found unregistered (or a slug found missing) is not asked about again; events and the periodic refresh bring changes meanwhile. */
  negativeTtlMs: number;
  /** How long after a failed lookup (PostgreSQL down) before asking again. */
  retryMs: number;
  /** The longest a packet waits for a lookup. */
  maxWaitMs: number;
  /** Addresses and slugs remembered as unknown, at most. */
  maxRemembered: number;
}

export const DEFAULT_DIRECTORY_OPTIONS: DirectoryOptions = { lookupsPerSecond: 50, negativeTtlMs: 30_000, retryMs: 2_000, maxWaitMs: 2_000, maxRemembered: 50_000 };

/** What the directory tells its owner: a registration's sampling override changed; a lookup ended so. */
export interface DirectoryObserver {
  samplingChanged(address: string, samplingOverride: number | null): void;
  lookedUp(kind: 'address' | 'slug', outcome: 'found' | 'absent' | 'failed' | 'limited'): void;
}

interface CacheFile {
  formatVersion: 2;
  tenants: KnownTenant[];
  routes: ExporterRoute[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Which tenant an exporter's flows belong to, decided per packet without I/O:
 * 1. a registration of the address (the API, `exporters:write`): its tenant, unless INGEST_EXPORTER_TENANTS names the
 *    address in a rule for another tenant (the operator's configuration wins; the API refuses such registrations);
 *    a disabled registration refuses the packets;
 * 2. else a rule of INGEST_EXPORTER_TENANTS (the bootstrap configuration);
 * 3. else, for an address it has not asked about lately, a lookup of its registration (first sight: the packet
 *    waits for the answer instead of being refused);
 * 4. else INGEST_DEFAULT_TENANT; else refused (no_tenant).
 * A slug it does not know is looked up on first sight too (tenant_unresolved only when the lookup finds nothing or
 * is rate-limited), and a suspended tenant's flows are refused (tenant_suspended).
 *
 * Changes arrive as events (clarion.auth.tenants.changed.v1, clarion.ingest.exporters.changed.v1) and are applied at
 * once; a refresh every 30 s reloads every tenant and registration in case an event was missed. What it knows is kept
 * in a file next to the spool, so a collector that boots while PostgreSQL is down still routes and spools.
 */
export class TenantDirectory {
  private bySlug = new Map<string, KnownTenant>();
  private byId = new Map<string, KnownTenant>();
  private routes = new Map<string, ExporterRoute>();
  /** Addresses found unregistered and slugs found missing, until when (ms). */
  private readonly absentAddresses = new Map<string, number>();
  private readonly absentSlugs = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<void>>();
  /** Event counter, and the count at which each address or tenant was last changed by an event. */
  private events = 0;
  private readonly changedByEvent = new Map<string, number>();
  private tokens: number;
  private refilledAtMs: number;
  private readonly warned = new Set<string>();

  constructor(
    private readonly map: ExporterTenantMap,
    private readonly source: DirectorySource,
    private readonly cacheFile: string,
    private readonly logger: Logger,
    private readonly observer: DirectoryObserver = { samplingChanged: () => undefined, lookedUp: () => undefined },
    private readonly options: DirectoryOptions = DEFAULT_DIRECTORY_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = options.lookupsPerSecond;
    this.refilledAtMs = now();
  }

  /** Where the exporter's flows go now; `lookups: false` never starts a lookup (answers from what is known). */
  lookup(exporter: string, lookups = true): TenantLookup {
    const route = this.routes.get(exporter);
    const ruleSlug = this.map.ruleSlugOf(exporter);
    if (route !== undefined) {
      const ruled = ruleSlug === undefined ? undefined : this.bySlug.get(ruleSlug);
      if (ruleSlug === undefined || ruled?.id === route.tenantId) return this.admit(route.tenantId, route.enabled, exporter);
      this.warnOnce(`overruled:${exporter}`, { exporter, tenant: ruleSlug }, 'exporter registered by one tenant but INGEST_EXPORTER_TENANTS maps it to another: the configuration wins');
    }
    if (ruleSlug !== undefined) return this.viaSlug(ruleSlug, exporter, lookups);
    if (route === undefined && lookups && !this.recentlyAbsent(this.absentAddresses, exporter)) {
      const pending = this.resolve(`a:${exporter}`, 'address', () => this.lookUpAddress(exporter));
      if (pending !== undefined) return { pending };
    }
    const fallback = this.map.fallbackSlug;
    if (fallback !== undefined) return this.viaSlug(fallback, exporter, lookups);
    this.warnOnce(`no:${exporter}`, { exporter }, 'exporter refused: no tenant maps to it (register it, or set INGEST_DEFAULT_TENANT or INGEST_EXPORTER_TENANTS)');
    return { refused: 'no_tenant' };
  }

  /** The tenant id the exporter's flows go to from what is known (no lookup); undefined when none. */
  tenantIdOf(exporter: string): string | undefined {
    const answer = this.lookup(exporter, false);
    return 'tenantId' in answer ? answer.tenantId : undefined;
  }

  /** Tenants flows can be routed to (configured slugs that exist, tenants of registrations), for restoring templates and pruning. */
  tenants(): Array<{ slug: string; tenantId: string }> {
    const ids = new Set<string>([...this.routes.values()].map((r) => r.tenantId));
    for (const slug of this.map.slugs()) {
      const tenant = this.bySlug.get(slug);
      if (tenant !== undefined) ids.add(tenant.id);
    }
    return [...ids].flatMap((id) => {
      const tenant = this.byId.get(id);
      return tenant === undefined ? [] : [{ slug: tenant.slug, tenantId: id }];
    });
  }

  /** A tenant was created, renamed, suspended or resumed. */
  applyTenantEvent(event: TenantChangedEvent): void {
    this.changedByEvent.set(`t:${event.tenantId}`, ++this.events);
    this.putTenant({ id: event.tenantId, slug: event.slug, status: event.status });
  }

  /** An exporter was registered, changed or unregistered. */
  applyExporterEvent(event: ExporterChangedEvent): void {
    this.changedByEvent.set(`a:${event.address}`, ++this.events);
    if (event.registration === null) {
      const before = this.routes.get(event.address);
      if (before !== undefined && before.tenantId !== event.tenantId) return; // another tenant's registration: not this one's to remove
      this.removeRoute(event.address);
      this.absentAddresses.set(event.address, this.now() + this.options.negativeTtlMs);
      return;
    }
    this.putRoute({ tenantId: event.tenantId, address: event.address, ...event.registration });
    if (!this.byId.has(event.tenantId)) void this.resolve(`t:${event.tenantId}`, 'slug', () => this.lookUpTenantId(event.tenantId));
  }

  /** Reloads every tenant and registration; keeps what an event changed while the reload ran, and everything when it fails. */
  async refresh(): Promise<void> {
    const startedAt = this.events;
    const [tenants, routes] = await Promise.all([this.source.tenants(), this.source.routes()]);
    const newer = (key: string) => (this.changedByEvent.get(key) ?? 0) > startedAt;
    const nextTenants = new Map(tenants.filter((t) => !newer(`t:${t.id}`)).map((t) => [t.id, t]));
    for (const [id, tenant] of this.byId) if (newer(`t:${id}`)) nextTenants.set(id, tenant);
    for (const tenant of nextTenants.values()) {
      if (!this.byId.has(tenant.id) && this.map.slugs().includes(tenant.slug)) this.logger.info({ tenant: tenant.slug, tenantId: tenant.id }, 'tenant resolved');
    }
    this.byId = nextTenants;
    this.bySlug = new Map([...nextTenants.values()].map((t) => [t.slug, t]));
    const nextRoutes = new Map(routes.filter((r) => !newer(`a:${r.address}`)).map((r) => [r.address, r]));
    for (const [address, route] of this.routes) if (newer(`a:${address}`)) nextRoutes.set(address, route);
    const before = this.routes;
    this.routes = nextRoutes;
    for (const [address, route] of nextRoutes) if (before.get(address)?.samplingOverride !== route.samplingOverride || !before.has(address)) this.observer.samplingChanged(address, route.samplingOverride);
    for (const address of before.keys()) if (!nextRoutes.has(address)) this.observer.samplingChanged(address, null);
    for (const slug of this.bySlug.keys()) this.absentSlugs.delete(slug);
    await this.saveCache();
  }

  async loadCache(): Promise<void> {
    let cached: unknown;
    try {
      cached = JSON.parse(await readFile(this.cacheFile, 'utf8'));
    } catch {
      return; // no cache yet
    }
    if (typeof cached !== 'object' || cached === null) return;
    const file = cached as Partial<CacheFile> & Record<string, unknown>;
    if (file.formatVersion === 2 && Array.isArray(file.tenants) && Array.isArray(file.routes)) {
      for (const t of file.tenants) if (isKnownTenant(t)) this.putTenant(t);
      for (const r of file.routes) if (isRoute(r)) this.putRoute(r);
      return;
    }
    // The first format: { slug: tenantId } of the configured slugs.
    for (const slug of this.map.slugs()) if (typeof file[slug] === 'string') this.putTenant({ id: file[slug] as string, slug, status: 'active' });
  }

  private admit(tenantId: string, enabled: boolean, exporter: string): TenantLookup {
    const tenant = this.byId.get(tenantId);
    if (!enabled) return { refused: 'exporter_disabled', slug: tenant?.slug };
    if (tenant?.status === 'suspended') {
      this.warnOnce(`suspended:${tenantId}`, { exporter, tenantId }, 'exporter refused: its tenant is suspended');
      return { refused: 'tenant_suspended', slug: tenant.slug };
    }
    return { tenantId, slug: tenant?.slug };
  }

  private viaSlug(slug: string, exporter: string, lookups: boolean): TenantLookup {
    const tenant = this.bySlug.get(slug);
    if (tenant !== undefined) return this.admit(tenant.id, true, exporter);
    if (lookups && !this.recentlyAbsent(this.absentSlugs, slug)) {
      const pending = this.resolve(`s:${slug}`, 'slug', () => this.lookUpSlug(slug));
      if (pending !== undefined) return { pending };
    }
    this.warnOnce(`unresolved:${slug}`, { exporter, tenant: slug }, 'exporter refused: its tenant does not exist (yet)');
    return { refused: 'tenant_unresolved', slug };
  }

  private async lookUpAddress(address: string): Promise<'found' | 'absent'> {
    const startedAt = this.events;
    const [route] = await this.source.routes(address);
    // An event about the address while the lookup ran is newer than its answer.
    if ((this.changedByEvent.get(`a:${address}`) ?? 0) > startedAt) return this.routes.has(address) ? 'found' : 'absent';
    if (route === undefined) {
      this.remember(this.absentAddresses, address, this.options.negativeTtlMs);
      return 'absent';
    }
    if (!this.byId.has(route.tenantId)) await this.lookUpTenantId(route.tenantId);
    this.putRoute(route);
    return 'found';
  }

  private async lookUpSlug(slug: string): Promise<'found' | 'absent'> {
    const tenant = await this.source.tenantBySlug(slug);
    if (tenant === null) {
      this.remember(this.absentSlugs, slug, this.options.negativeTtlMs);
      return 'absent';
    }
    this.logger.info({ tenant: slug, tenantId: tenant.id }, 'tenant resolved');
    this.putTenant(tenant);
    return 'found';
  }

  private async lookUpTenantId(id: string): Promise<'found' | 'absent'> {
    const tenant = await this.source.tenantById(id);
    if (tenant === null) return 'absent';
    this.putTenant(tenant);
    return 'found';
  }

  /** Starts (or joins) the lookup under `key`, within the rate; undefined when the rate allows none now. */
  private resolve(key: string, kind: 'address' | 'slug', work: () => Promise<'found' | 'absent'>): Promise<void> | undefined {
    const running = this.inflight.get(key);
    if (running !== undefined) return running;
    if (!this.takeToken()) {
      this.observer.lookedUp(kind, 'limited');
      return undefined;
    }
    const done = work()
      .then((outcome) => this.observer.lookedUp(kind, outcome))
      .catch((err: unknown) => {
        this.observer.lookedUp(kind, 'failed');
        const [map, name] = key.startsWith('s:') ? [this.absentSlugs, key.slice(2)] : [this.absentAddresses, key.slice(2)];
        if (!key.startsWith('t:')) this.remember(map, name, this.options.retryMs);
        this.warnOnce(`lookup:${key}`, { err: (err as Error).message }, 'exporter or tenant lookup failed; trying again later');
      })
      .finally(() => this.inflight.delete(key));
    const bounded = Promise.race([done, sleep(this.options.maxWaitMs)]);
    this.inflight.set(key, bounded);
    return bounded;
  }

  private takeToken(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.options.lookupsPerSecond, this.tokens + ((now - this.refilledAtMs) / 1000) * this.options.lookupsPerSecond);
    this.refilledAtMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private recentlyAbsent(map: Map<string, number>, key: string): boolean {
    const until = map.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    map.delete(key);
    return false;
  }

  private remember(map: Map<string, number>, key: string, forMs: number): void {
    if (map.size >= this.options.maxRemembered) map.clear();
    map.set(key, this.now() + forMs);
  }

  private putTenant(tenant: KnownTenant): void {
    const before = this.byId.get(tenant.id);
    if (before !== undefined && before.slug !== tenant.slug) this.bySlug.delete(before.slug);
    this.byId.set(tenant.id, tenant);
    this.bySlug.set(tenant.slug, tenant);
    this.absentSlugs.delete(tenant.slug);
    this.warned.delete(`unresolved:${tenant.slug}`);
    this.warned.delete(`suspended:${tenant.id}`);
  }

  private putRoute(route: ExporterRoute): void {
    const before = this.routes.get(route.address);
    this.routes.set(route.address, route);
    this.absentAddresses.delete(route.address);
    this.warned.delete(`no:${route.address}`);
    if (before?.samplingOverride !== route.samplingOverride || before === undefined) this.observer.samplingChanged(route.address, route.samplingOverride);
  }

  private removeRoute(address: string): void {
    if (this.routes.delete(address)) this.observer.samplingChanged(address, null);
  }

  private async saveCache(): Promise<void> {
    const file: CacheFile = { formatVersion: 2, tenants: [...this.byId.values()], routes: [...this.routes.values()] };
    const text = JSON.stringify(file);
    const temporary = `${this.cacheFile}.tmp`;
    await writeFile(temporary, text);
    await rename(temporary, this.cacheFile);
  }

  private warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.has(key) || this.warned.size > 10_000) return;
    this.warned.add(key);
    this.logger.warn(fields, message);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isKnownTenant(value: unknown): value is KnownTenant {
  const t = value as Partial<KnownTenant> | null;
  return typeof t?.id === 'string' && UUID.test(t.id) && typeof t.slug === 'string' && typeof t.status === 'string';
}

function isRoute(value: unknown): value is ExporterRoute {
  const r = value as Partial<ExporterRoute> | null;
  return (
    typeof r?.tenantId === 'string' &&
    UUID.test(r.tenantId) &&
    typeof r.address === 'string' &&
    typeof r.enabled === 'boolean' &&
    (r.samplingOverride === null || (typeof r.samplingOverride === 'number' && r.samplingOverride >= 1))
  );
}
