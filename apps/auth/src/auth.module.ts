import { Module } from '@nestjs/common';
import { SystemController } from './system/system.controller';

/** The auth service: tenants, users, sessions, tokens, API keys and the audit log. */
@Module({
  controllers: [SystemController],
})
export class AuthModule {}
