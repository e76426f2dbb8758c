import { BaseServiceEnv } from '@clarion/config';

/** Configuration of the auth service (tenants, users, sessions, tokens, API keys and the audit log). */
export class AuthEnv extends BaseServiceEnv {
  override OPS_PORT = 9401;
}
