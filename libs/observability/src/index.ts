export * from './lib/logger';
export * from './lib/metrics';
export * from './lib/ops-server';
export * from './lib/readiness';
export * from './lib/request-context';
