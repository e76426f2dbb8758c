import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { GetEndpointRequestDto, ListEndpointsRequestDto, Subjects, type EndpointDto, type Page } from '@clarion/contracts';
import { JsonText } from '@clarion/messaging';
import { EndpointQueryService } from './endpoint-query.service';

/** Endpoints over NATS; the tenant and the permission check come from the verified actor (in the service). */
@Controller()
export class EndpointsController {
  constructor(private readonly endpoints: EndpointQueryService) {}

  @MessagePattern(Subjects.clustering.endpointsList)
  list(@Payload() request: ListEndpointsRequestDto): Promise<JsonText<Page<EndpointDto>>> {
    // JSON text from PostgreSQL; the gateway forwards it to its client without parsing it.
    return this.endpoints.list(request);
  }

  @MessagePattern(Subjects.clustering.endpointsGet)
  get(@Payload() request: GetEndpointRequestDto): Promise<EndpointDto> {
    return this.endpoints.get(request);
  }
}
