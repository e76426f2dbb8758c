import type { EndpointProfile } from '@clarion/clustering-core';

/**
 * Decoded endpoint profiles this instance merged last, per tenant, least recently used evicted first once
 * `maxEntries` (over all tenants) is reached. PostgreSQL is the source of truth; the cache only saves the assigner from
 * decoding again what the merge just decoded. Entries are replaced, never mutated, so a reader never sees a profile
 * change under it.
 */
export class ProfileCache {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  private readonly entries = new Map<string, EndpointProfile>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(tenantId: string, endpointKey: string): EndpointProfile | undefined {
    const key = `${tenantId}|${endpointKey}`;
    const profile = this.entries.get(key);
    if (profile) {
      this.entries.delete(key);
      this.entries.set(key, profile);
    }
    return profile;
  }

  set(tenantId: string, endpointKey: string, profile: EndpointProfile): void {
    if (this.maxEntries <= 0) return;
    const key = `${tenantId}|${endpointKey}`;
    this.entries.delete(key);
    this.entries.set(key, profile);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
