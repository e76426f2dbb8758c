import { Module } from '@nestjs/common';

/** Flow-batch consumption: endpoint profiles, edges and incremental assignment. */
@Module({})
export class ProfilesModule {}
