export * from './lib/free-port';
export * from './lib/otlp-receiver';
export * from './lib/service-process';
export * from './lib/silent-logger';
export * from './lib/test-infra';
export * from './lib/nats-server-process';
export * from './lib/tenant-query';
export * from './lib/metric-value';
