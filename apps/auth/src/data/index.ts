// The auth service's own tables, read and written only here (its database role holds only these grants).
export * from './api-key.repository';
export * from './audit.repository';
export * from './session.repository';
export * from './signing-key.repository';
export * from './sso-config.repository';
export * from './tenant-lookup.repository';
export * from './user.repository';
