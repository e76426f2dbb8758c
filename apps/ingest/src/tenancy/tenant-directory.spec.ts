import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ExporterTenantMap, parseExporterTenantMap } from './exporter-tenant-map';
import { DEFAULT_DIRECTORY_OPTIONS, TenantDirectory, type DirectorySource, type ExporterRoute, type KnownTenant, type TenantLookup } from './tenant-directory';

const ACME: KnownTenant = { id: '11111111-1111-4111-8111-111111111111', slug: 'acme', status: 'active' };
const BETA: KnownTenant = { id: '22222222-2222-4222-8222-222222222222', slug: 'beta', status: 'active' };
const GAMMA: KnownTenant = { id: '33333333-3333-4333-8333-333333333333', slug: 'gamma', status: 'active' };

/** A database that answers from memory and counts what it is asked. */
class FakeSource implements DirectorySource {
  tenantRows: KnownTenant[] = [ACME, BETA];
  routeRows: ExporterRoute[] = [];
  asked: string[] = [];
  failing = false;

  async tenants(): Promise<KnownTenant[]> {
    return this.answer('tenants', [...this.tenantRows]);
  }
  async tenantBySlug(slug: string): Promise<KnownTenant | null> {
    return this.answer(`slug:${slug}`, this.tenantRows.find((t) => t.slug === slug) ?? null);
  }
  async tenantById(id: string): Promise<KnownTenant | null> {
    return this.answer(`id:${id}`, this.tenantRows.find((t) => t.id === id) ?? null);
  }
  async routes(address?: string): Promise<ExporterRoute[]> {
    return this.answer(`routes:${address ?? '*'}`, this.routeRows.filter((r) => address === undefined || r.address === address));
  }
  private async answer<T>(what: string, value: T): Promise<T> {
    this.asked.push(what);
    await new Promise((r) => setImmediate(r));
    if (this.failing) throw new Error('database down');
    return value;
  }
}

const settled = async (answer: TenantLookup): Promise<void> => {
  if ('pending' in answer) await answer.pending;
};

