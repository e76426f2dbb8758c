import { AccessTokenServiceEnv, DatabaseRole, EnvVar, IsNetworkList, ToInt, ToList } from '@clarion/config';
import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';

/** Configuration of the auth service (tenants, users, sessions, tokens, API keys and the audit log). */
@DatabaseRole('clarion_auth')
export class AuthEnv extends AccessTokenServiceEnv {
  override OPS_PORT = 9401;

  @EnvVar({
    type: 'string (>= 32 characters; base64 of 32 random bytes recommended)',
    secret: true,
    devDefault: 'development-only-master-key-never-use-in-production',
    description: 'Master key that encrypts the token signing keys stored in PostgreSQL. Give it as AUTH_MASTER_KEY_FILE.',
  })
  @IsString()
  @MinLength(32)
  AUTH_MASTER_KEY!: string;

  @EnvVar({
    type: 'string (>= 32 characters, no whitespace; hex or base64 of 32 random bytes recommended)',
    secret: true,
    devDefault: 'development-only-audit-key-never-use-in-production',
    description:
      'Key of the HMAC that seals each audit event, kept outside PostgreSQL so that a database writer cannot recompute the chain. Give it as AUDIT_KEY_FILE; rotating it moves the old one to AUDIT_PREVIOUS_KEYS.',
  })
  @IsString()
  @Matches(/^\S{32,}$/, { message: 'AUDIT_KEY must be at least 32 characters without whitespace' })
  AUDIT_KEY!: string;

  @EnvVar({
    type: 'strings separated by whitespace (one a line in the _FILE form)',
    secret: true,
    description: 'Earlier audit keys, kept only so that the events they sealed still verify; new events are sealed with AUDIT_KEY.',
  })
  // Each was an AUDIT_KEY once; one mistyped matches no key id, and `audit verify` names the key it lacks.
  @IsOptional()
  @IsString()
  AUDIT_PREVIOUS_KEYS?: string;

  @EnvVar({ type: 'integer (seconds)', description: 'Lifetime of an access token.' })
  @ToInt()
  @IsInt()
  @Min(60)
  @Max(3600)
  ACCESS_TOKEN_TTL_S = 900;

  @EnvVar({
    type: 'integer (days)',
    description: 'The longest life an API key may have: a key created without an expiry gets this one, and a longer expiry is refused.',
  })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(3650)
  API_KEY_MAX_LIFETIME_DAYS = 365;

  @EnvVar({ type: 'integer (seconds)', description: 'A session not refreshed for this long ends (idle timeout).' })
  @ToInt()
  @IsInt()
  @Min(300)
  SESSION_IDLE_TTL_S = 12 * 3600;

  @EnvVar({ type: 'integer (seconds)', description: 'A session ends this long after login, however active (absolute timeout).' })
  @ToInt()
  @IsInt()
  @Min(3600)
  SESSION_ABSOLUTE_TTL_S = 7 * 24 * 3600;

  @EnvVar({ type: 'integer (KiB)', description: 'argon2id memory cost per password hash (about 50-100 ms per hash on the reference machine).' })
  @ToInt()
  @IsInt()
  @Min(8192)
  ARGON2_MEMORY_KIB = 19456;

  @EnvVar({ type: 'integer', description: 'argon2id iterations per password hash.' })
  @ToInt()
  @IsInt()
  @Min(1)
  ARGON2_TIME_COST = 2;

  @EnvVar({ type: 'integer', description: 'argon2id lanes per password hash.' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(8)
  ARGON2_PARALLELISM = 1;

  @EnvVar({
    type: 'integer',
    description: 'Consecutive failed logins of one account from one address (IPv6: one /64) before that address is blocked for that account; other addresses are not.',
  })
  @ToInt()
  @IsInt()
  @Min(1)
  LOGIN_MAX_FAILURES = 5;

  @EnvVar({ type: 'integer (seconds)', description: 'How long consecutive failed logins of one account from one address are remembered after the first; a successful login forgets them.' })
  @ToInt()
  @IsInt()
  @Min(60)
  LOGIN_FAILURE_WINDOW_S = 24 * 3600;

  @EnvVar({ type: 'integer (seconds)', description: 'First block of an address for an account after LOGIN_MAX_FAILURES; each further failure doubles it, up to LOGIN_LOCKOUT_MAX_S.' })
  @ToInt()
  @IsInt()
  @Min(1)
  LOGIN_LOCKOUT_BASE_S = 30;

  @EnvVar({ type: 'integer (seconds)', description: 'Longest block of an address for an account.' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(24 * 3600)
  LOGIN_LOCKOUT_MAX_S = 3600;

  @EnvVar({ type: 'integer', description: 'Login attempts accepted per source address (IPv6: per /64) per minute, all accounts together.' })
  @ToInt()
  @IsInt()
  @Min(1)
  LOGIN_IP_LIMIT_PER_MIN = 30;

  @EnvVar({ type: 'integer', description: 'Login attempts accepted per network (IPv4 /24, IPv6 /48) per minute, all accounts together.' })
  @ToInt()
  @IsInt()
  @Min(1)
  LOGIN_NETWORK_LIMIT_PER_MIN = 120;

  @EnvVar({
    type: 'integer',
    description: 'Failed logins of one account from all addresses together per LOGIN_ACCOUNT_FAILURE_WINDOW_S; beyond it the account answers 429 until the window ends (it slows, never locks for longer).',
  })
  @ToInt()
  @IsInt()
  @Min(1)
  LOGIN_ACCOUNT_FAILURE_LIMIT = 30;

  @EnvVar({ type: 'integer (seconds)', description: 'Window of LOGIN_ACCOUNT_FAILURE_LIMIT; at most 15 minutes, so many addresses together can only slow an account down.' })
  @ToInt()
  @IsInt()
  @Min(10)
  @Max(900)
  LOGIN_ACCOUNT_FAILURE_WINDOW_S = 300;

  @EnvVar({
    type: 'comma-separated addresses or networks (CIDR)',
    description:
      "Networks an identity provider may never be reached at, besides the classes production always refuses (loopback, private, link-local with the cloud metadata address, CGNAT, multicast, reserved): a cluster's pod and service ranges when they are routable, say. Checked on the resolved addresses of every OIDC request, in every environment.",
  })
  @ToList()
  @IsNetworkList()
  OIDC_DENIED_NETWORKS: string[] = [];

  @EnvVar({
    type: 'integer (seconds)',
    description: "How long a failed OIDC discovery of an issuer is remembered: sign-ins in that time fail at once without asking the IdP again (0: not remembered).",
  })
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(3600)
  OIDC_DISCOVERY_FAILURE_TTL_S = 30;

  @EnvVar({
    type: 'file path',
    description: 'One-time bootstrap: a JSON file {tenant, email, displayName, password} creating the first admin when no user exists; delete it afterwards.',
  })
  @IsOptional()
  @IsString()
  AUTH_BOOTSTRAP_FILE?: string;
}
