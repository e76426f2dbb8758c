import { Injectable } from '@nestjs/common';
import { DomainException, Subjects, type ServiceStatusResponseDto, type SystemServicesResponse, type SystemStatusResponse } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import { ServiceStatusService } from '@clarion/platform';

const SERVICE_SUBJECTS = [
  ['auth', Subjects.auth.status],
  ['ingest', Subjects.ingest.status],
  ['clustering', Subjects.clustering.status],
  ['retention', Subjects.retention.status],
] as const;

/** Asks every service for its status in parallel over NATS; one slow or absent service does not hide the others. */
@Injectable()
export class SystemService {
  constructor(
    private readonly rpc: RpcClient,
    private readonly self: ServiceStatusService,
  ) {}

  /** The overall state alone, for anyone: ready when every service answered ready. */
  async status(): Promise<SystemStatusResponse> {
    const { status } = await this.services();
    return { status };
  }

  /** The overall state with each service's answer: versions, instances, uptimes and dependency checks. */
  async services(): Promise<SystemServicesResponse> {
    const own = await this.self.describe();
    const remote = await Promise.all(
      SERVICE_SUBJECTS.map(async ([service, subject]) => {
        const started = performance.now();
        try {
          const answer = await this.rpc.send<ServiceStatusResponseDto>(subject, {});
          return { ...answer, reachable: true as const, rpcLatencyMs: Math.round(performance.now() - started) };
        } catch (err) {
          const e = err instanceof DomainException ? err : new DomainException('INTERNAL', 'status request failed');
          return { service, reachable: false as const, error: { code: String(e.code), message: e.message } };
        }
      }),
    );
    const services = [{ ...own, reachable: true as const, rpcLatencyMs: 0 }, ...remote];
    const allReady = services.every((s) => s.reachable && s.status === 'ready');
    return { status: allReady ? 'ready' : 'degraded', services };
  }
}
