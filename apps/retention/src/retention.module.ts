import { Module } from '@nestjs/common';
import { ServiceMetrics } from '@clarion/observability';
import { FlowRetentionService } from './flows/flow-retention.service';
import { RetentionMetrics } from './flows/retention-metrics';
import { SystemController } from './system/system.controller';

/** The retention service: the data lifecycle (flows expired past their retention, the store's size reported). */
@Module({
  controllers: [SystemController],
  providers: [
    { provide: RetentionMetrics, useFactory: (metrics: ServiceMetrics) => new RetentionMetrics(metrics.registry), inject: [ServiceMetrics] },
    FlowRetentionService,
  ],
})
export class RetentionModule {}
