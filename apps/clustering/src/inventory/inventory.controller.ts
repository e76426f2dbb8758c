import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  ClassifyAddressRequestDto,
  CreateAddressSpaceRequestDto,
  CreateSiteRequestDto,
  CreateSubnetRequestDto,
  InventoryExportRequestDto,
  InventoryImportRequestDto,
  InventoryRefRequestDto,
  ListAddressSpacesRequestDto,
  ListSitesRequestDto,
  ListSubnetsRequestDto,
  Subjects,
  UpdateAddressSpaceRequestDto,
  UpdateSiteRequestDto,
  UpdateSubnetRequestDto,
  type AddressClassificationDto,
  type AddressSpaceDto,
  type InventoryExportDto,
  type InventoryImportResultDto,
  type Page,
  type SiteDto,
  type SubnetDto,
} from '@clarion/contracts';
import { AddressClassificationService } from './address-classification.service';
import { AddressSpaceRegistryService } from './address-space-registry.service';
import { InventoryImportService } from './inventory-import.service';
import { SiteRegistryService } from './site-registry.service';
import { SubnetRegistryService } from './subnet-registry.service';

/** The network inventory over NATS: sites, address spaces, subnets, their import and export, and address classification. */
@Controller()
export class InventoryController {
  constructor(
    private readonly sites: SiteRegistryService,
    private readonly addressSpaces: AddressSpaceRegistryService,
    private readonly subnets: SubnetRegistryService,
    private readonly bulk: InventoryImportService,
    private readonly classification: AddressClassificationService,
  ) {}

  @MessagePattern(Subjects.clustering.sitesList)
  listSites(@Payload() request: ListSitesRequestDto): Promise<Page<SiteDto>> {
    return this.sites.list(request);
  }

  @MessagePattern(Subjects.clustering.sitesGet)
  getSite(@Payload() request: InventoryRefRequestDto): Promise<SiteDto> {
    return this.sites.get(request);
  }

  @MessagePattern(Subjects.clustering.sitesCreate)
  createSite(@Payload() request: CreateSiteRequestDto): Promise<SiteDto> {
    return this.sites.create(request);
  }

  @MessagePattern(Subjects.clustering.sitesUpdate)
  updateSite(@Payload() request: UpdateSiteRequestDto): Promise<SiteDto> {
    return this.sites.update(request);
  }

  /** Answers the site as it was before deletion. */
  @MessagePattern(Subjects.clustering.sitesDelete)
  deleteSite(@Payload() request: InventoryRefRequestDto): Promise<SiteDto> {
    return this.sites.delete(request);
  }

  @MessagePattern(Subjects.clustering.addressSpacesList)
  listAddressSpaces(@Payload() request: ListAddressSpacesRequestDto): Promise<Page<AddressSpaceDto>> {
    return this.addressSpaces.list(request);
  }

  @MessagePattern(Subjects.clustering.addressSpacesGet)
  getAddressSpace(@Payload() request: InventoryRefRequestDto): Promise<AddressSpaceDto> {
    return this.addressSpaces.get(request);
  }

  @MessagePattern(Subjects.clustering.addressSpacesCreate)
  createAddressSpace(@Payload() request: CreateAddressSpaceRequestDto): Promise<AddressSpaceDto> {
    return this.addressSpaces.create(request);
  }

  @MessagePattern(Subjects.clustering.addressSpacesUpdate)
  updateAddressSpace(@Payload() request: UpdateAddressSpaceRequestDto): Promise<AddressSpaceDto> {
    return this.addressSpaces.update(request);
  }

  @MessagePattern(Subjects.clustering.addressSpacesDelete)
  deleteAddressSpace(@Payload() request: InventoryRefRequestDto): Promise<AddressSpaceDto> {
    return this.addressSpaces.delete(request);
  }

  @MessagePattern(Subjects.clustering.subnetsList)
  listSubnets(@Payload() request: ListSubnetsRequestDto): Promise<Page<SubnetDto>> {
    return this.subnets.list(request);
  }

  @MessagePattern(Subjects.clustering.subnetsGet)
  getSubnet(@Payload() request: InventoryRefRequestDto): Promise<SubnetDto> {
    return this.subnets.get(request);
  }

  @MessagePattern(Subjects.clustering.subnetsCreate)
  createSubnet(@Payload() request: CreateSubnetRequestDto): Promise<SubnetDto> {
    return this.subnets.create(request);
  }

  @MessagePattern(Subjects.clustering.subnetsUpdate)
  updateSubnet(@Payload() request: UpdateSubnetRequestDto): Promise<SubnetDto> {
    return this.subnets.update(request);
  }

  @MessagePattern(Subjects.clustering.subnetsDelete)
  deleteSubnet(@Payload() request: InventoryRefRequestDto): Promise<SubnetDto> {
    return this.subnets.delete(request);
  }

  @MessagePattern(Subjects.clustering.inventoryImport)
  import(@Payload() request: InventoryImportRequestDto): Promise<InventoryImportResultDto> {
    return this.bulk.import(request);
  }

  @MessagePattern(Subjects.clustering.inventoryExport)
  export(@Payload() request: InventoryExportRequestDto): Promise<InventoryExportDto> {
    return this.bulk.export(request);
  }

  @MessagePattern(Subjects.clustering.inventoryClassify)
  classify(@Payload() request: ClassifyAddressRequestDto): Promise<AddressClassificationDto> {
    return this.classification.classify(request);
  }
}
