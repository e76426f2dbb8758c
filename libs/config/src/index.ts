export * from './lib/base-service.env';
export * from './lib/config-validation.error';
export * from './lib/env-metadata';
export * from './lib/networks';
export * from './lib/production-rules';
export * from './lib/transforms';
export * from './lib/validate-env';
