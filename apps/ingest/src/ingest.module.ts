import { Module } from '@nestjs/common';
import { FlowStreamSetup } from '@clarion/platform';
import { SystemController } from './system/system.controller';

/** The ingest service: the NetFlow v5/v9/IPFIX collector. */
@Module({
  controllers: [SystemController],
  providers: [FlowStreamSetup],
})
export class IngestModule {}
