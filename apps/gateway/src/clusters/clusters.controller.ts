import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Subjects, type ActorDto, type ClusterDto, type EndpointDto, type Page } from '@clarion/contracts';
import { JsonText, RpcClient } from '@clarion/messaging';
import { EndpointPage } from '../endpoints/endpoints-http.dto';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { ClusterIdParamsDto, ClusterMembersQueryDto, ClusterPage, ClusterResponse, ListClustersQueryDto } from './clusters-http.dto';
import { HotRead } from '../cache/hot-read.decorator';

/** Groups of endpoints that behave alike, with their labels and SGTs; forwarded to the clustering service. */
@ApiTags('clusters')
@Controller('api/v1/clusters')
export class ClustersController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @HotRead()
  @RequirePermissions('clusters:read')
  @ApiRoute({ summary: "List the tenant's clusters", description: 'Retired clusters only when `includeRetired` is true.', type: ClusterPage })
  list(@CurrentActor() actor: ActorDto, @Query() query: ListClustersQueryDto): Promise<Page<ClusterDto>> {
    return this.rpc.send(Subjects.clustering.clustersList, { actor, ...query });
  }

  @Get(':id')
  @HotRead()
  @RequirePermissions('clusters:read')
  @ApiRoute({ summary: 'One cluster', description: 'Its label and explanation, quality, SGT and top services.', type: ClusterResponse })
  get(@CurrentActor() actor: ActorDto, @Param() params: ClusterIdParamsDto): Promise<ClusterDto> {
    return this.rpc.send(Subjects.clustering.clustersGet, { actor, id: params.id });
  }

  @Get(':id/members')
  @RequirePermissions('clusters:read', 'endpoints:read')
  @ApiRoute({ summary: "A cluster's members", description: 'The endpoints of the cluster, as the endpoint list shows them.', type: EndpointPage })
  members(@CurrentActor() actor: ActorDto, @Param() params: ClusterIdParamsDto, @Query() query: ClusterMembersQueryDto): Promise<JsonText<Page<EndpointDto>>> {
    // Passed on as the clustering service wrote it (JsonTextInterceptor).
    return this.rpc.send(Subjects.clustering.endpointsList, { actor, clusterId: params.id, ...query }, { jsonText: true });
  }
}
