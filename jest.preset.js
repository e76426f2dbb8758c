// Shared jest settings: SWC transforms TypeScript (with decorator metadata, as the build does) and
// @clarion/* resolves to the libraries' sources.
const { readFileSync } = require('node:fs');
const { compilerOptions } = require('./tsconfig.base.json');
const swcrc = JSON.parse(readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swcrc.$schema;

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias.replace(/[/.]/g, '\\$&')}$`] = `<rootDir>/${target}`;
}

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  // SWC rewrites @clarion/* at transform time too, which also covers globalSetup files (moduleNameMapper does not).
  transform: {
    '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false, sourceMaps: 'inline', jsc: { ...swcrc.jsc, baseUrl: __dirname, paths: compilerOptions.paths } }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  setupFiles: ['reflect-metadata'],
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools', '<rootDir>/deploy'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
