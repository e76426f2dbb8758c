import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Subjects, type ActorDto, type AuditEventDto, type Page } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { AuditPage, AuditQueryParamsDto } from './audit-http.dto';
import { HttpAuditService, readFilters, SENSITIVE_READS } from './http-audit.service';

/** The tenant's audit log, newest first; forwarded to the auth service over NATS. Each search is itself audited. */
@ApiTags('audit')
@Controller('api/v1/audit')
export class AuditController {
  constructor(
    private readonly rpc: RpcClient,
    private readonly audit: HttpAuditService,
  ) {}

  @Get()
  @RequirePermissions('audit:read')
  @ApiRoute({ summary: 'Query the audit log', description: 'Filters combine with AND; pages of `limit` events, newest first.', type: AuditPage })
  query(@CurrentActor() actor: ActorDto, @Query() query: AuditQueryParamsDto): Promise<Page<AuditEventDto>> {
    return this.audit.audited(
      actor,
      SENSITIVE_READS.auditSearch,
      readFilters(query),
      () => this.rpc.send<Page<AuditEventDto>>(Subjects.auth.auditQuery, { actor, ...query }),
      (page) => page.items.length,
    );
  }
}