describe('tenant directory (which tenant an exporter belongs to)', () => {
  let dir: string;
  let now = 1_764_000_000_000;
  const sampling: Array<[string, number | null]> = [];
  const lookups: string[] = [];
  const observer = { samplingChanged: (a: string, r: number | null) => sampling.push([a, r]), lookedUp: (k: string, o: string) => lookups.push(`${k}:${o}`) };

  function directory(source: FakeSource, rules = '10.0.0.0/8=acme', fallback?: string, cache = 'tenants.json', options = DEFAULT_DIRECTORY_OPTIONS) {
    return new TenantDirectory(new ExporterTenantMap(parseExporterTenantMap(rules), fallback), source, join(dir, cache), pino({ level: 'silent' }), observer, options, () => now);
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'clarion-directory-'));
    sampling.length = 0;
    lookups.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('routes a registered exporter to its tenant, refuses it disabled, and lets the configuration win over another tenant', async () => {
    const source = new FakeSource();
    source.routeRows = [
      { tenantId: BETA.id, address: '192.0.2.7', enabled: true, samplingOverride: 100 },
      { tenantId: BETA.id, address: '192.0.2.8', enabled: false, samplingOverride: null },
      { tenantId: BETA.id, address: '10.9.9.9', enabled: true, samplingOverride: null },
      { tenantId: ACME.id, address: '10.1.1.1', enabled: false, samplingOverride: null },
    ];
    const d = directory(source);
    await d.refresh();
    expect(d.lookup('192.0.2.7')).toEqual({ tenantId: BETA.id, slug: 'beta' });
    expect(d.lookup('192.0.2.8')).toEqual({ refused: 'exporter_disabled', slug: 'beta' });
    // 10.0.0.0/8 is acme's by configuration: beta's registration of 10.9.9.9 does not take it; acme's own disables 10.1.1.1.
    expect(d.lookup('10.9.9.9')).toEqual({ tenantId: ACME.id, slug: 'acme' });
    expect(d.lookup('10.1.1.1')).toEqual({ refused: 'exporter_disabled', slug: 'acme' });
    expect(sampling).toEqual(expect.arrayContaining([['192.0.2.7', 100]]));
    expect(d.tenants().map((t) => t.slug).sort()).toEqual(['acme', 'beta']);
  });

  it('looks an unknown address up on first sight, once, and answers from the lookup after it', async () => {
    const source = new FakeSource();
    const d = directory(source, '', 'acme');
    await d.refresh();
    source.routeRows = [{ tenantId: BETA.id, address: '198.51.100.1', enabled: true, samplingOverride: null }];
    const first = d.lookup('198.51.100.1');
    // A second packet while the lookup runs joins it.
    const second = d.lookup('198.51.100.1');
    if (!('pending' in first) || !('pending' in second)) throw new Error('both packets should wait for the lookup');
    expect(second.pending).toBe(first.pending);
    await settled(first);
    expect(d.lookup('198.51.100.1')).toEqual({ tenantId: BETA.id, slug: 'beta' });
    // An unregistered one goes to the default tenant after its lookup, and is not asked about again for a while.
    await settled(d.lookup('198.51.100.2'));
    expect(d.lookup('198.51.100.2')).toEqual({ tenantId: ACME.id, slug: 'acme' });
    expect(d.lookup('198.51.100.2')).toEqual({ tenantId: ACME.id, slug: 'acme' });
    expect(source.asked.filter((a) => a.startsWith('routes:198'))).toEqual(['routes:198.51.100.1', 'routes:198.51.100.2']);
    now += DEFAULT_DIRECTORY_OPTIONS.negativeTtlMs + 1;
    expect('pending' in d.lookup('198.51.100.2')).toBe(true);
    expect(lookups).toEqual(['address:found', 'address:absent']);
  });

  it('resolves a tenant created after boot on first sight instead of refusing its exporters until the next refresh', async () => {
    const source = new FakeSource();
    const d = directory(source, '10.0.0.0/8=gamma');
    await d.refresh();
    source.tenantRows.push(GAMMA);
    const answer = d.lookup('10.2.3.4');
    expect('pending' in answer).toBe(true);
    await settled(answer);
    expect(d.lookup('10.2.3.4')).toEqual({ tenantId: GAMMA.id, slug: 'gamma' });
    // A slug that does not exist: looked up once, then refused as unresolved without asking again at once.
    const missing = directory(source, '10.0.0.0/8=nobody', undefined, 'other.json');
    await settled(missing.lookup('10.0.0.1'));
    expect(missing.lookup('10.0.0.1')).toEqual({ refused: 'tenant_unresolved', slug: 'nobody' });
    expect(missing.lookup('10.0.0.2')).toEqual({ refused: 'tenant_unresolved', slug: 'nobody' });
    expect(source.asked.filter((a) => a === 'slug:nobody')).toHaveLength(1);
  });

  it('applies tenant and exporter events at once: a new tenant, a suspension, a registration, a removal', async () => {
    const source = new FakeSource();
    const d = directory(source, '10.0.0.0/8=gamma', undefined);
    await d.refresh();
    d.applyTenantEvent({ tenantId: GAMMA.id, slug: 'gamma', status: 'active', at: '' });
    expect(d.lookup('10.0.0.1')).toEqual({ tenantId: GAMMA.id, slug: 'gamma' });
    d.applyTenantEvent({ tenantId: GAMMA.id, slug: 'gamma', status: 'suspended', at: '' });
    expect(d.lookup('10.0.0.1')).toEqual({ refused: 'tenant_suspended', slug: 'gamma' });

    await settled(d.lookup('203.0.113.5'));
    expect(d.lookup('203.0.113.5')).toEqual({ refused: 'no_tenant' });
    d.applyExporterEvent({ tenantId: BETA.id, address: '203.0.113.5', registration: { enabled: true, samplingOverride: 64 }, at: '' });
    expect(d.lookup('203.0.113.5')).toEqual({ tenantId: BETA.id, slug: 'beta' });
    expect(sampling).toContainEqual(['203.0.113.5', 64]);
    d.applyExporterEvent({ tenantId: BETA.id, address: '203.0.113.5', registration: { enabled: false, samplingOverride: 64 }, at: '' });
    expect(d.lookup('203.0.113.5')).toEqual({ refused: 'exporter_disabled', slug: 'beta' });
    // Another tenant's removal does not remove beta's registration; beta's own does (no lookup right after it).
    d.applyExporterEvent({ tenantId: ACME.id, address: '203.0.113.5', registration: null, at: '' });
    expect(d.lookup('203.0.113.5')).toEqual({ refused: 'exporter_disabled', slug: 'beta' });
    d.applyExporterEvent({ tenantId: BETA.id, address: '203.0.113.5', registration: null, at: '' });
    expect(d.lookup('203.0.113.5')).toEqual({ refused: 'no_tenant' });
    expect(sampling).toContainEqual(['203.0.113.5', null]);
  });

  it('keeps what an event said over a refresh that read the database before it', async () => {
    const source = new FakeSource();
    const d = directory(source, '');
    await d.refresh();
    const reload = d.refresh(); // reads the routes before the event below
    d.applyExporterEvent({ tenantId: ACME.id, address: '192.0.2.44', registration: { enabled: true, samplingOverride: null }, at: '' });
    await reload;
    expect(d.lookup('192.0.2.44')).toEqual({ tenantId: ACME.id, slug: 'acme' });
  });

  it('bounds first-sight lookups by a rate, so a flood of spoofed sources costs a few queries', async () => {
    const source = new FakeSource();
    const d = directory(source, '', 'acme', 'tenants.json', { ...DEFAULT_DIRECTORY_OPTIONS, lookupsPerSecond: 5 });
    await d.refresh();
    const answers = Array.from({ length: 50 }, (_, i) => d.lookup(`198.18.0.${i + 1}`));
    expect(answers.filter((a) => 'pending' in a)).toHaveLength(5);
    expect(answers.filter((a) => 'tenantId' in a)).toHaveLength(45);
    expect(lookups.filter((l) => l === 'address:limited')).toHaveLength(45);
    now += 1_000;
    expect('pending' in d.lookup('198.18.1.1')).toBe(true);
  });

  it('answers from its cache file when PostgreSQL is down at boot, and keeps its answers when a refresh fails', async () => {
    const source = new FakeSource();
    source.routeRows = [{ tenantId: BETA.id, address: '192.0.2.7', enabled: true, samplingOverride: 10 }];
    await directory(source).refresh();
    const down = new FakeSource();
    down.failing = true;
    const booted = directory(down);
    await booted.loadCache();
    expect(booted.lookup('10.0.0.1')).toEqual({ tenantId: ACME.id, slug: 'acme' });
    expect(booted.lookup('192.0.2.7')).toEqual({ tenantId: BETA.id, slug: 'beta' });
    expect(sampling).toContainEqual(['192.0.2.7', 10]);
    await expect(booted.refresh()).rejects.toThrow(/database down/);
    expect(booted.lookup('192.0.2.7')).toEqual({ tenantId: BETA.id, slug: 'beta' });
    // A lookup that fails answers as unknown, and is tried again after a short while.
    const failed = booted.lookup('198.51.100.9');
    await settled(failed);
    expect(booted.lookup('198.51.100.9')).toEqual({ refused: 'no_tenant' });
    expect(lookups).toContain('address:failed');
  });

  it('reads the cache file of the first format ({ slug: id })', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'old.json'), JSON.stringify({ acme: ACME.id, unrelated: BETA.id }));
    const d = directory(new FakeSource(), '10.0.0.0/8=acme', undefined, 'old.json');
    await d.loadCache();
    expect(d.lookup('10.0.0.1', false)).toEqual({ tenantId: ACME.id, slug: 'acme' });
    expect(d.tenantIdOf('10.0.0.1')).toBe(ACME.id);
  });
});
