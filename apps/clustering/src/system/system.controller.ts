import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Subjects, type ServiceStatusResponseDto } from '@clarion/contracts';
import { ServiceStatusService } from '@clarion/platform';

@Controller()
export class SystemController {
  constructor(private readonly status: ServiceStatusService) {}

  @MessagePattern(Subjects.clustering.status)
  describe(): Promise<ServiceStatusResponseDto> {
    return this.status.describe();
  }
}
