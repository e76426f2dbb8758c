import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  DomainException,
  ErrorCode,
  GetExporterRequestDto,
  ListExportersRequestDto,
  Subjects,
  type ActorDto,
  type ExporterDto,
  type Page,
} from '@clarion/contracts';
import { ExporterQueryService } from './exporter-query.service';

function requireExportersRead(actor: ActorDto): void {
  if (!actor.permissions.includes('exporters:read')) throw new DomainException(ErrorCode.Forbidden, 'requires the exporters:read permission');
}

/** The exporter registry over NATS; the tenant comes from the verified actor the gateway forwards. */
@Controller()
export class ExportersController {
  constructor(private readonly exporters: ExporterQueryService) {}

  @MessagePattern(Subjects.ingest.exportersList)
  list(@Payload() request: ListExportersRequestDto): Promise<Page<ExporterDto>> {
    requireExportersRead(request.actor);
    return this.exporters.list(request);
  }

  @MessagePattern(Subjects.ingest.exportersGet)
  get(@Payload() request: GetExporterRequestDto): Promise<ExporterDto> {
    requireExportersRead(request.actor);
    return this.exporters.get(request);
  }
}
