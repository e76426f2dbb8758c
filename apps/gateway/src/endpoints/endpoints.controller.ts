import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Subjects, type ActorDto, type EndpointDto, type MembershipEventDto, type Page } from '@clarion/contracts';
import { JsonText, RpcClient } from '@clarion/messaging';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { ClusteringPageQueryDto, EndpointIdParamsDto, EndpointPage, EndpointResponse, ListEndpointsQueryDto, MembershipEventPage } from './endpoints-http.dto';
import { HotRead } from '../cache/hot-read.decorator';

/** Endpoints (a MAC, else an IP address) with their behaviour, cluster and SGT; forwarded to the clustering service. */
@ApiTags('endpoints')
@Controller('api/v1/endpoints')
export class EndpointsController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @RequirePermissions('endpoints:read')
  @ApiRoute({ summary: "List the tenant's endpoints", description: 'Filters combine with AND; `sort` and `order` choose the order of the pages.', type: EndpointPage })
  list(@CurrentActor() actor: ActorDto, @Query() query: ListEndpointsQueryDto): Promise<JsonText<Page<EndpointDto>>> {
    // Passed on as the clustering service wrote it (JsonTextInterceptor).
    return this.rpc.send(Subjects.clustering.endpointsList, { actor, ...query }, { jsonText: true });
  }

  @Get(':id')
  @HotRead()
  @RequirePermissions('endpoints:read')
  @ApiRoute({ summary: 'One endpoint', description: 'Its behaviour summary, cluster, effective SGT and confidence, override and imported identity.', type: EndpointResponse })
  get(@CurrentActor() actor: ActorDto, @Param() params: EndpointIdParamsDto): Promise<EndpointDto> {
    return this.rpc.send(Subjects.clustering.endpointsGet, { actor, id: params.id });
  }

  @Get(':id/history')
  @RequirePermissions('endpoints:read')
  @ApiRoute({ summary: "An endpoint's membership history", description: 'Cluster and SGT changes, newest first: runs, assignments, overrides.', type: MembershipEventPage })
  history(@CurrentActor() actor: ActorDto, @Param() params: EndpointIdParamsDto, @Query() query: ClusteringPageQueryDto): Promise<Page<MembershipEventDto>> {
    return this.rpc.send(Subjects.clustering.membershipHistory, { actor, endpoint: params.id, ...query });
  }
}
