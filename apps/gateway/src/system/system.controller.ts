import { Controller, Get } from '@nestjs/common';
import type { SystemServicesResponse, SystemStatusResponse } from '@clarion/contracts';
import { ApiTags } from '@nestjs/swagger';
import { SystemServicesResponseModel, SystemStatusResponseModel } from '../auth/auth-responses.dto';
import { Public, RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { SystemService } from './system.service';

@ApiTags('system')
@Controller('api/v1/system')
export class SystemController {
  constructor(private readonly system: SystemService) {}

  /**
   * Public like a status page, so it says only whether everything is ready: which services run, their versions,
   * instances and dependencies are a map for an attacker and need `system:read` (below).
   */
  @Public()
  @Get('status')
  @ApiRoute({ summary: 'Whether every service is ready (a status page: the overall state only)', type: SystemStatusResponseModel })
  status(): Promise<SystemStatusResponse> {
    return this.system.status();
  }

  @Get('services')
  @RequirePermissions('system:read')
  @ApiRoute({
    summary: 'Status of every service',
    description: "Each service's version, instance, uptime, readiness and dependency checks, as it answered over NATS, or why it did not.",
    type: SystemServicesResponseModel,
  })
  services(): Promise<SystemServicesResponse> {
    return this.system.services();
  }
}
