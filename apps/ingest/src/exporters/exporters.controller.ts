import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  DomainException,
  ErrorCode,
  ExporterExportRequestDto,
  ExporterImportRequestDto,
  GetExporterRequestDto,
  ListExportersRequestDto,
  RegisterExporterRequestDto,
  Subjects,
  UnregisterExporterRequestDto,
  UpdateExporterRequestDto,
  type ActorDto,
  type ExporterDto,
  type InventoryExportDto,
  type InventoryImportResultDto,
  type Page,
} from '@clarion/contracts';
import { ExporterAdminService } from './exporter-admin.service';
import { ExporterQueryService } from './exporter-query.service';

function requireExportersRead(actor: ActorDto): void {
  if (!actor.permissions.includes('exporters:read')) throw new DomainException(ErrorCode.Forbidden, 'requires the exporters:read permission');
}

/** The exporter registry over NATS; the tenant comes from the verified actor the gateway forwards. */
@Controller()
export class ExportersController {
  constructor(
    private readonly exporters: ExporterQueryService,
    private readonly admin: ExporterAdminService,
  ) {}

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

  @MessagePattern(Subjects.ingest.exportersRegister)
  register(@Payload() request: RegisterExporterRequestDto): Promise<ExporterDto> {
    return this.admin.register(request);
  }

  @MessagePattern(Subjects.ingest.exportersUpdate)
  update(@Payload() request: UpdateExporterRequestDto): Promise<ExporterDto> {
    return this.admin.update(request);
  }

  /** Answers the exporter as it was registered. */
  @MessagePattern(Subjects.ingest.exportersUnregister)
  unregister(@Payload() request: UnregisterExporterRequestDto): Promise<ExporterDto> {
    return this.admin.unregister(request);
  }

  @MessagePattern(Subjects.ingest.exportersImport)
  import(@Payload() request: ExporterImportRequestDto): Promise<InventoryImportResultDto> {
    return this.admin.import(request);
  }

  @MessagePattern(Subjects.ingest.exportersExport)
  export(@Payload() request: ExporterExportRequestDto): Promise<InventoryExportDto> {
    return this.admin.export(request);
  }
}
