import { Module } from '@nestjs/common';

/** Full re-clustering jobs: scheduling, the worker thread, persisting runs, the jobs RPC. */
@Module({})
export class JobsModule {}
