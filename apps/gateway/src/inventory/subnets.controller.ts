import { Body, Controller, Delete, Get, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Subjects, type ActorDto, type InventoryExportDto, type InventoryImportResultDto, type Page, type SubnetDto } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import type { FastifyReply } from 'fastify';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import {
  CreateSubnetBodyDto,
  InventoryExportQueryDto,
  InventoryIdParamsDto,
  InventoryImportBodyDto,
  InventoryImportQueryDto,
  InventoryImportResponse,
  ListSubnetsQueryDto,
  SubnetPage,
  SubnetResponse,
  UpdateSubnetBodyDto,
} from './inventory-http.dto';
import { ExportAnswer, ImportBody, sendExport } from './inventory-routes';

/** The tenant's subnets (site, VLAN, purpose); forwarded to the clustering service. */
@ApiTags('inventory')
@Controller('api/v1/subnets')
export class SubnetsController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @RequirePermissions('inventory:read')
  @ApiRoute({ summary: "List the tenant's subnets", description: 'In network order, optionally of one site, `limit` per page.', type: SubnetPage })
  list(@CurrentActor() actor: ActorDto, @Query() query: ListSubnetsQueryDto): Promise<Page<SubnetDto>> {
    return this.rpc.send(Subjects.clustering.subnetsList, { actor, ...query });
  }

  @Post()
  @RequirePermissions('inventory:write')
  @ApiRoute({ summary: 'Add a subnet', description: '409 when the tenant has this network already; 404 for a site it does not have.', status: 201, type: SubnetResponse })
  create(@CurrentActor() actor: ActorDto, @Body() body: CreateSubnetBodyDto): Promise<SubnetDto> {
    return this.rpc.send(Subjects.clustering.subnetsCreate, { actor, ...body });
  }

  @Post('import')
  @RequirePermissions('inventory:write')
  @ImportBody()
  @ApiRoute({
    summary: 'Import subnets (CSV or JSON)',
    description: 'Columns `cidr,name,site,vlan,purpose,description` (`site` by name). Upserts by CIDR, all or nothing, a reason per rejected line.',
    type: InventoryImportResponse,
  })
  import(@CurrentActor() actor: ActorDto, @Body() body: InventoryImportBodyDto, @Query() query: InventoryImportQueryDto): Promise<InventoryImportResultDto> {
    return this.rpc.send(Subjects.clustering.inventoryImport, { actor, kind: 'subnets', format: body.format, content: body.content, dryRun: body.dryRun ?? query.dryRun ?? false });
  }

  @Get('export')
  @RequirePermissions('inventory:read')
  @ExportAnswer()
  @ApiRoute({ summary: 'Export every subnet (CSV or JSON)' })
  async export(@CurrentActor() actor: ActorDto, @Query() query: InventoryExportQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    return sendExport(reply, await this.rpc.send<InventoryExportDto>(Subjects.clustering.inventoryExport, { actor, kind: 'subnets', format: query.format ?? 'csv' }));
  }

  @Get(':id')
  @RequirePermissions('inventory:read')
  @ApiRoute({ summary: 'One subnet', type: SubnetResponse })
  get(@CurrentActor() actor: ActorDto, @Param() params: InventoryIdParamsDto): Promise<SubnetDto> {
    return this.rpc.send(Subjects.clustering.subnetsGet, { actor, id: params.id });
  }

  @Patch(':id')
  @RequirePermissions('inventory:write')
  @ApiRoute({ summary: 'Change a subnet', description: '`null` clears a field.', type: SubnetResponse })
  update(@CurrentActor() actor: ActorDto, @Param() params: InventoryIdParamsDto, @Body() body: UpdateSubnetBodyDto): Promise<SubnetDto> {
    return this.rpc.send(Subjects.clustering.subnetsUpdate, { actor, ...body, id: params.id });
  }

  @Delete(':id')
  @RequirePermissions('inventory:write')
  @ApiRoute({ summary: 'Delete a subnet', type: SubnetResponse })
  remove(@CurrentActor() actor: ActorDto, @Param() params: InventoryIdParamsDto): Promise<SubnetDto> {
    return this.rpc.send(Subjects.clustering.subnetsDelete, { actor, id: params.id });
  }
}
