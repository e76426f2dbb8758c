import { Controller, Get, Inject, Res } from '@nestjs/common';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@clarion/platform';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';

/**
 * Liveness and readiness on the public port too, for load balancers that can only probe the serving port.
 * The same answers as the ops port; /metrics stays internal.
 */
@ApiTags('health')
@Controller()
@Public()
export class HealthController {
  constructor(@Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime) {}

  @Get('healthz')
  @ApiRoute({ summary: 'Liveness: the process answers' })
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiRoute({ summary: 'Readiness: 200 when PostgreSQL, NATS and Redis answer, 503 naming the failing ones otherwise' })
  async readyz(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: string; failing?: string[] }> {
    const report = await this.runtime.readiness.report();
    const failing = report.checks.filter((c) => c.status === 'down').map((c) => c.name);
    void reply.status(report.status === 'ready' ? 200 : 503);
    return { status: report.status, ...(failing.length ? { failing } : {}) };
  }
}
