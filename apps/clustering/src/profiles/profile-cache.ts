import type { EndpointProfile } from '@clarion/clustering-core';
import { LRUCache } from 'lru-cache';

/**
 * Decoded endpoint profiles this instance merged last, per tenant, least recently used evicted first once
 * `maxEntries` (over all tenants) is reached; 0 keeps none. PostgreSQL is the source of truth; the cache only saves the
 * assigner from decoding again what the merge just decoded. Entries are replaced, never mutated, so a reader never sees
 * a profile change under it.
 */
export class ProfileCache {
  private readonly entries: LRUCache<string, EndpointProfile> | undefined;

  constructor(maxEntries: number) {
    this.entries = maxEntries > 0 ? new LRUCache({ max: maxEntries }) : undefined;
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  get(tenantId: string, endpointKey: string): EndpointProfile | undefined {
    return this.entries?.get(`${tenantId}|${endpointKey}`);
  }

  set(tenantId: string, endpointKey: string, profile: EndpointProfile): void {
    this.entries?.set(`${tenantId}|${endpointKey}`, profile);
  }

  clear(): void {
    this.entries?.clear();
  }
}
