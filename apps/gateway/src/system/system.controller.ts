import { Controller, Get } from '@nestjs/common';
import type { SystemStatusResponse } from '@clarion/contracts';
import { Public } from '../http/access.decorators';
import { SystemService } from './system.service';

@Controller('api/v1/system')
export class SystemController {
  constructor(private readonly system: SystemService) {}

  /**
   * Public like a status page: it names services, versions and readiness, never tenant data or addresses.
   */
  @Public()
  @Get('status')
  status(): Promise<SystemStatusResponse> {
    return this.system.status();
  }
}
