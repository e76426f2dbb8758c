import { Body, Controller, Post, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Subjects, type ActorDto, type MembershipChangeResultDto } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { AssignMembershipBodyDto, ClearMembershipBodyDto, MembershipChangeResponse } from './clusters-http.dto';
import { InvalidateHotReadsInterceptor } from '../cache/invalidate-hot-reads.interceptor';

/** Manual SGT overrides of endpoints (they win over clustering and survive re-runs); forwarded to the clustering service. */
@ApiTags('membership')
@Controller('api/v1/membership')
export class MembershipController {
  constructor(private readonly rpc: RpcClient) {}

  @Post('assign')
  @UseInterceptors(InvalidateHotReadsInterceptor)
  @RequirePermissions('clusters:write')
  @ApiRoute({ summary: 'Give endpoints an SGT by hand', description: 'Overrides the cluster\'s SGT for each endpoint until cleared. 404 for an unregistered SGT.', type: MembershipChangeResponse })
  assign(@CurrentActor() actor: ActorDto, @Body() body: AssignMembershipBodyDto): Promise<MembershipChangeResultDto> {
    return this.rpc.send(Subjects.clustering.membershipAssign, { actor, ...body });
  }

  @Post('clear')
  @UseInterceptors(InvalidateHotReadsInterceptor)
  @RequirePermissions('clusters:write')
  @ApiRoute({ summary: 'Clear manual SGTs', description: "The cluster's SGT applies again to each endpoint.", type: MembershipChangeResponse })
  clear(@CurrentActor() actor: ActorDto, @Body() body: ClearMembershipBodyDto): Promise<MembershipChangeResultDto> {
    return this.rpc.send(Subjects.clustering.membershipClear, { actor, endpoints: body.endpoints });
  }
}
