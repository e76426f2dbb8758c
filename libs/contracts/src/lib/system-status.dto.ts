import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';

/**
 * What a service's readiness depends on: the shared infrastructure, and the service's own parts that must run for it to
 * do its job (ingest's UDP listeners, clustering's flow-batch consumer).
 */
export const DEPENDENCY_NAMES = ['postgres', 'nats', 'redis', 'udp', 'flow-consumer'] as const;
export type DependencyName = (typeof DEPENDENCY_NAMES)[number];

/** `clarion.<service>.status.v1` takes no arguments; the class exists so the handler validates like every other. */
export class ServiceStatusRequestDto {}

export class DependencyCheckDto {
  @IsIn(DEPENDENCY_NAMES)
  name: DependencyName;

  @IsIn(['up', 'down'])
  status: 'up' | 'down';

  @IsInt()
  latencyMs: number;

  @IsOptional()
  @IsString()
  error?: string;
}

export class ServiceStatusResponseDto {
  @IsString()
  service: string;

  @IsString()
  version: string;

  @IsString()
  instanceId: string;

  @IsInt()
  uptimeSeconds: number;

  @IsIn(['ready', 'not_ready'])
  status: 'ready' | 'not_ready';

  @ValidateNested({ each: true })
  @Type(() => DependencyCheckDto)
  checks: DependencyCheckDto[];
}

/** What GET /api/v1/system/status answers anyone (a status page): the overall state, and nothing of the inside. */
export interface SystemStatusResponse {
  status: 'ready' | 'degraded';
}

/**
 * What GET /api/v1/system/services answers with `system:read`: the overall state, and the gateway's own status and
 * every service's answer (version, instance, uptime, dependency checks), or why none came.
 */
export interface SystemServicesResponse extends SystemStatusResponse {
  services: Array<
    | (ServiceStatusResponseDto & { reachable: true; rpcLatencyMs: number })
    | { service: string; reachable: false; error: { code: string; message: string } }
  >;
}
