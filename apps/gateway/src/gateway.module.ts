import { Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { JsonTextInterceptor } from './http/json-text.interceptor';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { AuditController } from './audit/audit.controller';
import { HttpAuditInterceptor } from './audit/http-audit.interceptor';
import { HttpAuditService } from './audit/http-audit.service';
import { AuthController } from './auth/auth.controller';
import { ClustersController } from './clusters/clusters.controller';
import { MembershipController } from './clusters/membership.controller';
import { HotReadInterceptor } from './cache/hot-read.interceptor';
import { HotReadService } from './cache/hot-read.service';
import { InvalidateHotReadsInterceptor } from './cache/invalidate-hot-reads.interceptor';
import { GatewayEvents } from './events/gateway-events.service';
import { RevokedSessions } from './auth/revoked-sessions.service';
import { LiveStreamService } from './stream/live-stream.service';
import { CredentialVerifierService } from './auth/credential-verifier.service';
import { DocsController, OpenApiDocumentHolder } from './docs/docs.controller';
import { EndpointsController } from './endpoints/endpoints.controller';
import { ExportersController } from './exporters/exporters.controller';
import { FeatureFlagService } from './flags/feature-flag.service';
import { FlagsController } from './flags/flags.controller';
import { FlowExportService } from './flows/flow-export.service';
import { FlowsController } from './flows/flows.controller';
import { HealthController } from './health/health.controller';
import { AccessGuard } from './http/access.guard';
import { CsvBodyParser } from './identity/csv-body.parser';
import { IdentityController } from './identity/identity.controller';
import { AddressSpacesController } from './inventory/address-spaces.controller';
import { SitesController } from './inventory/sites.controller';
import { SubnetsController } from './inventory/subnets.controller';
import { ClusteringJobsController } from './jobs/jobs.controller';
import { PolicyController } from './policy/policy.controller';
import { RequestTimeoutInterceptor } from './http/request-timeout.interceptor';
import { RateLimitService } from './rate-limit/rate-limit.service';
import { SgtsController } from './sgts/sgts.controller';
import { SsoController } from './sso/sso.controller';
import { SystemController } from './system/system.controller';
import { SystemService } from './system/system.service';
import { TenantsController } from './tenants/tenants.controller';
import { UsersController } from './users/users.controller';

/** Every controller of the gateway; the route table (and with it the RBAC matrix and OpenAPI document) is read from these. */
export const GATEWAY_CONTROLLERS = [
  HealthController,
  SystemController,
  AuthController,
  SsoController,
  UsersController,
  ApiKeysController,
  AuditController,
  FlagsController,
  ExportersController,
  FlowsController,
  EndpointsController,
  ClustersController,
  MembershipController,
  SgtsController,
  PolicyController,
  ClusteringJobsController,
  IdentityController,
  SitesController,
  AddressSpacesController,
  SubnetsController,
  TenantsController,
  DocsController,
];

/** The gateway: the public HTTP API. Every route is authenticated unless it is declared @Public(). */
@Module({
  controllers: GATEWAY_CONTROLLERS,
  providers: [
    SystemService,
    CredentialVerifierService,
    RateLimitService,
    HttpAuditService,
    FeatureFlagService,
    FlowExportService,
    CsvBodyParser,
    OpenApiDocumentHolder,
    GatewayEvents,
    RevokedSessions,
    HotReadService,
    HotReadInterceptor,
    InvalidateHotReadsInterceptor,
    LiveStreamService,
    { provide: APP_GUARD, useClass: AccessGuard },
    // The first is outermost: a call that times out is still audited (as a failure).
    { provide: APP_INTERCEPTOR, useClass: HttpAuditInterceptor },
    { provide: APP_INTERCEPTOR, useClass: RequestTimeoutInterceptor },
    { provide: APP_INTERCEPTOR, useClass: JsonTextInterceptor },
  ],
})
export class GatewayModule {}
