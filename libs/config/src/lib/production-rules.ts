import type { ProductionRule } from './env-metadata';

export const notEmpty: ProductionRule = (value) =>
  value === undefined || value === null || String(value).trim() === '' ? 'must not be empty in production' : undefined;

export const noWildcard: ProductionRule = (value) =>
  String(value ?? '')
    .split(',')
    .some((part) => part.trim() === '*')
    ? "'*' is not allowed in production; list the allowed origins"
    : undefined;

/** A connection URL must carry a password in production (trust or peer auth is a development convenience). */
export const urlHasPassword: ProductionRule = (value) => {
  try {
    const url = new URL(String(value));
    return url.password ? undefined : 'must include a password in production (use the _FILE form for the secret)';
  } catch {
    return 'must be a URL';
  }
};

/**
 * A Redis URL must name an ACL user of its own and its password in production: the `default` user is off in the
 * deployed ACL (deploy/redis/users.acl), and a password alone signs in as it.
 */
export const urlHasUserAndPassword: ProductionRule = (value) => {
  try {
    const url = new URL(String(value));
    if (!url.username || url.username === 'default') return "must name the service's own Redis user in production (redis://<service>:<password>@host; use the _FILE form)";
    return url.password ? undefined : 'must include a password in production (use the _FILE form for the secret)';
  } catch {
    return 'must be a URL';
  }
};

/** A switch that must be on in production (TLS, say). */
export const mustBeTrue =
  (reason: string): ProductionRule =>
  (value) =>
    value === true ? undefined : reason;

/**
 * What every published placeholder says of itself: the secrets committed for compose (`dev-only-...-CHANGE-ME`), the
 * values of .env.example (`change-me-not-for-production`) and the development defaults (`...-never-use-in-production`).
 * A real secret (random hex or base64) never contains one.
 */
export const PLACEHOLDER_MARKERS = ['CHANGE-ME', 'NOT-FOR-PRODUCTION', 'NEVER-USE-IN-PRODUCTION'] as const;

export const isPlaceholder = (value: string): boolean => {
  const upper = value.toUpperCase();
  return PLACEHOLDER_MARKERS.some((marker) => upper.includes(marker));
};

/**
 * A secret in production may not be a published placeholder. validateEnv applies it to every secret variable, on the
 * value as given (before any parsing); the reason never repeats the value.
 */
export const notPlaceholder: ProductionRule = (value) =>
  typeof value === 'string' && isPlaceholder(value)
    ? `is a published placeholder (it says ${PLACEHOLDER_MARKERS.join(' or ')}): give a generated secret (deploy/compose/generate-secrets.sh writes a set)`
    : undefined;
