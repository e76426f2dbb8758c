import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  ImpactRequestDto,
  PolicyMatrixRequestDto,
  SgaclExportRequestDto,
  Subjects,
  type ImpactReportDto,
  type PolicyMatrixDto,
  type SgaclExportDto,
} from '@clarion/contracts';
import { PolicyService } from './policy.service';

/** Policy matrix, SGACL export and impact analysis over NATS. */
@Controller()
export class PolicyController {
  constructor(private readonly policy: PolicyService) {}

  @MessagePattern(Subjects.clustering.policyMatrix)
  matrix(@Payload() request: PolicyMatrixRequestDto): Promise<PolicyMatrixDto> {
    return this.policy.matrix(request);
  }

  @MessagePattern(Subjects.clustering.policySgacl)
  sgacl(@Payload() request: SgaclExportRequestDto): Promise<SgaclExportDto> {
    return this.policy.sgacl(request);
  }

  @MessagePattern(Subjects.clustering.policyImpact)
  impact(@Payload() request: ImpactRequestDto): Promise<ImpactReportDto> {
    return this.policy.impact(request);
  }
}
