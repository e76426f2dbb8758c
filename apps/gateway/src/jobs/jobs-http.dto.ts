import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { JOB_STATUSES, type ClusteringJobDto, type ClusteringJobStatus, type ClusteringJobTrigger } from '@clarion/contracts';
import { ClusteringPageQueryDto } from '../endpoints/endpoints-http.dto';
import { PageOf } from '../http/page.dto';

export class ListJobsQueryDto extends ClusteringPageQueryDto {
  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptional()
  @IsIn(JOB_STATUSES)
  status?: ClusteringJobStatus;
}

export class JobIdParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id: string;
}

export class ClusteringJobResponse implements ClusteringJobDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: ['request', 'schedule', 'threshold', 'initial'] })
  trigger: ClusteringJobTrigger;

  @ApiProperty({ enum: JOB_STATUSES })
  status: ClusteringJobStatus;

  @ApiProperty({ type: 'string', nullable: true, description: 'Current stage while running (features, scaling, ..., persist).' })
  stage: string | null;

  @ApiProperty({ minimum: 0, maximum: 1 })
  progress: number;

  @ApiProperty({ type: 'integer', nullable: true })
  endpoints: number | null;

  @ApiProperty({ type: 'integer', nullable: true })
  clusters: number | null;

  @ApiProperty({ type: 'number', nullable: true })
  noiseRate: number | null;

  @ApiProperty({ type: 'string', nullable: true })
  error: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  requestedBy: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  startedAt: string | null;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  finishedAt: string | null;

  @ApiProperty({ type: 'integer', nullable: true })
  durationMs: number | null;
}

export class ClusteringJobPage extends PageOf(ClusteringJobResponse) {}
