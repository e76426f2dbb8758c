export * from './entities';
export * from './lib/database';
export * from './lib/redis';
export * from './lib/redis-acl-file';
export * from './lib/roles';
export * from './lib/tenant-isolation.sql';
export * from './migrations';
// What each service's database role is granted (migration 1764900000000 and those after it), for the tests that hold roles to it.
export { SERVICE_TABLE_GRANTS } from './lib/service-table-grants';
export * from './repositories/feature-flag.repository';
export * from './repositories/tenant.repository';
export * from './lib/query-result';
export * from './lib/flow-columns';
export * from './lib/api-key-cache';
export * from './lib/revoked-sessions';
