// End-to-end tests: the built services run as processes and are driven over HTTP, NATS and UDP.
module.exports = {
  ...require('./jest.preset'),
  displayName: 'e2e',
  testMatch: ['**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  testTimeout: 120_000,
  maxWorkers: 1,
};
