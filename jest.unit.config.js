// Unit and property tests of pure code and services: no network, no database. Fast.
module.exports = { ...require('./jest.preset'), displayName: 'unit', testMatch: ['**/*.spec.ts'] };
