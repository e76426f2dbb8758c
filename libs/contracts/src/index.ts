export * from './lib/domain.exception';
export * from './lib/error-codes';
export * from './lib/headers';
export * from './lib/services';
export * from './lib/subjects';
export * from './lib/system-status.dto';
