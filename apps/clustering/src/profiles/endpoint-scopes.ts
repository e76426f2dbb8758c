import type { AddressClassifier } from '@clarion/contracts';
import type { EntityManager } from 'typeorm';
import { RouterInterfaceRepository } from '../data';
import { tenantClassifierOf } from '../inventory/tenant-classifier';
import { DEFAULT_MAC_ADDRESS_LIMIT, endpointScopeOf, type EndpointScope } from './batch-delta';

export interface EndpointScopesOptions {
  /** How long a tenant's inventory and router MACs are used before they are read again. */
  ttlMs: number;
  macAddressLimit: number;
  now?: () => number;
}

interface Entry {
  classifier: AddressClassifier;
  routerMacs: Set<string>;
  expiresAtMs: number;
}

/**
 * Per tenant, what decides which flow sides are endpoints: the tenant's address classifier (address spaces and
 * subnets through the shared AddressClassifier) and its router MACs, read in the batch's transaction and kept for
 * `ttlMs`, so an inventory change applies within that time on every instance.
 */
export class EndpointScopes {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly options: EndpointScopesOptions = { ttlMs: 30_000, macAddressLimit: DEFAULT_MAC_ADDRESS_LIMIT }) {
    this.now = options.now ?? Date.now;
  }

  /** The tenant's scope; `manager` is the transaction bound to the tenant. */
  async scopeOf(tenantId: string, manager: EntityManager): Promise<EndpointScope> {
    const at = this.now();
    let entry = this.entries.get(tenantId);
    if (!entry || entry.expiresAtMs <= at) {
      const classifier = await tenantClassifierOf(manager);
      const macs = await new RouterInterfaceRepository(manager).allMacs();
      entry = { classifier, routerMacs: new Set(macs), expiresAtMs: at + this.options.ttlMs };
      this.entries.set(tenantId, entry);
    }
    return endpointScopeOf(entry.classifier, entry.routerMacs, this.options.macAddressLimit);
  }

  /** Router MACs a committed batch recorded: used at once, before the next read. */
  addRouterMacs(tenantId: string, macs: Iterable<string>): void {
    const entry = this.entries.get(tenantId);
    if (entry) for (const mac of macs) entry.routerMacs.add(mac);
  }

  /** Forgets a tenant's scope (its inventory changed in this instance). */
  invalidate(tenantId: string): void {
    this.entries.delete(tenantId);
  }
}
