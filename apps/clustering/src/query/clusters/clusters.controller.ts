import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { GetClusterRequestDto, ListClustersRequestDto, Subjects, type ClusterDto, type Page } from '@clarion/contracts';
import { ClusterQueryService } from './cluster-query.service';

/** Clusters over NATS (read-only: full runs shape them, SGT binding is in the SGT registry). */
@Controller()
export class ClustersController {
  constructor(private readonly clusters: ClusterQueryService) {}

  @MessagePattern(Subjects.clustering.clustersList)
  list(@Payload() request: ListClustersRequestDto): Promise<Page<ClusterDto>> {
    return this.clusters.list(request);
  }

  @MessagePattern(Subjects.clustering.clustersGet)
  get(@Payload() request: GetClusterRequestDto): Promise<ClusterDto> {
    return this.clusters.get(request);
  }
}
