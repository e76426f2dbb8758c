import { Module } from '@nestjs/common';
import { ProfilesService } from './profiles.service';

/** Flow-batch consumption: endpoint profiles, edges and incremental assignment. */
@Module({
  providers: [ProfilesService],
})
export class ProfilesModule {}
