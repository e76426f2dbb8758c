import { Body, Controller, Delete, Get, Param, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Subjects, type ActorDto, type Page, type SgtDto } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import { ClusteringPageQueryDto } from '../endpoints/endpoints-http.dto';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { CreateSgtBodyDto, SgtPage, SgtResponse, SgtValueParamsDto, UpdateSgtBodyDto } from './sgts-http.dto';
import { InvalidateHotReadsInterceptor } from '../cache/invalidate-hot-reads.interceptor';

/** The tenant's SGT registry (TrustSec security group tags); forwarded to the clustering service. */
@ApiTags('sgts')
@Controller('api/v1/sgts')
export class SgtsController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @RequirePermissions('sgts:read')
  @ApiRoute({ summary: "List the tenant's SGTs", description: 'In value order, with the number of endpoints carrying each.', type: SgtPage })
  list(@CurrentActor() actor: ActorDto, @Query() query: ClusteringPageQueryDto): Promise<Page<SgtDto>> {
    return this.rpc.send(Subjects.clustering.sgtsList, { actor, ...query });
  }

  @Get(':value')
  @RequirePermissions('sgts:read')
  @ApiRoute({ summary: 'One SGT', type: SgtResponse })
  get(@CurrentActor() actor: ActorDto, @Param() params: SgtValueParamsDto): Promise<SgtDto> {
    return this.rpc.send(Subjects.clustering.sgtsGet, { actor, value: params.value });
  }

  @Post()
  @UseInterceptors(InvalidateHotReadsInterceptor)
  @RequirePermissions('sgts:write')
  @ApiRoute({ summary: 'Register an SGT', description: '409 when the value or name is taken.', status: 201, type: SgtResponse })
  create(@CurrentActor() actor: ActorDto, @Body() body: CreateSgtBodyDto): Promise<SgtDto> {
    return this.rpc.send(Subjects.clustering.sgtsCreate, { actor, ...body });
  }

  @Patch(':value')
  @UseInterceptors(InvalidateHotReadsInterceptor)
  @RequirePermissions('sgts:write')
  @ApiRoute({ summary: 'Rename, describe or (un)bind an SGT', description: '`clusterId: null` unbinds it from its cluster.', type: SgtResponse })
  update(@CurrentActor() actor: ActorDto, @Param() params: SgtValueParamsDto, @Body() body: UpdateSgtBodyDto): Promise<SgtDto> {
    return this.rpc.send(Subjects.clustering.sgtsUpdate, { actor, ...body, value: params.value });
  }

  @Delete(':value')
  @UseInterceptors(InvalidateHotReadsInterceptor)
  @RequirePermissions('sgts:write')
  @ApiRoute({ summary: 'Delete an SGT', description: '409 while endpoints carry it as a manual override.', type: SgtResponse })
  remove(@CurrentActor() actor: ActorDto, @Param() params: SgtValueParamsDto): Promise<SgtDto> {
    return this.rpc.send(Subjects.clustering.sgtsDelete, { actor, value: params.value });
  }
}
