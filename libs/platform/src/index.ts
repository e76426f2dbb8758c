export * from './lib/load-env';
export * from './lib/platform.module';
export * from './lib/run-service';
export * from './lib/runtime';
export * from './lib/service-status.service';
export * from './lib/version';
export * from './lib/flow-stream.setup';
export * from './lib/csv-records';
