import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { PlatformModule, type ServiceRuntime } from '@clarion/platform';
import { GatewayEnv } from '../gateway.env';
import { GATEWAY_CONTROLLERS, GatewayModule } from '../gateway.module';
import { routeTable } from '../http/route-table';
import { buildOpenApiDocument } from './openapi';

/**
 * The OpenAPI document the gateway serves at /api/docs/openapi.json, built without running the gateway: the same
 * modules as runService assembles, created in Nest's preview mode, which resolves the dependency graph but
 * instantiates nothing. So no configuration, PostgreSQL, NATS or Redis is needed, the runtime below is never touched,
 * and nothing listens. `npm run openapi` writes the result to docs/openapi.json.
 */
export async function createOpenApiDocument(version: string): Promise<OpenAPIObject> {
  const runtime = { version } as ServiceRuntime<GatewayEnv>;
  class GatewayDocumentRootModule {}
  const root = { module: GatewayDocumentRootModule, imports: [PlatformModule.register(runtime, GatewayEnv), GatewayModule] };
  const app = await NestFactory.create<NestFastifyApplication>(root, new FastifyAdapter(), { preview: true, logger: false, abortOnError: false });
  try {
    return buildOpenApiDocument(app, routeTable(GATEWAY_CONTROLLERS), version);
  } finally {
    await app.close();
  }
}
