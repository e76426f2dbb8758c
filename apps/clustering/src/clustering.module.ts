import { Module } from '@nestjs/common';
import { FlowStreamSetup } from '@clarion/platform';
import { InventoryModule } from './inventory/inventory.module';
import { JobsModule } from './jobs/jobs.module';
import { ProfilesModule } from './profiles/profiles.module';
import { QueryModule } from './query/query.module';
import { SystemController } from './system/system.controller';

/** The clustering service: endpoint profiles, clusters, SGTs, policy and the network inventory. */
@Module({
  imports: [ProfilesModule, JobsModule, QueryModule, InventoryModule],
  controllers: [SystemController],
  providers: [FlowStreamSetup],
})
export class ClusteringModule {}
