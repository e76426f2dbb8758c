import { Inject, Injectable } from '@nestjs/common';
import type { DependencyName, ServiceStatusResponseDto } from '@clarion/contracts';
import { SERVICE_RUNTIME, type ServiceRuntime } from './runtime';

/** What `clarion.<service>.status.v1` answers: identity, version and the readiness checks of this instance. */
@Injectable()
export class ServiceStatusService {
  constructor(@Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime) {}

  async describe(): Promise<ServiceStatusResponseDto> {
    const report = await this.runtime.readiness.report();
    return {
      service: this.runtime.service,
      version: this.runtime.version,
      instanceId: this.runtime.instanceId,
      uptimeSeconds: Math.round((Date.now() - this.runtime.startedAt) / 1000),
      status: report.status,
      checks: report.checks.map((c) => ({ ...c, name: c.name as DependencyName })),
    };
  }
}
