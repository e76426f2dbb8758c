import { Body, Controller, Delete, Get, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Subjects, type ActorDto, type ExporterDto, type InventoryExportDto, type InventoryImportResultDto, type Page } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import type { FastifyReply } from 'fastify';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { InventoryExportQueryDto, InventoryImportBodyDto, InventoryImportQueryDto, InventoryImportResponse } from '../inventory/inventory-http.dto';
import { ExportAnswer, ImportBody, sendExport } from '../inventory/inventory-routes';
import { ExporterAddressParamsDto, ExporterPage, ExporterResponse, ListExportersQueryDto, RegisterExporterBodyDto, UpdateExporterBodyDto } from './exporters-http.dto';

/** The devices exporting flows to the tenant, and their registrations; forwarded to the ingest service over NATS. */
@ApiTags('exporters')
@Controller('api/v1/exporters')
export class ExportersController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @RequirePermissions('exporters:read')
  @ApiRoute({ summary: "List the tenant's exporters", description: 'Registered and seen ones, in address order, `limit` per page.', type: ExporterPage })
  list(@CurrentActor() actor: ActorDto, @Query() query: ListExportersQueryDto): Promise<Page<ExporterDto>> {
    return this.rpc.send(Subjects.ingest.exportersList, { actor, ...query });
  }

  @Post()
  @RequirePermissions('exporters:write')
  @ApiRoute({
    summary: 'Register an exporter',
    description: 'Its flows go to the tenant from the next packet (every ingest instance applies it within a second). 409 when another tenant registered the address or the configuration gives it to another tenant; registering again updates.',
    status: 201,
    type: ExporterResponse,
  })
  register(@CurrentActor() actor: ActorDto, @Body() body: RegisterExporterBodyDto): Promise<ExporterDto> {
    return this.rpc.send(Subjects.ingest.exportersRegister, { actor, ...body });
  }

  @Post('import')
  @RequirePermissions('exporters:write')
  @ImportBody()
  @ApiRoute({
    summary: 'Import exporter registrations (CSV or JSON)',
    description: 'Columns `address,name,site_id,sampling_override,enabled`. Upserts by address, all or nothing, a reason per rejected line.',
    type: InventoryImportResponse,
  })
  import(@CurrentActor() actor: ActorDto, @Body() body: InventoryImportBodyDto, @Query() query: InventoryImportQueryDto): Promise<InventoryImportResultDto> {
    return this.rpc.send(Subjects.ingest.exportersImport, { actor, format: body.format, content: body.content, dryRun: body.dryRun ?? query.dryRun ?? false });
  }

  @Get('export')
  @RequirePermissions('exporters:read')
  @ExportAnswer()
  @ApiRoute({ summary: 'Export the exporter registrations (CSV or JSON)' })
  async export(@CurrentActor() actor: ActorDto, @Query() query: InventoryExportQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    return sendExport(reply, await this.rpc.send<InventoryExportDto>(Subjects.ingest.exportersExport, { actor, format: query.format ?? 'csv' }));
  }

  @Get(':address')
  @RequirePermissions('exporters:read')
  @ApiRoute({ summary: 'One exporter', description: 'Counters, decode errors, sampling, per-domain template state and its registration.', type: ExporterResponse })
  get(@CurrentActor() actor: ActorDto, @Param() params: ExporterAddressParamsDto): Promise<ExporterDto> {
    return this.rpc.send(Subjects.ingest.exportersGet, { actor, address: params.address });
  }

  @Patch(':address')
  @RequirePermissions('exporters:write')
  @ApiRoute({ summary: 'Change a registered exporter', description: 'Rename it, assign it to a site, set its sampling override, disable or enable it; `null` clears.', type: ExporterResponse })
  update(@CurrentActor() actor: ActorDto, @Param() params: ExporterAddressParamsDto, @Body() body: UpdateExporterBodyDto): Promise<ExporterDto> {
    return this.rpc.send(Subjects.ingest.exportersUpdate, { actor, ...body, address: params.address });
  }

  @Delete(':address')
  @RequirePermissions('exporters:write')
  @ApiRoute({ summary: 'Unregister an exporter', description: 'Its counters stay when it sent flows; its routing falls back to the configuration.', type: ExporterResponse })
  unregister(@CurrentActor() actor: ActorDto, @Param() params: ExporterAddressParamsDto): Promise<ExporterDto> {
    return this.rpc.send(Subjects.ingest.exportersUnregister, { actor, address: params.address });
  }
}
