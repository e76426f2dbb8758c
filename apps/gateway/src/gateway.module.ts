import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthController } from './auth/auth.controller';
import { CredentialVerifierService } from './auth/credential-verifier.service';
import { AccessGuard } from './http/access.guard';
import { HealthController } from './health/health.controller';
import { SystemController } from './system/system.controller';
import { SystemService } from './system/system.service';

/** The gateway: the public HTTP API. Every route is authenticated unless it is declared @Public(). */
@Module({
  controllers: [HealthController, SystemController, AuthController],
  providers: [SystemService, CredentialVerifierService, { provide: APP_GUARD, useClass: AccessGuard }],
})
export class GatewayModule {}
