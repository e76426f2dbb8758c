import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { IdentityImportRequestDto, Subjects, type IdentityImportResultDto } from '@clarion/contracts';
import { IdentityImportService } from './identity-import.service';

/** Identity import over NATS. */
@Controller()
export class IdentityController {
  constructor(private readonly identity: IdentityImportService) {}

  @MessagePattern(Subjects.clustering.identityImport)
  import(@Payload() request: IdentityImportRequestDto): Promise<IdentityImportResultDto> {
    return this.identity.import(request);
  }
}
