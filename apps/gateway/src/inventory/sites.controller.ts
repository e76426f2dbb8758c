import { Body, Controller, Delete, Get, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Subjects, type ActorDto, type InventoryExportDto, type InventoryImportResultDto, type Page, type SiteDto } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import type { FastifyReply } from 'fastify';
import { ClusteringPageQueryDto } from '../endpoints/endpoints-http.dto';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { CreateSiteBodyDto, InventoryExportQueryDto, InventoryIdParamsDto, InventoryImportBodyDto, InventoryImportQueryDto, InventoryImportResponse, SitePage, SiteResponse, UpdateSiteBodyDto } from './inventory-http.dto';
import { ExportAnswer, ImportBody, sendExport } from './inventory-routes';

/** The tenant's sites (campus, branch, building, closet); forwarded to the clustering service. */
@ApiTags('inventory')
@Controller('api/v1/sites')
export class SitesController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @RequirePermissions('inventory:read')
  @ApiRoute({ summary: "List the tenant's sites", description: 'By name, `limit` per page.', type: SitePage })
  list(@CurrentActor() actor: ActorDto, @Query() query: ClusteringPageQueryDto): Promise<Page<SiteDto>> {
    return this.rpc.send(Subjects.clustering.sitesList, { actor, ...query });
  }

  @Post()
  @RequirePermissions('inventory:write')
  @ApiRoute({ summary: 'Add a site', description: '409 when the name is taken or the parent cannot hold a site of this kind.', status: 201, type: SiteResponse })
  create(@CurrentActor() actor: ActorDto, @Body() body: CreateSiteBodyDto): Promise<SiteDto> {
    return this.rpc.send(Subjects.clustering.sitesCreate, { actor, ...body });
  }

  @Post('import')
  @RequirePermissions('inventory:write')
  @ImportBody()
  @ApiRoute({
    summary: 'Import sites (CSV or JSON)',
    description: 'Columns `name,kind,parent,time_zone,description` (`parent` by name; columns left out keep stored values). Upserts by name, all or nothing, a reason per rejected line.',
    type: InventoryImportResponse,
  })
  import(@CurrentActor() actor: ActorDto, @Body() body: InventoryImportBodyDto, @Query() query: InventoryImportQueryDto): Promise<InventoryImportResultDto> {
    return this.rpc.send(Subjects.clustering.inventoryImport, { actor, kind: 'sites', format: body.format, content: body.content, dryRun: body.dryRun ?? query.dryRun ?? false });
  }

  @Get('export')
  @RequirePermissions('inventory:read')
  @ExportAnswer()
  @ApiRoute({ summary: 'Export every site (CSV or JSON)', description: 'Parents first; the import takes the file back unchanged.' })
  async export(@CurrentActor() actor: ActorDto, @Query() query: InventoryExportQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    return sendExport(reply, await this.rpc.send<InventoryExportDto>(Subjects.clustering.inventoryExport, { actor, kind: 'sites', format: query.format ?? 'csv' }));
  }

  @Get(':id')
  @RequirePermissions('inventory:read')
  @ApiRoute({ summary: 'One site', type: SiteResponse })
  get(@CurrentActor() actor: ActorDto, @Param() params: InventoryIdParamsDto): Promise<SiteDto> {
    return this.rpc.send(Subjects.clustering.sitesGet, { actor, id: params.id });
  }

  @Patch(':id')
  @RequirePermissions('inventory:write')
  @ApiRoute({ summary: 'Rename, move or retype a site', description: '`null` clears a field; 409 when the hierarchy would not hold.', type: SiteResponse })
  update(@CurrentActor() actor: ActorDto, @Param() params: InventoryIdParamsDto, @Body() body: UpdateSiteBodyDto): Promise<SiteDto> {
    return this.rpc.send(Subjects.clustering.sitesUpdate, { actor, ...body, id: params.id });
  }

  @Delete(':id')
  @RequirePermissions('inventory:write')
  @ApiRoute({ summary: 'Delete a site', description: '409 while sites, subnets or exporters are in it.', type: SiteResponse })
  remove(@CurrentActor() actor: ActorDto, @Param() params: InventoryIdParamsDto): Promise<SiteDto> {
    return this.rpc.send(Subjects.clustering.sitesDelete, { actor, id: params.id });
  }
}
