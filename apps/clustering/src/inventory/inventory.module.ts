import { Module } from '@nestjs/common';
import { AddressClassificationService } from './address-classification.service';
import { AddressSpaceRegistryService } from './address-space-registry.service';
import { InventoryImportService } from './inventory-import.service';
import { InventoryController } from './inventory.controller';
import { SiteRegistryService } from './site-registry.service';
import { SubnetRegistryService } from './subnet-registry.service';

/** The tenant's network inventory: sites, address spaces and subnets (docs/ARCHITECTURE.md, "Network inventory"). */
@Module({
  controllers: [InventoryController],
  providers: [SiteRegistryService, AddressSpaceRegistryService, SubnetRegistryService, InventoryImportService, AddressClassificationService],
})
export class InventoryModule {}
