import { Module } from '@nestjs/common';
import { ApiKeyService } from './api-keys/api-key.service';
import { SessionRevocations } from './sessions/session-revocations';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { AuditController } from './audit/audit.controller';
import { AuditService } from './audit/audit.service';
import { BootstrapAdmin } from './users/bootstrap-admin';
import { KeyRingService } from './keys/key-ring.service';
import { KeysController } from './keys/keys.controller';
import { PasswordHasherService } from './passwords/password-hasher.service';
import { SessionService } from './sessions/session.service';
import { SessionsController } from './sessions/sessions.controller';
import { IdpEgress } from './sso/idp-egress';
import { OidcClient } from './sso/oidc-client';
import { SsoConfigService } from './sso/sso-config.service';
import { SsoLoginService } from './sso/sso-login.service';
import { SsoStateStore } from './sso/sso-state.store';
import { SsoController } from './sso/sso.controller';
import { SystemController } from './system/system.controller';
import { AccountUnlockService } from './throttle/account-unlock.service';
import { LoginThrottleService } from './throttle/login-throttle.service';
import { TenantService } from './tenants/tenant.service';
import { TenantsController } from './tenants/tenants.controller';
import { TokenService } from './tokens/token.service';
import { PasswordChangeService } from './users/password-change.service';
import { UserService } from './users/user.service';
import { UsersController } from './users/users.controller';

/** The auth service: tenants, users, sessions (password and OpenID Connect sign-in), tokens, API keys and the audit log. */
@Module({
  controllers: [SystemController, SessionsController, UsersController, ApiKeysController, KeysController, AuditController, SsoController, TenantsController],
  providers: [
    AccountUnlockService,
    ApiKeyService,
    SessionRevocations,
    AuditService,
    BootstrapAdmin,
    IdpEgress,
    KeyRingService,
    LoginThrottleService,
    OidcClient,
    PasswordChangeService,
    PasswordHasherService,
    SessionService,
    SsoConfigService,
    SsoLoginService,
    SsoStateStore,
    TenantService,
    TokenService,
    UserService,
  ],
  exports: [ApiKeyService, AuditService, KeyRingService, UserService, PasswordHasherService],
})
export class AuthModule {}
