import { Module } from '@nestjs/common';
import { FlowStreamSetup } from '@clarion/platform';
import { JobsModule } from './jobs/jobs.module';
import { ProfilesModule } from './profiles/profiles.module';
import { QueryModule } from './query/query.module';
import { SystemController } from './system/system.controller';

/** The clustering service: endpoint profiles, clusters, SGTs and policy. */
@Module({
  imports: [ProfilesModule, JobsModule, QueryModule],
  controllers: [SystemController],
  providers: [FlowStreamSetup],
})
export class ClusteringModule {}
