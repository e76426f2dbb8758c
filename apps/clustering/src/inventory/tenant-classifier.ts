import { AddressClassifier, type AddressScope } from '@clarion/contracts';
import type { EntityManager } from 'typeorm';
import { AddressSpaceRepository, SubnetRepository } from '../data';

/** The tenant's address classifier (its address spaces and subnets), read in `manager`'s tenant transaction. */
export async function tenantClassifierOf(manager: EntityManager): Promise<AddressClassifier> {
  const spaces = await new AddressSpaceRepository(manager).all();
  const subnets = await new SubnetRepository(manager).all();
  return new AddressClassifier({ addressSpaces: spaces.map((s) => ({ cidr: s.cidr, kind: s.kind as AddressScope })), subnets });
}

/**
 * Whether a stored endpoint is one of the tenant's hosts under its classification now: an `ip:` key by its address, a
 * MAC-keyed one by the address it was last seen with (none: kept). Rows stored before a range was declared external
 * drop out of runs and counts this way until they are removed.
 */
export function isInternalEndpoint(classifier: AddressClassifier, endpointKey: string, address: string | null): boolean {
  const subject = endpointKey.startsWith('ip:') ? endpointKey.slice(3) : address;
  return subject === null || classifier.classify(subject)?.scope === 'internal';
}
