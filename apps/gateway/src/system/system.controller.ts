import { Controller, Get } from '@nestjs/common';
import type { SystemStatusResponse } from '@clarion/contracts';
import { ApiTags } from '@nestjs/swagger';
import { SystemStatusResponseModel } from '../auth/auth-responses.dto';
import { Public } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { SystemService } from './system.service';

@ApiTags('system')
@Controller('api/v1/system')
export class SystemController {
  constructor(private readonly system: SystemService) {}

  /**
   * Public like a status page: it names services, versions and readiness, never tenant data or addresses.
   */
  @Public()
  @Get('status')
  @ApiRoute({ summary: 'Status of every service (a status page: no tenant data)', type: SystemStatusResponseModel })
  status(): Promise<SystemStatusResponse> {
    return this.system.status();
  }
}
