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
