// Decorator metadata (class-transformer @Type, Nest DI) needs the Reflect polyfill before any DTO class loads.
import 'reflect-metadata';

export * from './lib/domain.exception';
export * from './lib/omittable';
export * from './lib/error-codes';
export * from './lib/headers';
export * from './lib/services';
export * from './lib/subjects';
export * from './lib/system-status.dto';
export * from './lib/auth/access-token';
export * from './lib/auth/auth.dto';
export * from './lib/auth/permissions';
export * from './lib/auth/sso.dto';
export * from './lib/auth/tenants.dto';
export * from './lib/auth/access-token.verifier';
export * from './lib/ingest/address-bytes';
export * from './lib/network/address-classification';
export * from './lib/network/network-validators';
export * from './lib/ingest/exporters.dto';
export * from './lib/ingest/flows.dto';
export * from './lib/ingest/flow-batch.codec';
export * from './lib/flags/feature-flags';
export * from './lib/clustering/clustering.dto';
export * from './lib/clustering/inventory.dto';
export * from './lib/nats-identities';
export * from './lib/redis-acl';
