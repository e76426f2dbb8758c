import { Body, Controller, Get, Param, Put, UseInterceptors } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import type { ActorDto, FeatureFlagDto } from '@clarion/contracts';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { EtagInterceptor } from '../http/etag.interceptor';
import { onePage } from '../http/page.dto';
import { FeatureFlagService } from './feature-flag.service';
import { FeatureFlagPage, FeatureFlagResponse, FlagKeyParamsDto, SetFlagBodyDto } from './flags-http.dto';

/** The caller's tenant's feature flags. */
@ApiTags('flags')
@Controller('api/v1/flags')
export class FlagsController {
  constructor(private readonly flags: FeatureFlagService) {}

  @Get()
  @RequirePermissions('flags:read')
  @UseInterceptors(EtagInterceptor)
  @ApiResponse({ status: 304, description: 'Not modified: the If-None-Match tag is current.' })
  @ApiRoute({ summary: "The tenant's feature flags", description: 'Every known flag, with its default when never set. Sends an ETag; If-None-Match answers 304.', type: FeatureFlagPage })
  async list(@CurrentActor() actor: ActorDto): Promise<{ items: FeatureFlagDto[]; nextCursor: null }> {
    return onePage(await this.flags.list(actor.tenantId));
  }

  @Put(':key')
  @RequirePermissions('flags:manage')
  @ApiRoute({ summary: 'Switch a feature flag', description: 'Takes effect on every gateway instance at once.', type: FeatureFlagResponse })
  set(@CurrentActor() actor: ActorDto, @Param() params: FlagKeyParamsDto, @Body() body: SetFlagBodyDto): Promise<FeatureFlagDto> {
    return this.flags.set(actor.tenantId, params.key, body.enabled);
  }
}
