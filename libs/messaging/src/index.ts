export * from './lib/jetstream';
export * from './lib/nats-connection';
export * from './lib/rpc-client';
export * from './lib/rpc-exception.filter';
export * from './lib/rpc-server.interceptor';
export * from './lib/trace-headers';
export * from './lib/validation';
export * from './lib/rpc-conventions';
