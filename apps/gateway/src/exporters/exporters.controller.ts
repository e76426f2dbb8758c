import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Subjects, type ActorDto, type ExporterDto, type Page } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { ExporterAddressParamsDto, ExporterPage, ExporterResponse, ListExportersQueryDto } from './exporters-http.dto';

/** The devices exporting flows to the tenant; forwarded to the ingest service over NATS. */
@ApiTags('exporters')
@Controller('api/v1/exporters')
export class ExportersController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @RequirePermissions('exporters:read')
  @ApiRoute({ summary: "List the tenant's exporters", description: 'In address order, `limit` per page.', type: ExporterPage })
  list(@CurrentActor() actor: ActorDto, @Query() query: ListExportersQueryDto): Promise<Page<ExporterDto>> {
    return this.rpc.send(Subjects.ingest.exportersList, { actor, ...query });
  }

  @Get(':address')
  @RequirePermissions('exporters:read')
  @ApiRoute({ summary: 'One exporter', description: 'Counters, decode errors, sampling and per-domain template state.', type: ExporterResponse })
  get(@CurrentActor() actor: ActorDto, @Param() params: ExporterAddressParamsDto): Promise<ExporterDto> {
    return this.rpc.send(Subjects.ingest.exportersGet, { actor, address: params.address });
  }
}
