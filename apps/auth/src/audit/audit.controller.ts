import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuditQueryRequestDto, RecordAuditRequestDto, Subjects, type AuditEventDto, type Page } from '@clarion/contracts';
import { assertPermission } from '../users/user-permissions';
import { AuditService } from './audit.service';

@Controller()
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** The gateway records every state-changing call it forwards and every sensitive read, with the verified actor. */
  @MessagePattern(Subjects.auth.auditRecord)
  async record(@Payload() request: RecordAuditRequestDto): Promise<{ recorded: true }> {
    const { actor } = request;
    await this.audit.record({
      tenantId: actor.tenantId,
      actorType: actor.kind,
      actorId: actor.id,
      action: request.action,
      target: request.target,
      outcome: request.outcome,
      sourceIp: actor.sourceIp,
      userAgent: actor.userAgent,
      details: { ...request.details, ...(request.httpCall ? { via: 'http' } : {}) },
    });
    return { recorded: true };
  }

  @MessagePattern(Subjects.auth.auditQuery)
  query(@Payload() request: AuditQueryRequestDto): Promise<Page<AuditEventDto>> {
    assertPermission(request.actor, 'audit:read');
    return this.audit.query(request);
  }
}
