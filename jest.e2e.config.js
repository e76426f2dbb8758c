// End-to-end tests: the built services run as processes and are driven over HTTP, NATS and UDP.
module.exports = {
  ...require('./jest.preset'),
  displayName: 'e2e',
  testMatch: ['**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/tools/testing/global-setup.ts',
  testTimeout: 120_000,
  maxWorkers: 1,
  // A leaked socket in one test must not hang CI's run; leaks are still reported by --detectOpenHandles locally.
  forceExit: true,
};
