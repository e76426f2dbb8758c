import { Injectable } from '@nestjs/common';
import { AddressClassifier, DomainException, ErrorCode, type AddressClassificationDto, type AddressScope, type ClassifyAddressRequestDto, type SiteKind, type SubnetPurpose } from '@clarion/contracts';
import { Database } from '@clarion/persistence';
import { AddressSpaceRepository, SiteRepository, SubnetRepository } from '../data';
import { requirePermission } from '../query/shared/query-access';

/**
 * How a tenant's inventory classifies an address: the address spaces and subnets holding it are read (`cidr >>=
 * address`) and the shared classifier (@clarion/contracts) decides, so this answer and the services that classify
 * flows apply the same rule.
 */
@Injectable()
export class AddressClassificationService {
  constructor(private readonly db: Database) {}

  async classify(request: ClassifyAddressRequestDto): Promise<AddressClassificationDto> {
    requirePermission(request.actor, 'inventory:read');
    return this.db.withTenant(request.actor.tenantId, async (m) => {
      const addressSpaces = (await new AddressSpaceRepository(m).containing(request.address)).map((s) => ({ ...s, kind: s.kind as AddressScope }));
      const subnets = await new SubnetRepository(m).containing(request.address);
      const classified = new AddressClassifier({ addressSpaces, subnets }).classify(request.address);
      if (classified === undefined) throw new DomainException(ErrorCode.ValidationFailed, 'not an IP address', [{ field: 'address', message: 'must be an IPv4 or IPv6 address' }]);
      const { scope, basis, addressSpace: space, subnet } = classified;
      const site = subnet?.siteId ? await new SiteRepository(m).findById(subnet.siteId) : null;
      return {
        address: request.address,
        scope,
        basis,
        addressSpace: space && { id: space.id, cidr: space.cidr, name: space.name, kind: space.kind },
        subnet: subnet && { id: subnet.id, cidr: subnet.cidr, name: subnet.name, siteId: subnet.siteId, vlan: subnet.vlan, purpose: subnet.purpose as SubnetPurpose | null },
        site: site && { id: site.id, name: site.name, kind: site.kind as SiteKind },
      };
    });
  }
}
