import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  DomainException,
  ErrorCode,
  GetClusteringJobRequestDto,
  ListClusteringJobsRequestDto,
  RunClusteringJobRequestDto,
  Subjects,
  type ActorDto,
  type ClusteringJobDto,
  type Page,
  type Permission,
} from '@clarion/contracts';
import { ClusteringJobsService } from './clustering-jobs.service';

function requirePermission(actor: ActorDto, permission: Permission): void {
  if (!actor.permissions.includes(permission)) throw new DomainException(ErrorCode.Forbidden, `requires the ${permission} permission`);
}

/** Full re-clustering jobs over NATS; the tenant comes from the verified actor the gateway forwards. */
@Controller()
export class ClusteringJobsController {
  constructor(private readonly jobs: ClusteringJobsService) {}

  @MessagePattern(Subjects.clustering.jobsRun)
  run(@Payload() request: RunClusteringJobRequestDto): Promise<ClusteringJobDto> {
    requirePermission(request.actor, 'jobs:run');
    return this.jobs.run(request);
  }

  @MessagePattern(Subjects.clustering.jobsList)
  list(@Payload() request: ListClusteringJobsRequestDto): Promise<Page<ClusteringJobDto>> {
    requirePermission(request.actor, 'clusters:read');
    return this.jobs.list(request);
  }

  @MessagePattern(Subjects.clustering.jobsGet)
  get(@Payload() request: GetClusteringJobRequestDto): Promise<ClusteringJobDto> {
    requirePermission(request.actor, 'clusters:read');
    return this.jobs.get(request);
  }
}
