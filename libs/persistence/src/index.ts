export * from './entities';
export * from './lib/database';
export * from './lib/redis';
export * from './lib/roles';
export * from './lib/tenant-isolation.sql';
export * from './migrations';
export * from './repositories/feature-flag.repository';
export * from './repositories/tenant.repository';
