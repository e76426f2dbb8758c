import { Module } from '@nestjs/common';
import { FlowStreamSetup } from '@clarion/platform';
import { SystemController } from './system/system.controller';

/** The clustering service: endpoint profiles, clusters, SGTs and policy. */
@Module({
  controllers: [SystemController],
  providers: [FlowStreamSetup],
})
export class ClusteringModule {}
