// Integration tests against the real PostgreSQL, NATS and Redis of this machine. The global setup creates a fresh
// test database and applies the migrations once.
module.exports = {
  ...require('./jest.preset'),
  displayName: 'integration',
  testMatch: ['**/*.integration-spec.ts'],
  globalSetup: '<rootDir>/tools/testing/global-setup.ts',
  testTimeout: 60_000,
  maxWorkers: 1,
  // A leaked socket in one test must not hang CI's run; leaks are still reported by --detectOpenHandles locally.
  forceExit: true,
};
