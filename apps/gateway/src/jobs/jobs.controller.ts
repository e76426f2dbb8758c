import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Subjects, type ActorDto, type ClusteringJobDto, type Page } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { ClusteringJobPage, ClusteringJobResponse, JobIdParamsDto, ListJobsQueryDto } from './jobs-http.dto';

/** Full re-clustering jobs; forwarded to the clustering service. */
@ApiTags('clustering')
@Controller('api/v1/clustering/jobs')
export class ClusteringJobsController {
  constructor(private readonly rpc: RpcClient) {}

  // 202 by hand: ApiRoute's statuses are the synchronous ones.
  @Post()
  @RequirePermissions('jobs:run')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Start a full re-clustering',
    description: 'Queues the job and answers at once; answers the job already queued or running if there is one. Follow it with GET .../jobs/{id}.',
  })
  @ApiResponse({ status: 202, description: 'The job, queued or already running.', type: ClusteringJobResponse })
  run(@CurrentActor() actor: ActorDto): Promise<ClusteringJobDto> {
    return this.rpc.send(Subjects.clustering.jobsRun, { actor });
  }

  @Get()
  @RequirePermissions('clusters:read')
  @ApiRoute({ summary: 'List clustering jobs', description: 'Newest first.', type: ClusteringJobPage })
  list(@CurrentActor() actor: ActorDto, @Query() query: ListJobsQueryDto): Promise<Page<ClusteringJobDto>> {
    return this.rpc.send(Subjects.clustering.jobsList, { actor, ...query });
  }

  @Get(':id')
  @RequirePermissions('clusters:read')
  @ApiRoute({ summary: 'One clustering job', description: 'Status, stage and progress while it runs; counts and duration when done.', type: ClusteringJobResponse })
  get(@CurrentActor() actor: ActorDto, @Param() params: JobIdParamsDto): Promise<ClusteringJobDto> {
    return this.rpc.send(Subjects.clustering.jobsGet, { actor, id: params.id });
  }
}
