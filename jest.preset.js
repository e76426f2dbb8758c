// Shared jest settings: SWC transforms TypeScript (with decorator metadata, as the build does) and
// @clarion/* resolves to the libraries' sources.
const { readFileSync } = require('node:fs');
const { compilerOptions } = require('./tsconfig.base.json');
const swcrc = JSON.parse(readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swcrc.$schema;

/** Dependencies published as ES modules only; everything else in node_modules is CommonJS and is not transformed. */
const ESM_ONLY_PACKAGES = ['jose', 'openid-client', 'oauth4webapi'];

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
    // ESM-only packages (jose 6, openid-client, oauth4webapi) compiled to CommonJS for the tests: the built services
    // load them with Node's require(esm), which Jest's module loader supports only from Node 24.9.
    '^.+\\.js$': ['@swc/jest', { ...swcrc, swcrc: false, sourceMaps: 'inline', jsc: { ...swcrc.jsc, parser: { syntax: 'ecmascript' } } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY_PACKAGES.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  setupFiles: ['reflect-metadata'],
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools', '<rootDir>/deploy'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
