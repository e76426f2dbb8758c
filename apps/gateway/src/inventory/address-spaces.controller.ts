import { Body, Controller, Delete, Get, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Subjects, type ActorDto, type AddressClassificationDto, type AddressSpaceDto, type InventoryExportDto, type InventoryImportResultDto, type Page } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import type { FastifyReply } from 'fastify';
import { ClusteringPageQueryDto } from '../endpoints/endpoints-http.dto';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import {
  AddressClassificationResponse,
  AddressSpacePage,
  AddressSpaceResponse,
  ClassifyAddressQueryDto,
  CreateAddressSpaceBodyDto,
  InventoryExportQueryDto,
  InventoryIdParamsDto,
  InventoryImportBodyDto,
  InventoryImportQueryDto,
  InventoryImportResponse,
  UpdateAddressSpaceBodyDto,
} from './inventory-http.dto';
import { ExportAnswer, ImportBody, sendExport } from './inventory-routes';

/** The tenant's address spaces (which networks are its own, which are named destinations); forwarded to the clustering service. */
@ApiTags('inventory')
@Controller('api/v1/address-spaces')
export class AddressSpacesController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @RequirePermissions('inventory:read')
  @ApiRoute({ summary: "List the tenant's address spaces", description: 'In network order, `limit` per page.', type: AddressSpacePage })
  list(@CurrentActor() actor: ActorDto, @Query() query: ClusteringPageQueryDto): Promise<Page<AddressSpaceDto>> {
    return this.rpc.send(Subjects.clustering.addressSpacesList, { actor, ...query });
  }

  @Post()
  @RequirePermissions('inventory:write')
  @ApiRoute({ summary: 'Add an address space', description: '409 when the tenant has one for this network.', status: 201, type: AddressSpaceResponse })
  create(@CurrentActor() actor: ActorDto, @Body() body: CreateAddressSpaceBodyDto): Promise<AddressSpaceDto> {
    return this.rpc.send(Subjects.clustering.addressSpacesCreate, { actor, ...body });
  }

  @Post('import')
  @RequirePermissions('inventory:write')
  @ImportBody()
  @ApiRoute({
    summary: 'Import address spaces (CSV or JSON)',
    description: 'Columns `cidr,name,kind,description`. Upserts by CIDR, all or nothing, a reason per rejected line.',
    type: InventoryImportResponse,
  })
  import(@CurrentActor() actor: ActorDto, @Body() body: InventoryImportBodyDto, @Query() query: InventoryImportQueryDto): Promise<InventoryImportResultDto> {
    return this.rpc.send(Subjects.clustering.inventoryImport, { actor, kind: 'address-spaces', format: body.format, content: body.content, dryRun: body.dryRun ?? query.dryRun ?? false });
  }

  @Get('export')
  @RequirePermissions('inventory:read')
  @ExportAnswer()
  @ApiRoute({ summary: 'Export every address space (CSV or JSON)' })
  async export(@CurrentActor() actor: ActorDto, @Query() query: InventoryExportQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    return sendExport(reply, await this.rpc.send<InventoryExportDto>(Subjects.clustering.inventoryExport, { actor, kind: 'address-spaces', format: query.format ?? 'csv' }));
  }

  @Get('classify')
  @RequirePermissions('inventory:read')
  @ApiRoute({
    summary: 'How the inventory classifies an address',
    description: "Internal or external by the most specific address space or subnet holding it; with nothing defined, the private networks (RFC 1918, 100.64.0.0/10, fc00::/7) are internal. With the subnet's site.",
    type: AddressClassificationResponse,
  })
  classify(@CurrentActor() actor: ActorDto, @Query() query: ClassifyAddressQueryDto): Promise<AddressClassificationDto> {
    return this.rpc.send(Subjects.clustering.inventoryClassify, { actor, address: query.address });
  }

  @Get(':id')
  @RequirePermissions('inventory:read')
  @ApiRoute({ summary: 'One address space', type: AddressSpaceResponse })
  get(@CurrentActor() actor: ActorDto, @Param() params: InventoryIdParamsDto): Promise<AddressSpaceDto> {
    return this.rpc.send(Subjects.clustering.addressSpacesGet, { actor, id: params.id });
  }

  @Patch(':id')
  @RequirePermissions('inventory:write')
  @ApiRoute({ summary: 'Change an address space', description: '`null` clears the description.', type: AddressSpaceResponse })
  update(@CurrentActor() actor: ActorDto, @Param() params: InventoryIdParamsDto, @Body() body: UpdateAddressSpaceBodyDto): Promise<AddressSpaceDto> {
    return this.rpc.send(Subjects.clustering.addressSpacesUpdate, { actor, ...body, id: params.id });
  }

  @Delete(':id')
  @RequirePermissions('inventory:write')
  @ApiRoute({ summary: 'Delete an address space', type: AddressSpaceResponse })
  remove(@CurrentActor() actor: ActorDto, @Param() params: InventoryIdParamsDto): Promise<AddressSpaceDto> {
    return this.rpc.send(Subjects.clustering.addressSpacesDelete, { actor, id: params.id });
  }
}
