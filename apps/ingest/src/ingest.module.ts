import { Module } from '@nestjs/common';
import { FlowStreamSetup } from '@clarion/platform';
import { ExporterAdminService } from './exporters/exporter-admin.service';
import { ExporterQueryService } from './exporters/exporter-query.service';
import { ExportersController } from './exporters/exporters.controller';
import { FlowQueryService } from './flows/flow-query.service';
import { FlowsController } from './flows/flows.controller';
import { IngestPipeline } from './ingest-pipeline';
import { SystemController } from './system/system.controller';

/** The ingest service: the NetFlow v5/v9/IPFIX and sFlow collector, its flow storage, the flow query and its exporter registry and registrations. */
@Module({
  controllers: [SystemController, ExportersController, FlowsController],
  providers: [FlowStreamSetup, IngestPipeline, ExporterQueryService, ExporterAdminService, FlowQueryService],
})
export class IngestModule {}
