import { Module } from '@nestjs/common';
import { ServiceMetrics } from '@clarion/observability';
import { ClusterQueryService } from './clusters/cluster-query.service';
import { ClustersController } from './clusters/clusters.controller';
import { EndpointQueryService } from './endpoints/endpoint-query.service';
import { EndpointsController } from './endpoints/endpoints.controller';
import { IdentityImportService } from './identity/identity-import.service';
import { IdentityController } from './identity/identity.controller';
import { MembershipController } from './membership/membership.controller';
import { MembershipService } from './membership/membership.service';
import { PolicyController } from './policy/policy.controller';
import { PolicyService } from './policy/policy.service';
import { ClustersUpdatedPublisher } from './shared/clusters-updated.publisher';
import { QueryMetrics } from './shared/query-metrics';
import { SgtRegistryService } from './sgts/sgt-registry.service';
import { SgtsController } from './sgts/sgts.controller';

/** The gateway-facing RPCs: endpoints, clusters, SGT registry, membership, policy, identity import. */
@Module({
  controllers: [EndpointsController, ClustersController, SgtsController, MembershipController, PolicyController, IdentityController],
  providers: [
    { provide: QueryMetrics, useFactory: (metrics: ServiceMetrics) => new QueryMetrics(metrics.registry), inject: [ServiceMetrics] },
    ClustersUpdatedPublisher,
    EndpointQueryService,
    ClusterQueryService,
    SgtRegistryService,
    MembershipService,
    PolicyService,
    IdentityImportService,
  ],
})
export class QueryModule {}
