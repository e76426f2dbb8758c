import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { DomainException, ErrorCode, QueryFlowsRequestDto, Subjects, type FlowDto, type Page } from '@clarion/contracts';
import { FlowQueryService } from './flow-query.service';

/** Stored flows over NATS; the tenant comes from the verified actor the gateway forwards. */
@Controller()
export class FlowsController {
  constructor(private readonly flows: FlowQueryService) {}

  @MessagePattern(Subjects.ingest.flowsQuery)
  query(@Payload() request: QueryFlowsRequestDto): Promise<Page<FlowDto>> {
    if (!request.actor.permissions.includes('flows:read')) throw new DomainException(ErrorCode.Forbidden, 'requires the flows:read permission');
    return this.flows.query(request);
  }
}
