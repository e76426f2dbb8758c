import { Module } from '@nestjs/common';
import { SystemController } from './system/system.controller';

/** The retention service: the data lifecycle (partitions, purging, archival). */
@Module({
  controllers: [SystemController],
})
export class RetentionModule {}
