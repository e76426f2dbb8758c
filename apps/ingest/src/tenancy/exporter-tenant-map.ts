import { BlockList, isIP } from 'node:net';

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** One `address[/prefix]=tenant-slug` item of INGEST_EXPORTER_TENANTS. */
export interface ExporterTenantRule {
  family: 'ipv4' | 'ipv6';
  network: string;
  prefix: number;
  tenantSlug: string;
}

export class ExporterTenantMapError extends Error {
  override readonly name = 'ExporterTenantMapError';
}

/**
 * Parses `10.0.0.0/8=acme, 192.0.2.7=beta, 2001:db8::/32=acme`. A bare address is a /32 (IPv4) or /128 (IPv6).
 * Throws ExporterTenantMapError naming the first bad item.
 */
export function parseExporterTenantMap(text: string): ExporterTenantRule[] {
  const rules: ExporterTenantRule[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) throw new ExporterTenantMapError(`'${item}' is not address[/prefix]=tenant-slug`);
    const target = item.slice(0, eq).trim();
    const tenantSlug = item.slice(eq + 1).trim();
    if (!SLUG.test(tenantSlug)) throw new ExporterTenantMapError(`'${tenantSlug}' is not a tenant slug`);
    const slash = target.indexOf('/');
    const network = slash < 0 ? target : target.slice(0, slash);
    const version = isIP(network);
    if (version === 0) throw new ExporterTenantMapError(`'${network}' is not an IP address`);
    const family = version === 4 ? 'ipv4' : 'ipv6';
    const max = version === 4 ? 32 : 128;
    const prefixText = slash < 0 ? String(max) : target.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) throw new ExporterTenantMapError(`'${target}' has a bad prefix length`);
    rules.push({ family, network, prefix: Number(prefixText), tenantSlug });
  }
  return rules;
}

/**
 * Finds the tenant slug of an exporter address: the most specific matching rule (longest prefix), else the default
 * slug, else undefined. Rule lookups are cached per address: exporters are few and send often.
 */
export class ExporterTenantMap {
  private readonly ordered: Array<{ rule: ExporterTenantRule; list: BlockList }>;
  private readonly cache = new Map<string, string | undefined>();

  constructor(
    rules: readonly ExporterTenantRule[],
    private readonly defaultSlug: string | undefined,
    private readonly maxCached = 100_000,
  ) {
    this.ordered = [...rules]
      .sort((a, b) => b.prefix - a.prefix)
      .map((rule) => {
        const list = new BlockList();
        list.addSubnet(rule.network, rule.prefix, rule.family);
        return { rule, list };
      });
  }

  /** Every slug the map can answer with (to resolve them to tenant ids ahead of traffic). */
  slugs(): string[] {
    const all = new Set(this.ordered.map((o) => o.rule.tenantSlug));
    if (this.defaultSlug) all.add(this.defaultSlug);
    return [...all];
  }

  /** The tenant slug of the address: its most specific rule, else the default. */
  slugOf(address: string): string | undefined {
    return this.ruleSlugOf(address) ?? this.defaultSlug;
  }

  /** The default slug (INGEST_DEFAULT_TENANT), for addresses no rule names. */
  get fallbackSlug(): string | undefined {
    return this.defaultSlug;
  }

  /** The slug of the most specific rule naming the address, leaving the default out (undefined when no rule does). */
  ruleSlugOf(address: string): string | undefined {
    if (this.cache.has(address)) return this.cache.get(address);
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    let slug: string | undefined;
    for (const { rule, list } of this.ordered) {
      if (rule.family === family && list.check(address, family)) {
        slug = rule.tenantSlug;
        break;
      }
    }
    if (this.cache.size >= this.maxCached) this.cache.clear();
    this.cache.set(address, slug);
    return slug;
  }
}

/** `::ffff:192.0.2.1` (an IPv4 exporter on a dual-stack socket) to `192.0.2.1`; an IPv6 zone id is dropped. */
export function normaliseExporterAddress(address: string): string {
  if (address.startsWith('::ffff:') && address.indexOf('.') > 0) return address.slice(7);
  const zone = address.indexOf('%');
  return zone < 0 ? address : address.slice(0, zone);
}
